// A Hugging Face model directory's config.json (and generation_config.json) as read here: typed
// values by key, each problem an error naming the file and the key, and the model_type and
// architectures entries that say which of the supported architectures the directory holds.
import Foundation
import JSONText
import Models

/// The Hugging Face architectures this package runs on its own layers (config.json "architectures").
public enum HubArchitecture: String, CaseIterable, Sendable {
    case marianMT = "MarianMTModel"
    case gpt2LMHead = "GPT2LMHeadModel"
    case gpt2 = "GPT2Model"
    case bertForMaskedLM = "BertForMaskedLM"
    case bertForPreTraining = "BertForPreTraining"
    case bert = "BertModel"
    case llamaForCausalLM = "LlamaForCausalLM"
    case llama = "LlamaModel"

    /// config.json's "model_type" for this architecture.
    public var modelType: String {
        switch self {
        case .marianMT: return "marian"
        case .gpt2LMHead, .gpt2: return "gpt2"
        case .bertForMaskedLM, .bertForPreTraining, .bert: return "bert"
        case .llamaForCausalLM, .llama: return "llama"
        }
    }

    /// False for the bare models, which give hidden states only.
    public var hasOutputHead: Bool { ![.gpt2, .bert, .llama].contains(self) }

    public static var supportedModelTypes: [String] { Array(Set(allCases.map(\.modelType))).sorted() }

    static var supportedList: String { allCases.map { "\($0.rawValue) (\($0.modelType))" }.joined(separator: ", ") }
}

/// A parsed config.json-like file with typed accessors whose errors name the file and key.
struct HubConfig {
    let path: String
    let members: JSONValue

    init(path: String) throws {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw ConfigError("cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(path: path, bytes: bytes)
    }

    /// A config's bytes, `path` naming them in messages (an export reads back what it wrote).
    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        // A config is a few KB; a huge one is not a config.
        guard bytes.count <= 16 << 20 else { throw ConfigError("\(path) is \(bytes.count) bytes, too large for a config") }
        do { members = try JSONValue.parse(bytes, maxDepth: 64) } catch {
            throw ConfigError("\(path) is not valid JSON: \(error.reason) (line \(error.line))")
        }
        guard case .object = members else { throw ConfigError("\(path) must hold a JSON object, found \(members.kindName)") }
    }

    func error(_ key: String, _ problem: String) -> ConfigError { ConfigError("\(path): \(key) \(problem)") }

    /// The value, or nil when the key is absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let v = members[key], !v.isNull else { return nil }
        return v
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// A non-negative integer no larger than `Int32.max` (every size and id here fits).
    func optionalInt(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        return try HubConfig.integer(v, key: key, in: self)
    }

    static func integer(_ v: JSONValue, key: String, in config: HubConfig) throws -> Int {
        switch v.nonNegativeInteger {
        case .value(let n)? where n <= UInt64(Int32.max): return Int(n)
        case .value?, .tooLarge?: throw config.error(key, "is too large (\(v.description))")
        case .negative?: throw config.error(key, "must not be negative (got \(v.description))")
        case .notInteger?: throw config.error(key, "must be an integer (got \(v.description))")
        case nil: throw config.error(key, "must be an integer, found \(v.kindName)")
        }
    }

    func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        if let n = try optionalInt(key) { return n }
        if let fallback { return fallback }
        throw error(key, "is missing")
    }

    /// A size that must be at least 1.
    func positive(_ key: String, default fallback: Int? = nil) throws -> Int {
        let n = try int(key, default: fallback)
        guard n > 0 else { throw error(key, "must be positive (got \(n))") }
        return n
    }

    func float(_ key: String, default fallback: Float) throws -> Float {
        guard let v = value(key) else { return fallback }
        guard let d = v.double, d.isFinite, abs(d) <= Double(Float.greatestFiniteMagnitude) else {
            throw error(key, "must be a finite number (got \(v.description))")
        }
        return Float(d)
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let v = value(key) else { return fallback }
        guard let b = v.bool else { throw error(key, "must be true or false, found \(v.kindName)") }
        return b
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { throw error(key, "must be a string, found \(v.kindName)") }
        return s
    }

    /// An integer or a list of integers (eos_token_id may be either).
    func ints(_ key: String) throws -> [Int] {
        guard let v = value(key) else { return [] }
        if let list = v.array { return try list.map { try HubConfig.integer($0, key: key, in: self) } }
        return [try HubConfig.integer(v, key: key, in: self)]
    }

    /// A dropout probability for training these weights further; anything unusable reads as 0.
    func probability(_ key: String) -> Float {
        guard let d = value(key)?.double, d >= 0, d < 1 else { return 0 }
        return Float(d)
    }

    /// Requires `key`, when present, to have one of the `allowed` values ("normalize_before": false).
    func require(_ key: String, _ allowed: [JSONValue], because reason: String) throws {
        guard let v = value(key), !allowed.contains(v) else { return }
        throw error(key, "is \(v.description); \(reason)")
    }

    /// The architecture named by "architectures" (or implied by `model_type` when absent).
    func architecture(inferred: (String) throws -> HubArchitecture) throws -> HubArchitecture {
        guard let type = try string("model_type") else { throw error("model_type", "is missing") }
        guard HubArchitecture.supportedModelTypes.contains(type) else {
            throw error("model_type", "'\(type)' is not supported; supported: \(HubArchitecture.supportedList)")
        }
        guard let v = value("architectures") else { return try inferred(type) }
        guard let names = v.array?.compactMap(\.string), names.count == v.array?.count, !names.isEmpty else {
            throw error("architectures", "must be a non-empty list of class names")
        }
        let architectures = try names.map { name -> HubArchitecture in
            guard let a = HubArchitecture(rawValue: name), a.modelType == type else {
                throw error("architectures", "entry '\(name)' is not supported for model_type '\(type)'; supported: \(HubArchitecture.supportedList)")
            }
            return a
        }
        return architectures[0]
    }

    /// Validates the config translated into ours, sizes included: before the layer-by-layer tensor
    /// map is built, and before any model is allocated.
    func check(_ config: TransformerConfig, _ architecture: HubArchitecture) throws {
        do { try config.validate(); try config.checkModelFits() } catch {
            throw ConfigError("\(path): \(architecture.rawValue) translated into a config this package cannot run: \(error)")
        }
    }

    /// config.json's activation name → ours.
    func activation(_ key: String, default fallback: String) throws -> Activation {
        let name = try string(key) ?? fallback
        switch name {
        case "relu": return .relu
        case "gelu": return .gelu
        case "gelu_new", "gelu_pytorch_tanh": return .geluTanh
        case "silu", "swish": return .silu
        default: throw error(key, "'\(name)' is not supported; supported: relu, gelu, gelu_new, gelu_pytorch_tanh, silu, swish")
        }
    }
}

extension JSONValue {
    /// The value as compact JSON, for messages.
    var description: String {
        var out: [UInt8] = []
        write(to: &out)
        let text = String(decoding: out, as: UTF8.self)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
