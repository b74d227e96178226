// `tokenizer.json` ⇄ pipeline steps, for the component types we implement.
import JSONText

enum TokenizerJSON {
    typealias Fail = (String) -> TokenizationError

    /// Ids index dense tables, so a stray huge id must not allocate gigabytes.
    static let maxID = 1 << 24

    /// A `"vocab": {token: id}` object as (token bytes, id) pairs, every id in 0..<maxID.
    static func vocabulary(_ members: [(key: String, value: JSONValue)], _ invalid: Fail) throws -> [([UInt8], Int32)] {
        var vocab: [([UInt8], Int32)] = []
        vocab.reserveCapacity(members.count)
        for (token, idValue) in members {
            guard let id = idValue.int, (0..<maxID).contains(id) else { throw invalid("vocab id of \"\(token)\" is not an integer in 0..<\(maxID)") }
            vocab.append((Array(token.utf8), Int32(id)))
        }
        return vocab
    }

    static func sequence(_ key: String, _ items: [JSONValue]) -> JSONValue {
        switch items.count {
        case 0: return .null
        case 1: return items[0]
        default: return .object([("type", .string("Sequence")), (key, .array(items))])
        }
    }

    /// Flattens `Sequence` components into their parts, for any of the three pipelines.
    private static func flatten(_ j: JSONValue?, _ key: String) -> [JSONValue] {
        guard let j, !j.isNull else { return [] }
        if j["type"]?.string == "Sequence" { return (j[key]?.array ?? []).flatMap { flatten($0, key) } }
        return [j]
    }

    private static func stringPattern(_ j: JSONValue?) -> String? { j?["String"]?.string }

    // MARK: normalizer

    static func normalizer(_ j: JSONValue?, _ unsupported: Fail, _ invalid: Fail) throws -> [NormalizerStep] {
        try flatten(j, "normalizers").map { n in
            switch n["type"]?.string ?? "?" {
            case "NFC": return .nfc
            case "NFD": return .nfd
            case "NFKC": return .nfkc
            case "NFKD": return .nfkd
            case "Lowercase": return .lowercase
            case "Prepend": if let p = n["prepend"]?.string { return .prepend(p) }
            case "Precompiled":
                guard let b64 = n["precompiled_charsmap"]?.string else { throw invalid("Precompiled normalizer lacks \"precompiled_charsmap\"") }
                do throws(CharsMapError) {
                    return .precompiled(try PrecompiledCharsMap(base64: b64))
                } catch {
                    throw invalid("Precompiled normalizer: \(error.reason)")
                }
            case "Replace":
                if let p = stringPattern(n["pattern"]), let c = n["content"]?.string { return .replace(pattern: p, content: c) }
            default: break
            }
            throw unsupported("normalizer \(n["type"]?.string ?? "?")")
        }
    }

    static func json(_ step: NormalizerStep) -> JSONValue {
        switch step {
        case .nfc: return .object([("type", .string("NFC"))])
        case .nfd: return .object([("type", .string("NFD"))])
        case .nfkc: return .object([("type", .string("NFKC"))])
        case .nfkd: return .object([("type", .string("NFKD"))])
        case .lowercase: return .object([("type", .string("Lowercase"))])
        case let .prepend(p): return .object([("type", .string("Prepend")), ("prepend", .string(p))])
        case let .replace(p, c):
            return .object([("type", .string("Replace")), ("pattern", .object([("String", .string(p))])), ("content", .string(c))])
        case let .precompiled(map): return .object([("type", .string("Precompiled")), ("precompiled_charsmap", .string(map.base64))])
        }
    }

    // MARK: pre-tokenizer

    static func preTokenizer(_ j: JSONValue?, _ unsupported: Fail) throws -> [PreTokenizerStep] {
        try flatten(j, "pretokenizers").map { p in
            let type = p["type"]?.string ?? "?"
            let behavior = p["behavior"]?.string.flatMap(SplitBehavior.init(rawValue:))
            switch type {
            case "ByteLevel":
                return .byteLevel(addPrefixSpace: p["add_prefix_space"]?.bool ?? true, useRegex: p["use_regex"]?.bool ?? true)
            case "Whitespace": return .whitespace
            case "WhitespaceSplit": return .whitespaceSplit
            case "Punctuation": return .punctuation(behavior ?? .isolated)
            case "Metaspace":
                guard let r = p["replacement"]?.string else { break }
                var scheme = p["prepend_scheme"]?.string.flatMap(PrependScheme.init(rawValue:)) ?? .always
                if p["prepend_scheme"] == nil, let add = p["add_prefix_space"]?.bool { scheme = add ? .always : .never }
                return .metaspace(replacement: r, prependScheme: scheme, split: p["split"]?.bool ?? true)
            case "Split":
                guard let behavior else { break }
                let invert = p["invert"]?.bool ?? false
                if let s = stringPattern(p["pattern"]), !s.isEmpty { return .split(.literal(s), behavior, invert: invert) }
                if p["pattern"]?["Regex"]?.string == Tokenizer.gpt2Pattern { return .split(.gpt2, behavior, invert: invert) }
                throw unsupported("Split pattern \(p["pattern"].map { j in var o: [UInt8] = []; j.write(to: &o); return String(decoding: o, as: UTF8.self) } ?? "?") (only literal strings and GPT-2's regex)")
            default: break
            }
            throw unsupported("pre-tokenizer \(type)")
        }
    }

