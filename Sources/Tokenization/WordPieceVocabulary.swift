// A trained WordPiece vocabulary and the BERT `tokenizer.json` around it, written as Hugging
// Face's `BertWordPieceTokenizer` builds it: BertNormalizer, BertPreTokenizer, a
// `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B [SEP]` template, the WordPiece model and decoder.
import JSONText

/// What `WordPieceTrainer` learns: token strings in id order, special tokens first.
public struct WordPieceVocabulary: Sendable {
    /// Token strings by id; continuing pieces carry `continuingSubwordPrefix`.
    public let tokens: [String]
    /// The first `specialTokenCount` tokens are special.
    public let specialTokenCount: Int
    public let padToken: String
    public let unkToken: String
    public let clsToken: String
    public let sepToken: String
    public let continuingSubwordPrefix: String
    public let normalization: BertNormalization

    /// The roles to load the tokenizer with: [CLS] opens a sequence, [SEP] closes it.
    public var specialTokenRoles: SpecialTokens {
        SpecialTokens(inIDOrder: Array(tokens.prefix(specialTokenCount)), pad: padToken, bos: clsToken, eos: sepToken, unk: unkToken)
    }

    /// Writes `tokenizer.json` atomically.
    public func save(to path: String) throws {
        try FileIO.writeAtomically(path, jsonDocument())
    }

    /// The `tokenizer.json` document.
    public func jsonDocument() -> [UInt8] {
        let added = JSONValue.array(tokens.prefix(specialTokenCount).enumerated().map { id, content in
            .object([("id", .integer(id)), ("content", .string(content)), ("single_word", .bool(false)),
                     ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                     ("special", .bool(true))])
        })
        let n = normalization
        let normalizer = JSONValue.object([
            ("type", .string("BertNormalizer")), ("clean_text", .bool(n.cleanText)),
            ("handle_chinese_chars", .bool(n.handleChineseChars)), ("strip_accents", n.stripAccents.map(JSONValue.bool) ?? .null),
            ("lowercase", .bool(n.lowercase)),
        ])
        let vocab = JSONValue.object(tokens.enumerated().map { ($1, .integer($0)) })
        let root = JSONValue.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", added),
            ("normalizer", normalizer),
            ("pre_tokenizer", .object([("type", .string("BertPreTokenizer"))])),
            ("post_processor", postProcessor()),
            ("decoder", .object([("type", .string("WordPiece")), ("prefix", .string(continuingSubwordPrefix)), ("cleanup", .bool(true))])),
            ("model", .object([
                ("type", .string("WordPiece")), ("unk_token", .string(unkToken)),
                ("continuing_subword_prefix", .string(continuingSubwordPrefix)), ("max_input_chars_per_word", .integer(100)),
                ("vocab", vocab),
            ])),
        ])
        var out: [UInt8] = []
        root.writePretty(to: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    /// BERT's template: `[CLS] A [SEP]`, and `[CLS] A [SEP] B [SEP]` with type id 1 for B.
    private func postProcessor() -> JSONValue {
        func token(_ name: String) -> TemplateSpecialToken {
            TemplateSpecialToken(name: name, ids: [Int32(tokens.firstIndex(of: name) ?? 0)], tokens: [name])
        }
        let single: [TemplatePiece] = [.special(name: clsToken, typeID: 0), .sequence(second: false, typeID: 0), .special(name: sepToken, typeID: 0)]
        let pair = single + [.sequence(second: true, typeID: 1), .special(name: sepToken, typeID: 1)]
        return TokenizerJSON.json(.template(single: single, pair: pair, specialTokens: [token(clsToken), token(sepToken)]))
    }
}
