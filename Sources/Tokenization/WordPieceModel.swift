// The WordPiece model (Schuster & Nakajima 2012; BERT's tokenizer) as Hugging Face applies it:
// greedy longest-match-first over each pre-tokenized word, pieces after the first spelled with
// the continuing-subword prefix (`##`); a word with an unmatchable rest, or longer than
// `max_input_chars_per_word`, is the unknown token as a whole. Read from and written to the
// `"model": {"type": "WordPiece", …}` object of `tokenizer.json`.
import JSONText

struct WordPieceModel: Sendable {
    /// Token string (UTF-8) of each id; empty for ids the vocabulary skips.
    let tokens: [[UInt8]]
    private let table: ByteStringTable
    private let idOfKey: [Int32]
    let unkToken: String
    let prefix: [UInt8]
    let maxInputCharsPerWord: Int
    /// No token is longer, so no longer substring needs looking up.
    private let longestToken: Int

    init(vocab: [([UInt8], Int32)], unkToken: String, prefix: String, maxInputCharsPerWord: Int) {
        var tokens = [[UInt8]](repeating: [], count: Int(vocab.map(\.1).max() ?? -1) + 1)
        var table = ByteStringTable(capacity: vocab.count)
        var idOfKey: [Int32] = []
        for (token, id) in vocab {
            tokens[Int(id)] = token
            if token.withUnsafeBufferPointer({ table.insert($0).inserted }) { idOfKey.append(id) }
        }
        self.tokens = tokens
        self.table = table
        self.idOfKey = idOfKey
        self.unkToken = unkToken
        self.prefix = Array(prefix.utf8)
        self.maxInputCharsPerWord = maxInputCharsPerWord
        longestToken = vocab.map(\.0.count).max() ?? 0
    }

    func id(of token: UnsafeBufferPointer<UInt8>) -> Int32? { table.find(token).map { idOfKey[$0] } }
    func id(of token: [UInt8]) -> Int32? { token.withUnsafeBufferPointer { id(of: $0) } }

    /// Appends the ids of one word; `key` is scratch space.
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, key: inout [UInt8], into out: inout [Int32]) {
        var chars = 0
        for b in piece where b & 0xC0 != 0x80 { chars += 1 }
        let first = out.count
        var start = 0
        while chars <= maxInputCharsPerWord && start < piece.count {
            var end = piece.count
            if end - start > longestToken {
                end = start + longestToken
                while end > start && piece[end] & 0xC0 == 0x80 { end -= 1 }
            }
            var found: Int32?
            while end > start {
                if start == 0 {
                    found = id(of: UnsafeBufferPointer(rebasing: piece[start..<end]))
                } else {
                    key.removeAll(keepingCapacity: true)
                    key += prefix
                    key += piece[start..<end]
                    found = id(of: key)
                }
                if found != nil { break }
                end -= 1
                while end > start && piece[end] & 0xC0 == 0x80 { end -= 1 }
            }
            guard let id = found else { break }
            out.append(id)
            start = end
        }
        if start < piece.count || chars > maxInputCharsPerWord {
            out.removeSubrange(first...)
            // Without the unknown token in the vocabulary Hugging Face fails; the word is left out.
            if let unk = id(of: Array(unkToken.utf8)) { out.append(unk) }
        }
    }
}

extension WordPieceModel {
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail) throws -> WordPieceModel {
        guard case let .object(members)? = model["vocab"] else { throw invalid("model has no \"vocab\" object") }
        let vocab = try TokenizerJSON.vocabulary(members, invalid)
        var maxChars = 100
        if let m = model["max_input_chars_per_word"], !m.isNull {
            guard let v = m.int, v >= 0 else { throw invalid("max_input_chars_per_word is not a non-negative integer") }
            maxChars = v
        }
        return WordPieceModel(vocab: vocab, unkToken: model["unk_token"]?.string ?? "[UNK]",
                              prefix: model["continuing_subword_prefix"]?.string ?? "##", maxInputCharsPerWord: maxChars)
    }

    func json() -> JSONValue {
        .object([
            ("type", .string("WordPiece")), ("unk_token", .string(unkToken)),
            ("continuing_subword_prefix", .string(String(decoding: prefix, as: UTF8.self))),
            ("max_input_chars_per_word", .integer(maxInputCharsPerWord)),
            ("vocab", TokenizerJSON.vocabularyJSON(tokens)),
        ])
    }
}
