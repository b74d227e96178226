// What a configuration costs: parameters per component, and the KV-cache bytes each
// generated token adds (the figure that MQA, GQA and MLA exist to shrink).

/// Any of the three model families built from a config.
public enum AnyTransformerModel {
    case encoderDecoder(EncoderDecoderModel)
    case decoderOnly(DecoderOnlyModel)
    case encoderOnly(EncoderOnlyModel)

    public init(config: TransformerConfig, seed: UInt64 = 0) throws {
        switch config.family {
        case .encoderDecoder: self = .encoderDecoder(try EncoderDecoderModel(config: config, seed: seed))
        case .decoderOnly: self = .decoderOnly(try DecoderOnlyModel(config: config, seed: seed))
        case .encoderOnly: self = .encoderOnly(try EncoderOnlyModel(config: config, seed: seed))
        }
    }

    public var module: Module {
        switch self {
        case .encoderDecoder(let m): return m
        case .decoderOnly(let m): return m
        case .encoderOnly(let m): return m
        }
    }
}

public struct ModelSummary: Codable {
    public struct Component: Codable { public let name: String; public let parameters: Int }
    public let components: [Component]
    public let totalParameters: Int
    /// Bytes of self-attention cache per generated token, all decoder layers, at float32.
    public let kvCacheBytesPerToken: Int
    /// Bytes of cross-attention keys/values per source token (computed once per sentence).
    public let crossAttentionBytesPerSourceToken: Int

    enum CodingKeys: String, CodingKey {
        case components, totalParameters = "total_parameters", kvCacheBytesPerToken = "kv_cache_bytes_per_token"
        case crossAttentionBytesPerSourceToken = "cross_attention_bytes_per_source_token"
    }

    public init(config: TransformerConfig) throws {
        let model = try AnyTransformerModel(config: config).module
        var order: [String] = [], counts: [String: Int] = [:]
        for (name, tensor) in model.namedParameters() {
            let key = ModelSummary.componentName(name)
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += tensor.count
        }
        components = order.map { Component(name: $0, parameters: counts[$0]!) }
        totalParameters = counts.values.reduce(0, +)
        let bytes = MemoryLayout<Float>.size
        let kvPerLayer = config.attention == .mla ? config.mlaLatent + config.mlaRopeDim : 2 * config.keyValueHeads * config.headDimension
        kvCacheBytesPerToken = config.family == .encoderOnly ? 0 : config.decoderLayers * kvPerLayer * bytes
        crossAttentionBytesPerSourceToken = config.family == .encoderDecoder
            ? config.decoderLayers * 2 * config.keyValueHeads * config.headDimension * bytes : 0
    }

    /// "encoder.layers.3.selfAttention.query.weight" → "encoder.selfAttention": layers summed.
    static func componentName(_ name: String) -> String {
        let parts = name.split(separator: ".").map(String.init)
        guard let i = parts.firstIndex(of: "layers"), i + 2 < parts.count else {
            return parts.count > 1 ? parts.dropLast().prefix(2).joined(separator: ".") : name
        }
        let sub = parts[i + 2].hasSuffix("AddNorm") ? "norms" : parts[i + 2]
        return (parts[..<i] + [sub]).joined(separator: ".")
    }
}
