// The WordLevel model of Hugging Face `tokenizers`: each pre-tokenized word is one token, or
// the unknown token. Read from and written to `"model": {"type": "WordLevel", …}`.
import JSONText

struct WordLevelModel: Sendable {
    /// Token string (UTF-8) of each id; empty for ids the vocabulary skips.
    let tokens: [[UInt8]]
    private let table: ByteStringTable
    private let idOfKey: [Int32]
    let unkToken: String
    private let unkID: Int32?

    init(vocab: [([UInt8], Int32)], unkToken: String) {
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
        unkID = Array(unkToken.utf8).withUnsafeBufferPointer { table.find($0) }.map { idOfKey[$0] }
    }

    func id(of token: UnsafeBufferPointer<UInt8>) -> Int32? { table.find(token).map { idOfKey[$0] } }
    func id(of token: [UInt8]) -> Int32? { token.withUnsafeBufferPointer { id(of: $0) } }

    /// Appends the word's id, or the unknown token's (nothing if the vocabulary lacks it, where
    /// Hugging Face fails).
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if let id = id(of: piece) { out.append(id) } else if let unkID { out.append(unkID) }
    }
}

extension WordLevelModel {
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail) throws -> WordLevelModel {
        guard case let .object(members)? = model["vocab"] else { throw invalid("model has no \"vocab\" object") }
        return WordLevelModel(vocab: try TokenizerJSON.vocabulary(members, invalid), unkToken: model["unk_token"]?.string ?? "<unk>")
    }

    func json() -> JSONValue {
        .object([("type", .string("WordLevel")), ("vocab", TokenizerJSON.vocabularyJSON(tokens)), ("unk_token", .string(unkToken))])
    }
}
