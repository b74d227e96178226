// The post-processor stage (Hugging Face's `post_processor`): special tokens put around one
// sequence or a pair, and the token type ids (segment ids) BERT-family models take. Read from
// and written to `tokenizer.json` here too.
import JSONText

/// Token ids of an encoded text (or pair), with the type id of each.
public struct Encoding: Equatable, Sendable {
    public var ids: [Int32]
    /// 0 for the first sequence, 1 for the second, as the post-processor assigns them.
    public var typeIDs: [Int32]

    public init(ids: [Int32], typeIDs: [Int32]) {
        self.ids = ids
        self.typeIDs = typeIDs
    }
}

/// One element of a `TemplateProcessing` template.
public enum TemplatePiece: Equatable, Sendable {
    /// The first (`A`) or second (`B`) sequence.
    case sequence(second: Bool, typeID: Int32)
    case special(name: String, typeID: Int32)
}

/// A special token of a template: its name and the ids it stands for (one or more).
public struct TemplateSpecialToken: Equatable, Sendable {
    public var name: String
    public var ids: [Int32]
    public var tokens: [String]
}

public enum PostProcessorStep: Equatable, Sendable {
    case template(single: [TemplatePiece], pair: [TemplatePiece], specialTokens: [TemplateSpecialToken])
    /// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` with B's part typed 1.
    case bert(cls: String, clsID: Int32, sep: String, sepID: Int32)
    /// `<s> A </s>` and `<s> A </s> </s> B </s>`, every type id 0.
    case roberta(cls: String, clsID: Int32, sep: String, sepID: Int32, trimOffsets: Bool, addPrefixSpace: Bool)
    /// Adjusts offsets only, which this library does not report.
    case byteLevel(addPrefixSpace: Bool, trimOffsets: Bool, useRegex: Bool)

    /// `bos A eos` and `bos A B eos` (either token absent where nil), as SentencePiece's
    /// add_bos/add_eos and MarianTokenizer put them.
    static func around(bos: Int32?, eos: Int32?, names: SpecialTokens) -> [PostProcessorStep] {
        var specials: [TemplateSpecialToken] = []
        var front: [TemplatePiece] = [], back: [TemplatePiece] = []
        if let bos, let name = names.bos {
            specials.append(TemplateSpecialToken(name: name, ids: [bos], tokens: [name]))
            front.append(.special(name: name, typeID: 0))
        }
        if let eos, let name = names.eos {
            specials.append(TemplateSpecialToken(name: name, ids: [eos], tokens: [name]))
            back.append(.special(name: name, typeID: 0))
        }
        let a = TemplatePiece.sequence(second: false, typeID: 0), b = TemplatePiece.sequence(second: true, typeID: 0)
        return [.template(single: front + [a] + back, pair: front + [a, b] + back, specialTokens: specials)]
    }

    /// Runs `steps` over the encoded sequences (one or two) and joins them.
    static func apply(_ steps: [PostProcessorStep], _ sequences: [Encoding], addSpecial: Bool) -> Encoding {
        var parts = sequences
        for step in steps { parts = step.process(parts, addSpecial: addSpecial) }
        return Encoding(ids: parts.flatMap(\.ids), typeIDs: parts.flatMap(\.typeIDs))
    }

    private func process(_ parts: [Encoding], addSpecial: Bool) -> [Encoding] {
        func special(_ id: Int32, _ type: Int32) -> Encoding { Encoding(ids: [id], typeIDs: [type]) }
        switch self {
        case .byteLevel:
            return parts
        case let .template(single, pair, specials):
            let template = parts.count > 1 ? pair : single
            var out: [Encoding] = []
            for piece in template {
                switch piece {
                case let .sequence(second, type):
                    let k = second ? 1 : 0
                    guard k < parts.count else { continue }
                    out.append(Encoding(ids: parts[k].ids, typeIDs: Array(repeating: type, count: parts[k].ids.count)))
                case let .special(name, type):
                    guard addSpecial, let ids = specials.first(where: { $0.name == name })?.ids else { continue }
                    out.append(Encoding(ids: ids, typeIDs: Array(repeating: type, count: ids.count)))
                }
            }
            return out
        case let .bert(_, cls, _, sep):
            guard addSpecial else { return parts }
            var out = [special(cls, 0), parts[0], special(sep, 0)]
            if parts.count > 1 { out += [parts[1], special(sep, 1)] }
            return out
        case let .roberta(_, cls, _, sep, _, _):
            let zeroed = parts.map { Encoding(ids: $0.ids, typeIDs: Array(repeating: 0, count: $0.ids.count)) }
            guard addSpecial else { return zeroed }
            var out = [special(cls, 0), zeroed[0], special(sep, 0)]
            if zeroed.count > 1 { out += [special(sep, 0), zeroed[1], special(sep, 0)] }
            return out
        }
    }

    /// Every id the step can add, to check against the vocabulary.
    var ids: [Int32] {
        switch self {
        case .byteLevel: return []
        case let .template(_, _, specials): return specials.flatMap(\.ids)
        case let .bert(_, cls, _, sep), let .roberta(_, cls, _, sep, _, _): return [cls, sep]
        }
    }
}

