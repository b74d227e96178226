// `tokenizer.json` ⇄ pipeline steps, for the component types we implement.
import JSONText

enum TokenizerJSON {
    typealias Fail = (String) -> TokenizationError

    /// Ids index dense tables, so a stray huge id must not allocate gigabytes.
    static let maxID = 1 << 24

    /// A `"vocab": {token: id}` object as (token bytes, id) pairs, every id in 0..<maxID, no
    /// token or id twice.
    static func vocabulary(_ members: [(key: String, value: JSONValue)], _ invalid: Fail) throws -> [([UInt8], Int32)] {
        var vocab: [([UInt8], Int32)] = []
        vocab.reserveCapacity(members.count)
        var seen = ByteStringTable(capacity: members.count)
        var owner: [Int32: String] = [:]
        for (token, idValue) in members {
            guard let id = idValue.int, (0..<maxID).contains(id) else { throw invalid("vocab id of \"\(token)\" is not an integer in 0..<\(maxID)") }
            let bytes = Array(token.utf8)
            if !bytes.withUnsafeBufferPointer({ seen.insert($0).inserted }) { throw invalid("vocab lists \"\(token)\" twice") }
            if let other = owner.updateValue(token, forKey: Int32(id)) { throw invalid("vocab gives id \(id) to both \"\(other)\" and \"\(token)\"") }
            vocab.append((bytes, Int32(id)))
        }
        if let top = vocab.map(\.1).max(), Int(top) >= sparseLimit(vocab.count) {
            throw invalid("vocab ids reach \(top) for only \(vocab.count) tokens")
        }
        return vocab
    }

    /// Ids index dense tables: a vocabulary may skip ids, but not so many that its tables dwarf it.
    static func sparseLimit(_ count: Int) -> Int { 2 * count + 65_536 }

    /// The `"vocab"` object of a model: tokens in id order.
    static func vocabularyJSON(_ tokens: [[UInt8]]) -> JSONValue {
        var vocab: [(key: String, value: JSONValue)] = []
        for (id, token) in tokens.enumerated() where !token.isEmpty {
            vocab.append((String(decoding: token, as: UTF8.self), .integer(id)))
        }
        return .object(vocab)
    }

    static func sequence(_ key: String, _ items: [JSONValue]) -> JSONValue {
        switch items.count {
        case 0: return .null
        case 1: return items[0]
        default: return .object([("type", .string("Sequence")), (key, .array(items))])
        }
    }

    /// Flattens `Sequence` components into their parts, each with its path in the file
    /// (`pre_tokenizer.pretokenizers[2]`), for any of the pipelines.
    static func flatten(_ j: JSONValue?, _ key: String, path: String) -> [(JSONValue, String)] {
        guard let j, !j.isNull else { return [] }
        if j["type"]?.string == "Sequence" {
            return (j[key]?.array ?? []).enumerated().flatMap { flatten($1, key, path: "\(path).\(key)[\($0)]") }
        }
        return [(j, path)]
    }

    private static func stringPattern(_ j: JSONValue?) -> String? { j?["String"]?.string }

    /// A `{"Regex": …}` pattern compiled, or an error naming where it is.
    private static func regexPattern(_ j: JSONValue?, _ path: String, _ invalid: Fail) throws -> TokenRegex? {
        guard let r = j?["Regex"]?.string else { return nil }
        do throws(RegexSyntaxError) { return try TokenRegex(r) } catch { throw invalid("\(path).pattern: \(error)") }
    }

    private static func patternText(_ j: JSONValue?) -> String {
        guard let j else { return "nothing" }
        var o: [UInt8] = []
        j.write(to: &o)
        return String(decoding: o, as: UTF8.self)
    }

    // MARK: normalizer

    static func normalizer(_ j: JSONValue?, _ unsupported: Fail, _ invalid: Fail) throws -> [NormalizerStep] {
        try flatten(j, "normalizers", path: "normalizer").map { (n, path) in
            let type = n["type"]?.string ?? "?"
            switch type {
            case "NFC": return .nfc
            case "NFD": return .nfd
            case "NFKC": return .nfkc
            case "NFKD": return .nfkd
            case "Lowercase": return .lowercase
            case "StripAccents": return .stripAccents
            case "Nmt": return .nmt
            case "Strip": return .strip(left: n["strip_left"]?.bool ?? true, right: n["strip_right"]?.bool ?? true)
            case "BertNormalizer":
                return .bert(cleanText: n["clean_text"]?.bool ?? true, handleChineseChars: n["handle_chinese_chars"]?.bool ?? true,
                             stripAccents: n["strip_accents"]?.bool, lowercase: n["lowercase"]?.bool ?? true)
            case "Prepend": if let p = n["prepend"]?.string { return .prepend(p) }
            case "Precompiled":
                guard let b64 = n["precompiled_charsmap"]?.string else { throw invalid("\(path): Precompiled normalizer lacks \"precompiled_charsmap\"") }
                do throws(CharsMapError) {
                    return .precompiled(try PrecompiledCharsMap(base64: b64))
                } catch {
                    throw invalid("\(path): Precompiled normalizer: \(error.reason)")
                }
            case "Replace":
                guard let c = n["content"]?.string else { break }
                if let p = stringPattern(n["pattern"]) { return .replace(pattern: p, content: c) }
                if let r = try regexPattern(n["pattern"], path, invalid) { return .replaceRegex(r, content: c) }
            default: throw unsupported("\(path): unsupported normalizer type \"\(type)\"")
            }
            throw invalid("\(path): \(type) normalizer lacks a required field")
        }
    }

