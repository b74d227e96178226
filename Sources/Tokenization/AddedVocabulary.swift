// Added tokens (Hugging Face's `AddedVocabulary`): tokens outside the model, special (`<s>`,
// `[CLS]`) or not, found in the input before the model sees it. Tokens with `normalized: false`
// are cut out of the raw text; the rest of the text is normalized and tokens with
// `normalized: true` are cut out of that. Matching is leftmost-longest; `single_word`,
// `lstrip` and `rstrip` behave as in `tokenizers`.

/// A token outside the model's vocabulary rules, with Hugging Face's matching options.
struct AddedToken: Sendable, Equatable {
    var id: Int32
    var content: String
    var special: Bool
    /// Only where no word character touches it on either side.
    var singleWord = false
    /// Swallows the whitespace before / after it.
    var lstrip = false
    var rstrip = false
    /// Matched in normalized text (with its content normalized) rather than in the raw input.
    var normalized = false
}

/// Leftmost-longest search for a set of byte strings.
struct AddedTokenMatcher: Sendable {
    /// For each first byte, (pattern, token index) longest first.
    private var byFirstByte: [[([UInt8], Int)]] = Array(repeating: [], count: 256)
    private(set) var isEmpty = true

    init(_ patterns: [([UInt8], Int)]) {
        for (bytes, k) in patterns where !bytes.isEmpty {
            byFirstByte[Int(bytes[0])].append((bytes, k))
            isEmpty = false
        }
        for b in 0..<256 { byFirstByte[b].sort { $0.0.count > $1.0.count } }
    }

    /// The leftmost match at or after `from`, the longest there: (start, end, token index).
    func find(_ p: UnsafeBufferPointer<UInt8>, from: Int) -> (Int, Int, Int)? {
        var i = from
        while i < p.count {
            for (pattern, k) in byFirstByte[Int(p[i])] where i + pattern.count <= p.count {
                var same = true
                for j in 1..<pattern.count where p[i + j] != pattern[j] { same = false; break }
                if same { return (i, i + pattern.count, k) }
            }
            i += 1
        }
        return nil
    }
}

struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let raw: AddedTokenMatcher
    private let normalizedText: AddedTokenMatcher

    /// `normalize` gives the form of `normalized` tokens' content that is looked for.
    init(_ tokens: [AddedToken], normalize: ([UInt8]) -> [UInt8]) {
        self.tokens = tokens
        var raw: [([UInt8], Int)] = [], normalized: [([UInt8], Int)] = []
        for (k, t) in tokens.enumerated() {
            if t.normalized { normalized.append((normalize(Array(t.content.utf8)), k)) } else { raw.append((Array(t.content.utf8), k)) }
        }
        self.raw = AddedTokenMatcher(raw)
        normalizedText = AddedTokenMatcher(normalized)
    }

    var hasRawTokens: Bool { !raw.isEmpty }
    var hasNormalizedTokens: Bool { !normalizedText.isEmpty }

    /// Cuts `text` into stretches of text (id nil) and added tokens (their ids), as
    /// `AddedVocabulary::find_matches` does; `skipSpecial` leaves special tokens as text.
    func split(_ text: [UInt8], normalizedTokens: Bool, skipSpecial: Bool) -> [(Range<Int>, Int32?)] {
        let matcher = normalizedTokens ? normalizedText : raw
        guard !matcher.isEmpty, !text.isEmpty else { return [(0..<text.count, nil)] }
        var out: [(Range<Int>, Int32?)] = []
        text.withUnsafeBufferPointer { p in
            var startOffset = 0, from = 0
            while let (s, e, k) = matcher.find(p, from: from) {
                from = e
                let t = tokens[k]
                if skipSpecial && t.special { continue }
                var start = s, stop = e
                if t.singleWord {
                    let before = start > 0 && isWordScalar(p, endingAt: start)
                    let after = stop < p.count && CharClass.of(UTF8Scalars.decode(p, at: stop).0) & CharClass.word != 0
                    if before || after { continue }
                }
                if t.lstrip {
                    var k = start
                    while k > 0, let (c, n) = scalar(p, endingAt: k), CharClass.of(c) & CharClass.whitespace != 0 { k -= n }
                    start = max(k, startOffset)
                }
                if t.rstrip {
                    while stop < p.count {
                        let (c, n) = UTF8Scalars.decode(p, at: stop)
                        guard CharClass.of(c) & CharClass.whitespace != 0 else { break }
                        stop += n
                    }
                }
                if startOffset < start { out.append((startOffset..<start, nil)) }
                out.append((start..<stop, t.id))
                startOffset = stop
            }
            if startOffset != p.count { out.append((startOffset..<p.count, nil)) }
        }
        return out
    }

    private func scalar(_ p: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> (UInt32, Int)? {
        guard end > 0 else { return nil }
        var k = end - 1
        while k > 0 && p[k] & 0xC0 == 0x80 { k -= 1 }
        return (UTF8Scalars.decode(p, at: k).0, end - k)
    }

    private func isWordScalar(_ p: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> Bool {
        guard let (c, _) = scalar(p, endingAt: end) else { return false }
        return CharClass.of(c) & CharClass.word != 0
    }
}