extension TokenizerJSON {
    static func postProcessor(_ j: JSONValue?, _ unsupported: Fail, _ invalid: Fail) throws -> [PostProcessorStep] {
        try flatten(j, "processors", path: "post_processor").map { (p, path) in
            func fail(_ why: String) -> TokenizationError { invalid("\(path): \(why)") }
            func named(_ key: String) throws -> (String, Int32) {
                guard let pair = p[key]?.array, pair.count == 2, let name = pair[0].string, let id = pair[1].int,
                      (0..<maxID).contains(id) else { throw fail("\"\(key)\" is not [token, id]") }
                return (name, Int32(id))
            }
            let type = p["type"]?.string ?? "?"
            switch type {
            case "ByteLevel":
                return .byteLevel(addPrefixSpace: p["add_prefix_space"]?.bool ?? true, trimOffsets: p["trim_offsets"]?.bool ?? true,
                                  useRegex: p["use_regex"]?.bool ?? true)
            case "BertProcessing":
                let (cls, sep) = (try named("cls"), try named("sep"))
                return .bert(cls: cls.0, clsID: cls.1, sep: sep.0, sepID: sep.1)
            case "RobertaProcessing":
                let (cls, sep) = (try named("cls"), try named("sep"))
                return .roberta(cls: cls.0, clsID: cls.1, sep: sep.0, sepID: sep.1, trimOffsets: p["trim_offsets"]?.bool ?? true,
                                addPrefixSpace: p["add_prefix_space"]?.bool ?? true)
            case "TemplateProcessing":
                var specials: [TemplateSpecialToken] = []
                if case let .object(members)? = p["special_tokens"] {
                    for (name, t) in members {
                        guard let ids = t["ids"]?.array else { throw fail("special token \"\(name)\" has no \"ids\"") }
                        let values = try ids.map { v -> Int32 in
                            guard let i = v.int, (0..<maxID).contains(i) else { throw fail("special token \"\(name)\" has an id outside 0..<\(maxID)") }
                            return Int32(i)
                        }
                        specials.append(TemplateSpecialToken(name: t["id"]?.string ?? name, ids: values,
                                                             tokens: t["tokens"]?.array?.compactMap(\.string) ?? []))
                    }
                }
                func template(_ key: String) throws -> [TemplatePiece] {
                    guard let items = p[key]?.array else { return [] }
                    return try items.map { item in
                        if let s = item["Sequence"] {
                            let id = s["id"]?.string ?? "A"
                            guard id == "A" || id == "B" else { throw fail("\(key) names sequence \"\(id)\" (A or B)") }
                            return .sequence(second: id == "B", typeID: Int32(clamping: s["type_id"]?.int ?? 0))
                        }
                        guard let s = item["SpecialToken"], let name = s["id"]?.string else { throw fail("\(key) has a piece that is neither Sequence nor SpecialToken") }
                        guard specials.contains(where: { $0.name == name }) else { throw fail("\(key) uses \"\(name)\", which special_tokens lacks") }
                        return .special(name: name, typeID: Int32(clamping: s["type_id"]?.int ?? 0))
                    }
                }
                return .template(single: try template("single"), pair: try template("pair"), specialTokens: specials)
            default:
                throw unsupported("\(path): unsupported post-processor type \"\(type)\"")
            }
        }
    }

    static func json(_ step: PostProcessorStep) -> JSONValue {
        func pair(_ name: String, _ id: Int32) -> JSONValue { .array([.string(name), .integer(id)]) }
        switch step {
        case let .byteLevel(prefix, trim, regex):
            return .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(prefix)), ("trim_offsets", .bool(trim)),
                            ("use_regex", .bool(regex))])
        case let .bert(cls, clsID, sep, sepID):
            return .object([("type", .string("BertProcessing")), ("sep", pair(sep, sepID)), ("cls", pair(cls, clsID))])
        case let .roberta(cls, clsID, sep, sepID, trim, prefix):
            return .object([("type", .string("RobertaProcessing")), ("sep", pair(sep, sepID)), ("cls", pair(cls, clsID)),
                            ("trim_offsets", .bool(trim)), ("add_prefix_space", .bool(prefix))])
        case let .template(single, pairTemplate, specials):
            func pieces(_ t: [TemplatePiece]) -> JSONValue {
                .array(t.map { piece in
                    switch piece {
                    case let .sequence(second, type):
                        return .object([("Sequence", .object([("id", .string(second ? "B" : "A")), ("type_id", .integer(type))]))])
                    case let .special(name, type):
                        return .object([("SpecialToken", .object([("id", .string(name)), ("type_id", .integer(type))]))])
                    }
                })
            }
            let tokens = JSONValue.object(specials.map { s in
                (s.name, .object([("id", .string(s.name)), ("ids", .array(s.ids.map { .integer($0) })),
                                  ("tokens", .array(s.tokens.map { .string($0) }))]))
            })
            return .object([("type", .string("TemplateProcessing")), ("single", pieces(single)), ("pair", pieces(pairTemplate)),
                            ("special_tokens", tokens)])
        }
    }
}
