// Tokenizer files held in memory: a tokenizer.json (every component, the regexes it compiles
// included) or a SentencePiece .model loads or throws; a tokenizer that loads encodes fixed texts
// into ids inside its vocabulary and decodes any ids without trapping.
import Tokenization

extension FuzzTargets {
    static let sampleTexts = ["Hello, wörld! 東京 <s> [CLS] 123 <unk>", " ", "", "a\u{0}b\r\n\t ▁Ġ", "👨‍👩‍👧 e\u{301}"]

    static func tokenizerJSON(_ bytes: [UInt8]) throws {
        guard let tokenizer = try? Tokenizer(bytes: bytes, name: "fuzz.json") else { return }
        try exercise(tokenizer)
    }

    static func sentencePiece(_ bytes: [UInt8]) throws {
        guard let tokenizer = try? Tokenizer(sentencePieceModel: bytes, name: "fuzz.model") else { return }
        try exercise(tokenizer)
    }

    static func exercise(_ loaded: Tokenizer) throws {
        var tokenizer = loaded
        for text in sampleTexts {
            let ids = tokenizer.encode(text, pair: "b c", addSpecial: true).ids
            try requireInVocabulary(ids, tokenizer)
            _ = tokenizer.decode(ids, skipSpecial: false)
            _ = tokenizer.preTokenize(text)
            _ = tokenizer.normalize(text)
        }
        tokenizer.encodeSpecialTokens = true
        try requireInVocabulary(tokenizer.encode(sampleTexts[0], addSpecial: true), tokenizer)
        _ = tokenizer.decode(Array(-2..<Int32(min(tokenizer.vocabSize + 2, 400))), skipSpecial: false)
    }

    static func requireInVocabulary(_ ids: [Int32], _ tokenizer: Tokenizer) throws {
        try require(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabSize }, "encoded an id outside the vocabulary of \(tokenizer.vocabSize)")
    }
}
