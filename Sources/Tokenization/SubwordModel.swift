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
    /// The unigram language model of a `tokenizer.json` (Hugging Face's `Unigram`).
    case unigram(UnigramModel)
    /// A SentencePiece `.model`: spm's normalizer and its model over whole sentences.
    case sentencePiece(SentencePieceModel)
    /// A Marian directory's source side: SentencePiece pieces mapped through vocab.json.
    case marian(MarianModel)

    /// Token string (UTF-8) of each id; empty for ids the vocabulary skips.
    var tokens: [[UInt8]] {
        switch self {
        case .bpe(let m): return m.tokens
        case .wordPiece(let m): return m.tokens
        case .wordLevel(let m): return m.tokens
        case .unigram(let m): return m.tokens
        case .sentencePiece(let m): return m.tokens
        case .marian(let m): return m.tokens
        }
    }

    /// The `type` this model has in `tokenizer.json`.
    var typeName: String {
        switch self {
        case .bpe: return "BPE"
        case .wordPiece: return "WordPiece"
        case .wordLevel: return "WordLevel"
        case .unigram: return "Unigram"
        case .sentencePiece: return "SentencePiece"
        case .marian: return "Marian"
        }
    }

    /// The model's own unknown token, if it names one.
    var unkTokenName: String? {
        switch self {
        case .bpe(let m): return m.unkToken
        case .wordPiece(let m): return m.unkToken
        case .wordLevel(let m): return m.unkToken
        case .unigram(let m): return m.unkID.map { String(decoding: m.tokens[Int($0)], as: UTF8.self) }
        case .sentencePiece(let m): return String(decoding: m.tokens[Int(m.unkID)], as: UTF8.self)
        case .marian(let m): return String(decoding: m.tokens[Int(m.unkID)], as: UTF8.self)
        }
    }

    func id(of token: [UInt8]) -> Int32? {
        switch self {
        case .bpe(let m): return m.id(of: token)
        case .wordPiece(let m): return m.id(of: token)
        case .wordLevel(let m): return m.id(of: token)
        case .unigram(let m): return token.withUnsafeBufferPointer { m.latticeID(of: $0) }
        case .sentencePiece(let m): return m.id(of: token)
        case .marian(let m): return m.id(of: token)
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
        case .unigram(let m): m.encodePiece(piece, scratch: &scratch.unigram, into: &out)
        case .sentencePiece(let m): m.encodePiece(piece, scratch: &scratch.sentencePiece, into: &out)
        case .marian(let m): m.encodePiece(piece, scratch: &scratch.sentencePiece, into: &out)
        }
    }
}

/// Per-thread working memory of the subword models, reused from piece to piece.
struct SubwordScratch {
    var merger = WordMerger()
    /// WordPiece's lookup key (prefix + substring) and a byte-level piece's characters.
    var key: [UInt8] = []
    var mapped: [UInt8] = []
    var unigram = UnigramScratch()
    var sentencePiece = SentencePieceScratch()
}

extension SubwordModel {
    /// Reads the `model` object of a `tokenizer.json`, dispatching on its `type`.
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail, unsupported: TokenizerJSON.Fail) throws -> SubwordModel {
        let type = model["type"]?.string ?? "BPE"
        switch type {
        case "BPE": return .bpe(try BPEModel.fromJSON(model, invalid: invalid, unsupported: unsupported))
        case "WordPiece": return .wordPiece(try WordPieceModel.fromJSON(model, invalid: invalid))
        case "WordLevel": return .wordLevel(try WordLevelModel.fromJSON(model, invalid: invalid))
        case "Unigram": return .unigram(try UnigramModel.fromJSON(model, invalid: invalid))
        default: throw unsupported("model: unsupported model type \"\(type)\" (supported: BPE, WordPiece, WordLevel, Unigram)")
        }
    }

    /// The `model` object for `tokenizer.json`.
    func json() throws(NoJSONForm) -> JSONValue {
        switch self {
        case .bpe(let m): return m.json()
        case .wordPiece(let m): return m.json()
        case .wordLevel(let m): return m.json()
        case .unigram(let m): return m.json()
        case .sentencePiece: throw NoJSONForm(what: "a SentencePiece .model (keep the .model file)")
        case .marian: throw NoJSONForm(what: "a Marian tokenizer (keep its directory)")
        }
    }
}