    static func json(_ step: PreTokenizerStep) -> JSONValue {
        switch step {
        case let .split(pattern, behavior, invert):
            let pat: JSONValue
            switch pattern {
            case let .literal(s): pat = .object([("String", .string(s))])
            case .gpt2: pat = .object([("Regex", .string(Tokenizer.gpt2Pattern))])
            }
            return .object([("type", .string("Split")), ("pattern", pat), ("behavior", .string(behavior.rawValue)),
                            ("invert", .bool(invert))])
        case let .punctuation(b): return .object([("type", .string("Punctuation")), ("behavior", .string(b.rawValue))])
        case .whitespace: return .object([("type", .string("Whitespace"))])
        case .whitespaceSplit: return .object([("type", .string("WhitespaceSplit"))])
        case let .metaspace(r, scheme, split):
            return .object([("type", .string("Metaspace")), ("replacement", .string(r)),
                            ("prepend_scheme", .string(scheme.rawValue)), ("split", .bool(split))])
        case let .byteLevel(addPrefixSpace, useRegex):
            return .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
                            ("trim_offsets", .bool(true)), ("use_regex", .bool(useRegex))])
        }
    }

    // MARK: decoder

    static func decoder(_ j: JSONValue?, _ unsupported: Fail) throws -> [DecoderStep] {
        try flatten(j, "decoders").map { d in
            switch d["type"]?.string ?? "?" {
            case "ByteLevel": return .byteLevel
            case "Fuse": return .fuse
            case "ByteFallback": return .byteFallback
            case "Metaspace":
                guard let r = d["replacement"]?.string else { break }
                var scheme = d["prepend_scheme"]?.string.flatMap(PrependScheme.init(rawValue:)) ?? .always
                if d["prepend_scheme"] == nil, let add = d["add_prefix_space"]?.bool { scheme = add ? .always : .never }
                return .metaspace(replacement: r, prependScheme: scheme)
            case "Strip":
                if let c = d["content"]?.string, let s = d["start"]?.int, let e = d["stop"]?.int {
                    return .strip(content: c, start: s, stop: e)
                }
            case "Replace":
                if let p = stringPattern(d["pattern"]), let c = d["content"]?.string { return .replace(pattern: p, content: c) }
            default: break
            }
            throw unsupported("decoder \(d["type"]?.string ?? "?")")
        }
    }

    static func json(_ step: DecoderStep) throws(NoJSONForm) -> JSONValue {
        switch step {
        case .byteLevel:
            return .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(true)),
                            ("use_regex", .bool(true))])
        case .fuse: return .object([("type", .string("Fuse"))])
        case .byteFallback: return .object([("type", .string("ByteFallback"))])
        case let .metaspace(r, scheme):
            return .object([("type", .string("Metaspace")), ("replacement", .string(r)),
                            ("prepend_scheme", .string(scheme.rawValue)), ("split", .bool(true))])
        case let .strip(c, s, e):
            return .object([("type", .string("Strip")), ("content", .string(c)), ("start", .integer(s)),
                            ("stop", .integer(e))])
        case let .replace(p, c):
            return .object([("type", .string("Replace")), ("pattern", .object([("String", .string(p))])), ("content", .string(c))])
        case .sentencePiece: throw NoJSONForm(what: "SentencePiece's decoder")
        case .marian: throw NoJSONForm(what: "MarianTokenizer's decoder")
        }
    }

    // MARK: post-processor

    /// The special ids put before and after a single sequence.
    static func postProcessor(_ j: JSONValue?, _ unsupported: Fail, _ invalid: Fail) throws -> ([Int32], [Int32]) {
        var prefix: [Int32] = [], suffix: [Int32] = []
        for p in flatten(j, "processors") {
            switch p["type"]?.string ?? "?" {
            case "ByteLevel": continue  // only adjusts offsets
            case "RobertaProcessing", "BertProcessing":
                guard let cls = p["cls"]?.array?.last?.int, let sep = p["sep"]?.array?.last?.int else {
                    throw invalid("post-processor lacks cls/sep")
                }
                prefix = [Int32(cls)]; suffix = [Int32(sep)]
            case "TemplateProcessing":
                guard let single = p["single"]?.array else { throw invalid("TemplateProcessing lacks \"single\"") }
                var seenSequence = false
                prefix = []; suffix = []
                for piece in single {
                    if piece["Sequence"] != nil { seenSequence = true; continue }
                    guard let name = piece["SpecialToken"]?["id"]?.string,
                          let ids = p["special_tokens"]?[name]?["ids"]?.array else {
                        throw invalid("TemplateProcessing names an undefined special token")
                    }
                    let values = try ids.map { v -> Int32 in
                        guard let i = v.int, i >= 0, i < Int(Int32.max) else { throw invalid("bad special token id") }
                        return Int32(i)
                    }
                    if seenSequence { suffix += values } else { prefix += values }
                }
            default: throw unsupported("post-processor \(p["type"]?.string ?? "?")")
            }
        }
        return (prefix, suffix)
    }
}
