// A trained Unigram vocabulary and the `tokenizer.json` around it, written as Hugging Face's
// `SentencePieceUnigramTokenizer` builds it: normalizers Nmt, NFKC and Replace(" {2,}" → " "),
// the Metaspace pre-tokenizer and decoder (▁, prepended always), the `Unigram` model with
// [piece, score] pairs; plus this project's `<bos> $A <eos>` template.
import JSONText

/// What `UnigramTrainer` learns: pieces with their log-probability scores, in id order.
public struct UnigramVocabulary: Sendable {
    /// Special tokens (score 0), byte pieces if `byteFallback` (score 0), then pieces by score.
    public let pieces: [(piece: String, score: Double)]
    public let specialTokens: SpecialTokens
    public let byteFallback: Bool
    /// The E steps of training, in order.
    public let rounds: [UnigramRound]

    public var unkID: Int { specialTokens.unk.flatMap(specialTokens.inIDOrder.firstIndex(of:)) ?? 0 }

    /// The number of special and byte pieces before the learned ones.
    public var reservedCount: Int { specialTokens.inIDOrder.count + (byteFallback ? 256 : 0) }

    static func bytePiece(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "<0x\(hex[Int(b >> 4)])\(hex[Int(b & 15)])>"
    }

    static func isBytePiece(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return u.count == 6 && s.hasPrefix("<0x") && s.hasSuffix(">") && u[3...4].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) }
    }

    /// Writes `tokenizer.json` atomically.
    public func save(to path: String) throws {
        try FileIO.writeAtomically(path, jsonDocument())
    }

    /// The `tokenizer.json` document.
    public func jsonDocument() -> [UInt8] {
        let names = specialTokens.inIDOrder
        let added = JSONValue.array(names.enumerated().map { id, content in
            .object([("id", .integer(id)), ("content", .string(content)), ("single_word", .bool(false)),
                     ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                     ("special", .bool(true))])
        })
        let normalizer = JSONValue.object([("type", .string("Sequence")), ("normalizers", .array([
            .object([("type", .string("Nmt"))]),
            .object([("type", .string("NFKC"))]),
            .object([("type", .string("Replace")), ("pattern", .object([("Regex", .string(" {2,}"))])), ("content", .string(" "))]),
        ]))])
        let metaspace: [(key: String, value: JSONValue)] = [
            ("type", .string("Metaspace")), ("replacement", .string("▁")), ("prepend_scheme", .string("always")), ("split", .bool(true)),
        ]
        let decoder: JSONValue = byteFallback
            ? .object([("type", .string("Sequence")), ("decoders", .array([.object([("type", .string("ByteFallback"))]), .object(metaspace)]))])
            : .object(metaspace)
        let vocab = JSONValue.array(pieces.map { .array([.string($0.piece), .number(UnigramVocabulary.scoreText($0.score))]) })
        let root = JSONValue.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", added),
            ("normalizer", normalizer),
            ("pre_tokenizer", .object(metaspace)),
            ("post_processor", postProcessor()),
            ("decoder", decoder),
            ("model", .object([("type", .string("Unigram")), ("unk_id", .integer(unkID)), ("vocab", vocab),
                               ("byte_fallback", .bool(byteFallback))])),
        ])
        var out: [UInt8] = []
        root.writePretty(to: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    /// A score as a JSON number: shortest round-trip digits, always with a fraction or exponent.
    private static func scoreText(_ x: Double) -> String {
        let s = "\(x)"
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    }

    /// `<bos> $A <eos>` (and `<bos> $A <eos> <bos> $B <eos>` for pairs), as the BPE trainer writes it.
    private func postProcessor() -> JSONValue {
        let bos = specialTokens.bos ?? "", eos = specialTokens.eos ?? ""  // training requires both
        func token(_ name: String) -> TemplateSpecialToken {
            TemplateSpecialToken(name: name, ids: [Int32(specialTokens.inIDOrder.firstIndex(of: name) ?? 0)], tokens: [name])
        }
        let single: [TemplatePiece] = [.special(name: bos, typeID: 0), .sequence(second: false, typeID: 0), .special(name: eos, typeID: 0)]
        let pair = single + [.special(name: bos, typeID: 1), .sequence(second: true, typeID: 1), .special(name: eos, typeID: 1)]
        return TokenizerJSON.json(.template(single: single, pair: pair, specialTokens: [token(bos), token(eos)]))
    }
}
