// Sentence embeddings from an encoder-only model, as sentence-transformers computes them: the
// tokenizer's [CLS] … [SEP] ids, cut to the model's max_seq_length, run through the encoder in
// padded batches; the last hidden states pooled (the mean over real tokens, or the first token's)
// and optionally scaled to unit length. A sentence-transformers directory says which in its own
// files: modules.json (Transformer, Pooling, Normalize), 1_Pooling/config.json, and
// sentence_bert_config.json or tokenizer_config.json for the length.
import Foundation
import JSONText
import Models
import Tokenization

public enum SentencePooling: String, CaseIterable, Sendable {
    /// The mean of the last hidden states over the non-padding tokens.
    case mean
    /// The first token's ([CLS]) last hidden state.
    case cls
}

/// How embeddings are made: pooling, normalisation and the longest input in tokens.
public struct EmbeddingSettings: Equatable, Sendable {
    public var pooling: SentencePooling = .mean
    public var normalize = false
    /// The model's own input limit (sentence-transformers' max_seq_length), specials included.
    public var maxTokens: Int?

    public init() {}

    /// What a sentence-transformers directory's files say; plain defaults (mean, not normalised)
    /// for a directory without modules.json. A module this package does not run is an error naming it.
    public static func read(directory: URL) throws -> EmbeddingSettings {
        var s = EmbeddingSettings()
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let stConfig = path("sentence_bert_config.json")
        if let config = try readObject(stConfig), let v = config["max_seq_length"], !v.isNull {
            guard let n = v.positiveInt32 else { throw ModelBundleError("\(stConfig): max_seq_length must be a positive integer") }
            s.maxTokens = n
        } else if let config = try readObject(path("tokenizer_config.json")), let n = config["model_max_length"]?.positiveInt32 {
            // transformers writes a huge number here for "no limit": anything beyond Int32 reads as that.
            s.maxTokens = n
        }
        guard let modules = try readJSON(path("modules.json")) else { return s }
        guard let list = modules.array else { throw ModelBundleError("\(path("modules.json")): must be a list of modules") }
        for module in list {
            guard let type = module["type"]?.string else { throw ModelBundleError("\(path("modules.json")): a module has no \"type\"") }
            let kind = type.split(separator: ".").last.map(String.init) ?? type
            switch kind {
            case "Transformer":
                guard (module["path"]?.string ?? "").isEmpty else {
                    throw ModelBundleError("\(path("modules.json")): the Transformer module must be the directory itself (path \"\")")
                }
            case "Pooling":
                let dir = module["path"]?.string ?? "1_Pooling"
                guard !dir.contains("..") else { throw ModelBundleError("\(path("modules.json")): module path '\(dir)' leaves the directory") }
                s.pooling = try pooling(path(dir + "/config.json"))
            case "Normalize":
                s.normalize = true
            default:
                throw ModelBundleError("\(path("modules.json")): module \(type) is not supported (supported: Transformer, Pooling, Normalize)")
            }
        }
        return s
    }

    /// 1_Pooling/config.json: "pooling_mode": "mean" (sentence-transformers 6) or the older
    /// pooling_mode_*_tokens flags.
    private static func pooling(_ file: String) throws -> SentencePooling {
        guard let config = try readObject(file) else { throw ModelBundleError("\(file) is missing") }
        var modes: [String] = []
        if let v = config["pooling_mode"] {
            guard let list = v.string.map({ [$0] }) ?? v.array?.compactMap(\.string) else {
                throw ModelBundleError("\(file): pooling_mode must be a string or a list of strings")
            }
            modes = list
        } else {
            let flags = [("pooling_mode_cls_token", "cls"), ("pooling_mode_mean_tokens", "mean"), ("pooling_mode_max_tokens", "max"),
                         ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"), ("pooling_mode_weightedmean_tokens", "weightedmean"),
                         ("pooling_mode_lasttoken", "lasttoken")]
            modes = flags.filter { config[$0.0]?.bool == true }.map(\.1)
        }
        guard modes.count == 1, let mode = SentencePooling(rawValue: modes[0]) else {
            throw ModelBundleError("\(file): pooling \(modes.isEmpty ? "none" : modes.joined(separator: " + ")) is not supported (supported: mean, cls)")
        }
        return mode
    }

