// The words the Unigram trainer counts, cut as Hugging Face's `SentencePieceUnigramTokenizer`
// pipeline cuts them: normalizers Nmt, NFKC and Replace(" {2,}" → " "), then the Metaspace
// pre-tokenizer (spaces become ▁, ▁ prepended, a new word before each ▁). The same steps as
// the trained tokenizer's pipeline, with NFKC skipped for ASCII lines and the regex Replace
// done by hand: training counts every word of the corpus.

struct SentencePieceWordSplitter: WordSplitter {
    private var preTokenizer = PreTokenizer(steps: [.metaspace(replacement: "▁", prependScheme: .always, split: true)])
    private var pieces: [Range<Int>] = []
    private var buffer: [UInt8] = []

    mutating func forEachWord(in line: ArraySlice<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        buffer.removeAll(keepingCapacity: true)
        let ascii = line.withUnsafeBufferPointer { NormalizerStep.nmt($0, into: &buffer) }
        var text = ascii ? buffer : NormalizerStep.apply([.nfkc], to: buffer)
        SentencePieceWordSplitter.collapseSpaces(&text)
        let out = preTokenizer.run(text, into: &pieces)
        out.withUnsafeBufferPointer { p in
            for r in pieces { body(UnsafeBufferPointer(rebasing: p[r])) }
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
