// The corpus as the Unigram trainer works on it: the distinct words (SentencePiece's
// `SplitSentencesByWhitespace`) spelled as dense character ids, one after another with a
// separator after each, and the characters that must be in the vocabulary
// (`character_coverage`, as `TrainerInterface::LoadSentences` picks them).

struct UnigramCorpus {
    /// Character ids of all words, each followed by `separator`.
    let text: [Int32]
    /// Word `w` is `text[wordStart[w] ..< wordStart[w + 1] - 1]`.
    let wordStart: [Int32]
    let wordCount: [Int64]
    /// Scalar value of each character id (ids follow code point order).
    let chars: [UInt32]
    /// Occurrences of each character in the corpus (words weighted by count).
    let charCount: [Int64]
    /// Characters the vocabulary must hold; the others are unknown to the model.
    let required: [Bool]

    static let separator: Int32 = -1

    /// `words` in canonical order (see `WordCounting.canonicalOrder`). `coverage` in (0, 1]:
    /// the most frequent characters are required until they cover that share of all characters.
    init(words: [(ArraySlice<UInt8>, Int)], coverage: Double) {
        var scalars = Set<UInt32>()
        for (word, _) in words { UTF8Scalars.forEach(word) { c, _ in scalars.insert(c) } }
        chars = scalars.sorted()
        var idOf: [UInt32: Int32] = [:]
        for (i, c) in chars.enumerated() { idOf[c] = Int32(i) }
        var text: [Int32] = []
        var starts: [Int32] = [0]
        var charCount = [Int64](repeating: 0, count: chars.count)
        for (word, n) in words {
            UTF8Scalars.forEach(word) { c, _ in
                let id = idOf[c] ?? 0
                text.append(id)
                charCount[Int(id)] += Int64(n)
            }
            text.append(UnigramCorpus.separator)
            starts.append(Int32(text.count))
        }
        self.text = text
        wordStart = starts
        wordCount = words.map { Int64($0.1) }
        self.charCount = charCount

        // Most frequent first, then by code point; stop once the share covered reaches `coverage`.
        let total = Double(charCount.reduce(0, +))
        var required = [Bool](repeating: false, count: chars.count)
        var covered: Int64 = 0
        for id in chars.indices.sorted(by: { charCount[$0] != charCount[$1] ? charCount[$0] > charCount[$1] : $0 < $1 }) {
            if coverage < 1 && Double(covered) / total >= coverage { break }
            covered += charCount[id]
            required[id] = true
        }
        self.required = required
    }

    /// The UTF-8 of `text[position ..< position + length]`.
    func string(at position: Int, length: Int) -> String {
        var utf8: [UInt8] = []
        for p in position..<(position + length) { UTF8Scalars.append(chars[Int(text[p])], to: &utf8) }
        return String(decoding: utf8, as: UTF8.self)
    }
}
