import JSONText

// The model stage of the tokenization pipeline (Hugging Face's `model`): it turns one
// pre-tokenized piece into token ids. Each subword algorithm lives in its own file; this
// enum is the one place the pipeline dispatches on which one a tokenizer uses.

/// A subword model: how a piece becomes ids, and the token string of every id.
enum SubwordModel: Sendable {
    /// Byte-pair encoding: ranked merges of adjacent symbols (Sennrich et al.; GPT-2's byte-level form).
    case bpe(BPEModel)
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
        case .unigram(let m): return m.tokens
        case .sentencePiece(let m): return m.tokens
        case .marian(let m): return m.tokens
        }
    }

    /// The `type` this model has in `tokenizer.json`.
    var typeName: String {
        switch self {
        case .bpe: return "BPE"
        case .unigram: return "Unigram"
        case .sentencePiece: return "SentencePiece"
        case .marian: return "Marian"
        }
    }

    func id(of token: [UInt8]) -> Int32? {
        switch self {
        case .bpe(let m): return m.id(of: token)
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
        case .unigram(let m): m.encodePiece(piece, scratch: &scratch.unigram, into: &out)
        case .sentencePiece(let m): m.encodePiece(piece, scratch: &scratch.sentencePiece, into: &out)
        case .marian(let m): m.encodePiece(piece, scratch: &scratch.sentencePiece, into: &out)
        }
    }
}

/// Per-thread working memory of the subword models, reused from piece to piece.
struct SubwordScratch {
    var merger = WordMerger()
    var unigram = UnigramScratch()
    var sentencePiece = SentencePieceScratch()
}

extension SubwordModel {
    /// Reads the `model` object of a `tokenizer.json`, dispatching on its `type`.
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail, unsupported: TokenizerJSON.Fail) throws -> SubwordModel {
        let type = model["type"]?.string ?? "BPE"
        switch type {
        case "BPE": return .bpe(try BPEModel.fromJSON(model, invalid: invalid, unsupported: unsupported))
        case "Unigram": return .unigram(try UnigramModel.fromJSON(model, invalid: invalid))
        default: throw unsupported("model type \(type) (supported: BPE, Unigram)")
        }
    }

    /// The `model` object for `tokenizer.json`.
    func json() throws(NoJSONForm) -> JSONValue {
        switch self {
        case .bpe(let m): return m.json()
        case .unigram(let m): return m.json()
        case .sentencePiece: throw NoJSONForm(what: "a SentencePiece .model (keep the .model file)")
        case .marian: throw NoJSONForm(what: "a Marian tokenizer (keep its directory)")
        }
    }
}