    private static func readJSON(_ path: String) throws -> JSONValue? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 16 << 20 else {
            throw ModelBundleError("cannot read \(path) (or it is larger than 16 MB)")
        }
        do { return try JSONValue.parse(Array(data), maxDepth: 64) } catch {
            throw ModelBundleError("\(path) is not valid JSON: \(error.reason) (line \(error.line))")
        }
    }

    private static func readObject(_ path: String) throws -> JSONValue? {
        guard let v = try readJSON(path) else { return nil }
        guard case .object = v else { throw ModelBundleError("\(path) must hold a JSON object") }
        return v
    }
}

private extension JSONValue {
    /// A positive integer that fits Int32, else nil.
    var positiveInt32: Int? {
        guard case .value(let n)? = nonNegativeInteger, n >= 1, n <= UInt64(Int32.max) else { return nil }
        return Int(n)
    }
}

extension ModelBundle {
    /// The directory's embedding settings (see `EmbeddingSettings.read`).
    public func embeddingDefaults() throws -> EmbeddingSettings { try EmbeddingSettings.read(directory: directory) }

    /// One embedding per text, in order. Texts are cut to the first of `limit`, the settings' own
    /// limit and the model's positions, keeping the tokenizer's [SEP]; `onTruncate(index, tokens,
    /// kept)` hears of each cut. Texts of similar length are batched together, `batchSize` at a time.
    public func embed(_ texts: [String], settings: EmbeddingSettings, limit: InputLengthLimit, batchSize: Int = 32,
                      onTruncate: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> [[Float]] {
        let m = try encoderOnly(for: "embed")
        let t = try requireTokenizer(for: "embed")
        var cap = min(limit.maxTokens, settings.maxTokens ?? Int.max)
        if config.positional == .learned { cap = min(cap, config.maxLen) }
        let cut = InputLengthLimit(maxTokens: max(1, cap))
        let sequences = texts.enumerated().map { i, text -> [Int32] in
            let (ids, original) = cut.apply(t.prefixIDs + t.encode(text), suffix: t.suffixIDs)
            if let original { onTruncate(i, original, cut.maxTokens) }
            return ids
        }
        let pad = Int32(config.padId ?? 0)
        var out = [[Float]](repeating: [], count: texts.count)
        let order = sequences.indices.sorted { (sequences[$0].count, $0) < (sequences[$1].count, $1) }
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(order.count, start + max(1, batchSize))])
            let width = max(1, batch.map { sequences[$0].count }.max() ?? 1)
            let ids = batch.flatMap { sequences[$0] + [Int32](repeating: pad, count: width - sequences[$0].count) }
            let padding = batch.flatMap { i in (0..<width).map { $0 < sequences[i].count ? Float(0) : 1 } }
            let hidden = withNoGrad {
                m.hidden(Tensor(ints: ids, shape: [batch.count, width]), keyPadding: Tensor(padding, shape: [batch.count, width]))
            }
            let d = hidden.shape[2], h = hidden.scalars
            for (row, i) in batch.enumerated() {
                let n = sequences[i].count, base = row * width * d
                var v = [Float](repeating: 0, count: d)
                switch settings.pooling {
                case .cls:
                    for j in 0..<d { v[j] = h[base + j] }
                case .mean:
                    // Summed in Double: the order of a long sum then does not show in the result.
                    for j in 0..<d {
                        var sum = 0.0
                        for p in 0..<n { sum += Double(h[base + p * d + j]) }
                        v[j] = Float(sum / Double(max(n, 1)))
                    }
                }
                if settings.normalize {
                    let norm = Float(v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
                    // sentence-transformers divides by max(‖v‖, 1e-12).
                    let scale = 1 / max(norm, 1e-12)
                    for j in 0..<d { v[j] *= scale }
                }
                out[i] = v
            }
            start += batch.count
        }
        return out
    }
}
