import JSONText

// The model stage of the tokenization pipeline (Hugging Face's `model`): it turns one
// pre-tokenized piece into token ids. Each subword algorithm lives in its own file; this
// enum is the one place the pipeline dispatches on which one a tokenizer uses.

/// A subword model: how a piece becomes ids, and the token string of every id.
enum SubwordModel: Sendable {
    /// Byte-pair encoding: ranked merges of adjacent symbols (Sennrich et al.; GPT-2's byte-level form).
    case bpe(BPEModel)
    /// WordPiece: greedy longest-match-first with `##` continuations (BERT).
    case wordPiece(WordPieceModel)
    /// One token per word (Hugging Face's WordLevel).
    case wordLevel(WordLevelModel)

    /// Token string (UTF-8) of each id; empty for ids the vocabulary skips.
    var tokens: [[UInt8]] {
        switch self {
        case .bpe(let m): return m.tokens
        case .wordPiece(let m): return m.tokens
        case .wordLevel(let m): return m.tokens
        }
    }

    /// The `type` this model has in `tokenizer.json`.
    var typeName: String {
        switch self {
        case .bpe: return "BPE"
        case .wordPiece: return "WordPiece"
        case .wordLevel: return "WordLevel"
        }
    }

    /// The model's own unknown token, if it names one.
    var unkTokenName: String? {
        switch self {
        case .bpe(let m): return m.unkToken
        case .wordPiece(let m): return m.unkToken
        case .wordLevel(let m): return m.unkToken
        }
    }

    func id(of token: [UInt8]) -> Int32? {
        switch self {
        case .bpe(let m): return m.id(of: token)
        case .wordPiece(let m): return m.id(of: token)
        case .wordLevel(let m): return m.id(of: token)
        }
    }

    /// Appends the ids of one piece to `out`. `byteLevel` says the pre-tokenizer hands over raw
    /// bytes that the model maps to GPT-2's byte alphabet first.
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, byteLevel: Bool, scratch: inout SubwordScratch,
                     into out: inout [Int32]) {
        switch self {
        case .bpe(let m): m.encodePiece(piece, byteLevel: byteLevel, merger: &scratch.merger, into: &out)
        case .wordPiece(let m):
            if byteLevel {
                scratch.mapped = ByteLevelAlphabet.map(piece)
                scratch.mapped.withUnsafeBufferPointer { m.encodePiece($0, key: &scratch.key, into: &out) }
            } else {
                m.encodePiece(piece, key: &scratch.key, into: &out)
            }
        case .wordLevel(let m):
            if byteLevel {
                ByteLevelAlphabet.map(piece).withUnsafeBufferPointer { m.encodePiece($0, into: &out) }
            } else {
                m.encodePiece(piece, into: &out)
            }
        }
    }
}

/// Per-thread working memory of the subword models, reused from piece to piece.
struct SubwordScratch {
    var merger = WordMerger()
    /// WordPiece's lookup key (prefix + substring) and a byte-level piece's characters.
    var key: [UInt8] = []
    var mapped: [UInt8] = []
}

extension SubwordModel {
    /// Reads the `model` object of a `tokenizer.json`, dispatching on its `type`.
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail, unsupported: TokenizerJSON.Fail) throws -> SubwordModel {
        let type = model["type"]?.string ?? "BPE"
        switch type {
        case "BPE": return .bpe(try BPEModel.fromJSON(model, invalid: invalid, unsupported: unsupported))
        case "WordPiece": return .wordPiece(try WordPieceModel.fromJSON(model, invalid: invalid))
        case "WordLevel": return .wordLevel(try WordLevelModel.fromJSON(model, invalid: invalid))
        default: throw unsupported("model: unsupported model type \"\(type)\" (supported: BPE, WordPiece, WordLevel)")
        }
    }

    /// The `model` object for `tokenizer.json`.
    func json() -> JSONValue {
        switch self {
        case .bpe(let m): return m.json()
        case .wordPiece(let m): return m.json()
        case .wordLevel(let m): return m.json()
        }
    }
}
