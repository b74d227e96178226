// Which substrings may become Unigram pieces: SentencePiece's `IsValidSentencePiece`
// (trainer_interface.cc) with its defaults — at most `max_piece_length` characters, ▁ only
// first, no character outside the kept alphabet, and (split_by_unicode_script) no mix of
// scripts, Hiragana/Katakana counting as Han, digits and punctuation as Common, combining
// marks inheriting the script before them. Swift exposes no Unicode Script property, so
// letters are classed by the blocks of the major scripts (a 128-code-point block for others).

struct PieceValidity {
    /// Script classes; real scripts are positive.
    static let common: Int32 = 0, inherited: Int32 = -2, marker: Int32 = -3, excluded: Int32 = -4
    private static let any: Int32 = -1

    /// Class of each character id.
    private let classes: [Int32]
    let maxLength: Int
    let splitByScript: Bool

    /// `chars` are scalar values by character id; `kept[i]` false excludes character i from pieces.
    init(chars: [UInt32], kept: [Bool], maxLength: Int, splitByScript: Bool) {
        classes = zip(chars, kept).map { c, k in
            if !k { return PieceValidity.excluded }
            if c == 0x2581 { return PieceValidity.marker }
            return PieceValidity.script(c)
        }
        self.maxLength = maxLength
        self.splitByScript = splitByScript
    }

    /// The longest valid piece starting at `text[start]` (0 if none), reading at most to `end`.
    /// Validity is prefix-closed, so every shorter piece from `start` is valid too.
    func longestPiece(_ text: UnsafeBufferPointer<Int32>, from start: Int, to end: Int) -> Int {
        var previous = PieceValidity.any
        let limit = min(end, start + maxLength)
        var j = start
        while j < limit {
            let s = classes[Int(text[j])]
            if s == PieceValidity.excluded { break }
            if s == PieceValidity.marker {
                if j > start { break }
            } else {
                let t = s == PieceValidity.inherited ? previous : s
                if splitByScript && t != PieceValidity.any && previous != PieceValidity.any && previous != t { break }
                previous = t
            }
            j += 1
        }
        return j - start
    }

    /// Explicit ranges of the scripts whose blocks are not 128-aligned (or span several blocks).
    private static let ranges: [(ClosedRange<UInt32>, Int32)] = [
        (0x0041...0x024F, 1), (0x0250...0x02AF, 1), (0x1D00...0x1DBF, 1), (0x1E00...0x1EFF, 1), (0x2C60...0x2C7F, 1),
        (0xA720...0xA7FF, 1), (0xAB30...0xAB6F, 1), (0xFB00...0xFB06, 1), (0xFF21...0xFF5A, 1),
        (0x0370...0x03FF, 2), (0x1F00...0x1FFF, 2),
        (0x0400...0x052F, 3), (0x1C80...0x1C8F, 3), (0x2DE0...0x2DFF, 3), (0xA640...0xA69F, 3),
        (0x0530...0x058F, 4), (0x0590...0x05FF, 5), (0xFB1D...0xFB4F, 5),
        (0x0600...0x06FF, 6), (0x0750...0x077F, 6), (0x08A0...0x08FF, 6), (0xFB50...0xFDFF, 6), (0xFE70...0xFEFF, 6),
        (0x10A0...0x10FF, 7), (0x1C90...0x1CBF, 7), (0x2D00...0x2D2F, 7),
        (0x1100...0x11FF, 8), (0x3130...0x318F, 8), (0xA960...0xA97F, 8), (0xAC00...0xD7FF, 8), (0xFFA0...0xFFDC, 8),
        (0x1200...0x139F, 9), (0x2D80...0x2DDF, 9),
        // Han with Hiragana and Katakana (SentencePiece merges them).
        (0x2E80...0x2FDF, 10), (0x3005...0x3007, 10), (0x3021...0x3029, 10), (0x3038...0x303B, 10), (0x3040...0x30FF, 10),
        (0x31F0...0x31FF, 10), (0x3400...0x4DBF, 10), (0x4E00...0x9FFF, 10), (0xF900...0xFAFF, 10), (0xFF66...0xFF9F, 10),
        (0x20000...0x323AF, 10),
    ]

    static func script(_ c: UInt32) -> Int32 {
        guard let s = Unicode.Scalar(c) else { return common }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark:
            return inherited
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spacingMark:
            if (0x02B0...0x02FF).contains(c) { return common }  // spacing modifier letters
            if c == 0x30FC { return 10 }  // the Katakana long vowel mark
            if let r = ranges.first(where: { $0.0.contains(c) }) { return r.1 }
            return 16 + Int32(c >> 7)
        default:
            return common
        }
    }
}
