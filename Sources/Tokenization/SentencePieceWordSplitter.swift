// The words the Unigram trainer counts, cut as Hugging Face's `SentencePieceUnigramTokenizer`
// pipeline cuts them: normalizers Nmt, NFKC and Replace(" {2,}" → " "), then the Metaspace
// pre-tokenizer (spaces become ▁, ▁ prepended, a new word before each ▁). Nmt and the
// regex Replace are done here for counting only; encoding with them belongs to the tokenizer
// pipeline (the spm branch), which this duplicates in behaviour until the two are unified.

struct SentencePieceWordSplitter: WordSplitter {
    private var preTokenizer = PreTokenizer(steps: [.metaspace(replacement: "▁", prependScheme: .always, split: true)])
    private var pieces: [Range<Int>] = []
    private var buffer: [UInt8] = []

    mutating func forEachWord(in line: ArraySlice<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        buffer.removeAll(keepingCapacity: true)
        var ascii = true
        line.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                let (c, n) = UTF8Scalars.decode(p, at: i)
                i += n
                switch SentencePieceWordSplitter.nmt(c) {
                case .drop: continue
                case .space: buffer.append(0x20)
                case .keep:
                    if c >= 0x80 { ascii = false }
                    buffer.append(contentsOf: p[(i - n)..<i])
                }
            }
        }
        var text = ascii ? buffer : NormalizerStep.apply([.nfkc], to: buffer)
        SentencePieceWordSplitter.collapseSpaces(&text)
        let out = preTokenizer.run(text, into: &pieces)
        out.withUnsafeBufferPointer { p in
            for r in pieces { body(UnsafeBufferPointer(rebasing: p[r])) }
        }
    }

    private enum NmtAction { case keep, drop, space }

    /// Hugging Face's `Nmt` normalizer: ASCII controls removed, other separators made spaces.
    private static func nmt(_ c: UInt32) -> NmtAction {
        switch c {
        case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: return .drop
        case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: return .space
        default: return .keep
        }
    }

    /// Replace(Regex(" {2,}"), " "): runs of spaces become one.
    private static func collapseSpaces(_ text: inout [UInt8]) {
        var out = 0
        for i in text.indices where !(text[i] == 0x20 && out > 0 && text[out - 1] == 0x20) {
            text[out] = text[i]
            out += 1
        }
        text.removeLast(text.count - out)
    }
}