    static func json(_ step: NormalizerStep) -> JSONValue {
        switch step {
        case .nfc: return .object([("type", .string("NFC"))])
        case .nfd: return .object([("type", .string("NFD"))])
        case .nfkc: return .object([("type", .string("NFKC"))])
        case .nfkd: return .object([("type", .string("NFKD"))])
        case .lowercase: return .object([("type", .string("Lowercase"))])
        case .stripAccents: return .object([("type", .string("StripAccents"))])
        case .nmt: return .object([("type", .string("Nmt"))])
        case let .strip(l, r): return .object([("type", .string("Strip")), ("strip_left", .bool(l)), ("strip_right", .bool(r))])
        case let .bert(clean, chinese, strip, lower):
            return .object([("type", .string("BertNormalizer")), ("clean_text", .bool(clean)), ("handle_chinese_chars", .bool(chinese)),
                            ("strip_accents", strip.map(JSONValue.bool) ?? .null), ("lowercase", .bool(lower))])
        case let .prepend(p): return .object([("type", .string("Prepend")), ("prepend", .string(p))])
        case let .replace(p, c):
            return .object([("type", .string("Replace")), ("pattern", .object([("String", .string(p))])), ("content", .string(c))])
        case let .replaceRegex(r, c):
            return .object([("type", .string("Replace")), ("pattern", .object([("Regex", .string(r.pattern))])), ("content", .string(c))])
        case let .precompiled(map): return .object([("type", .string("Precompiled")), ("precompiled_charsmap", .string(map.base64))])
        }
    }

    // MARK: pre-tokenizer

    static func preTokenizer(_ j: JSONValue?, _ unsupported: Fail, _ invalid: Fail) throws -> [PreTokenizerStep] {
        try flatten(j, "pretokenizers", path: "pre_tokenizer").map { (p, path) in
            let type = p["type"]?.string ?? "?"
            let behaviorName = p["behavior"]?.string
            let behavior = behaviorName.flatMap(SplitBehavior.init(rawValue:))
            if let behaviorName, behavior == nil { throw invalid("\(path): unknown split behavior \"\(behaviorName)\"") }
            switch type {
            case "ByteLevel":
                return .byteLevel(addPrefixSpace: p["add_prefix_space"]?.bool ?? true, useRegex: p["use_regex"]?.bool ?? true)
            case "Whitespace": return .whitespace
            case "WhitespaceSplit": return .whitespaceSplit
            case "BertPreTokenizer": return .bert
            case "Digits": return .digits(individual: p["individual_digits"]?.bool ?? false)
            case "CharDelimiterSplit":
                if let d = p["delimiter"]?.string, d.unicodeScalars.count == 1 { return .charDelimiter(d) }
            case "Punctuation": return .punctuation(behavior ?? .isolated)
            case "Metaspace":
                guard let r = p["replacement"]?.string else { break }
                var scheme = PrependScheme.always
                if let name = p["prepend_scheme"]?.string {
                    guard let s = PrependScheme(rawValue: name) else { throw invalid("\(path): unknown prepend_scheme \"\(name)\"") }
                    scheme = s
                }
                if p["add_prefix_space"]?.bool == false {
                    if p["prepend_scheme"] != nil && scheme != .never { throw invalid("\(path): add_prefix_space does not match prepend_scheme") }
                    scheme = .never
                }
                return .metaspace(replacement: r, prependScheme: scheme, split: p["split"]?.bool ?? true)
            case "Split":
                guard let behavior else { break }
                let invert = p["invert"]?.bool ?? false
                if let s = stringPattern(p["pattern"]) { return .split(.literal(s), behavior, invert: invert) }
                if p["pattern"]?["Regex"]?.string == Tokenizer.gpt2Pattern { return .split(.gpt2, behavior, invert: invert) }
                if let r = try regexPattern(p["pattern"], path, invalid) { return .split(.regex(r), behavior, invert: invert) }
                throw invalid("\(path): Split pattern is \(patternText(p["pattern"])), not {\"String\": …} or {\"Regex\": …}")
            default: throw unsupported("\(path): unsupported pre-tokenizer type \"\(type)\"")
            }
            throw invalid("\(path): \(type) pre-tokenizer lacks a required field")
        }
    }

    static func json(_ step: PreTokenizerStep) -> JSONValue {
        switch step {
        case let .split(pattern, behavior, invert):
            let pat: JSONValue
            switch pattern {
            case let .literal(s): pat = .object([("String", .string(s))])
            case .gpt2: pat = .object([("Regex", .string(Tokenizer.gpt2Pattern))])
            case let .regex(r): pat = .object([("Regex", .string(r.pattern))])
            }
            return .object([("type", .string("Split")), ("pattern", pat), ("behavior", .string(behavior.rawValue)),
                            ("invert", .bool(invert))])
        case let .punctuation(b): return .object([("type", .string("Punctuation")), ("behavior", .string(b.rawValue))])
        case .whitespace: return .object([("type", .string("Whitespace"))])
        case .whitespaceSplit: return .object([("type", .string("WhitespaceSplit"))])
        case .bert: return .object([("type", .string("BertPreTokenizer"))])
        case let .digits(individual): return .object([("type", .string("Digits")), ("individual_digits", .bool(individual))])
        case let .charDelimiter(d): return .object([("type", .string("CharDelimiterSplit")), ("delimiter", .string(d))])
        case let .metaspace(r, scheme, split):
            return .object([("type", .string("Metaspace")), ("replacement", .string(r)),
                            ("prepend_scheme", .string(scheme.rawValue)), ("split", .bool(split))])
        case let .byteLevel(addPrefixSpace, useRegex):
            return .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
                            ("trim_offsets", .bool(true)), ("use_regex", .bool(useRegex))])
        }
    }

    // MARK: decoder

    static func decoder(_ j: JSONValue?, _ unsupported: Fail, _ invalid: Fail) throws -> [DecoderStep] {
        try flatten(j, "decoders", path: "decoder").map { (d, path) in
            let type = d["type"]?.string ?? "?"
            switch type {
            case "ByteLevel": return .byteLevel
            case "Fuse": return .fuse
            case "ByteFallback": return .byteFallback
            case "Metaspace":
                guard let r = d["replacement"]?.string else { break }
                var scheme = d["prepend_scheme"]?.string.flatMap(PrependScheme.init(rawValue:)) ?? .always
                if d["add_prefix_space"]?.bool == false { scheme = .never }
                return .metaspace(replacement: r, prependScheme: scheme)
            case "Strip":
                if let c = d["content"]?.string, let s = d["start"]?.int, let e = d["stop"]?.int, s >= 0, e >= 0 {
                    return .strip(content: c, start: s, stop: e)
                }
            case "Replace":
                guard let c = d["content"]?.string else { break }
                if let p = stringPattern(d["pattern"]) { return .replace(pattern: p, content: c) }
                if let r = try regexPattern(d["pattern"], path, invalid) { return .replaceRegex(r, content: c) }
            case "WordPiece": return .wordPiece(prefix: d["prefix"]?.string ?? "##", cleanup: d["cleanup"]?.bool ?? true)
            case "BPEDecoder": return .bpe(suffix: d["suffix"]?.string ?? "</w>")
            case "CTC":
                return .ctc(padToken: d["pad_token"]?.string ?? "<pad>", wordDelimiter: d["word_delimiter_token"]?.string ?? "|",
                            cleanup: d["cleanup"]?.bool ?? true)
            default: throw unsupported("\(path): unsupported decoder type \"\(type)\"")
            }
            throw invalid("\(path): \(type) decoder lacks a required field")
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
        case let .replaceRegex(r, c):
            return .object([("type", .string("Replace")), ("pattern", .object([("Regex", .string(r.pattern))])), ("content", .string(c))])
        case let .wordPiece(p, cleanup):
            return .object([("type", .string("WordPiece")), ("prefix", .string(p)), ("cleanup", .bool(cleanup))])
        case let .bpe(suffix): return .object([("type", .string("BPEDecoder")), ("suffix", .string(suffix))])
        case let .ctc(pad, delimiter, cleanup):
            return .object([("type", .string("CTC")), ("pad_token", .string(pad)), ("word_delimiter_token", .string(delimiter)),
                            ("cleanup", .bool(cleanup))])
        case .sentencePiece: throw NoJSONForm(what: "SentencePiece's decoder")
        case .marian: throw NoJSONForm(what: "MarianTokenizer's decoder")
        }
    }
}
