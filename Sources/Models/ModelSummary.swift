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

    /// A model whose parameter values a loader supplies (see `Module.build`): nothing is drawn at random.
    public init(config: TransformerConfig, values: ([(name: String, tensor: Tensor)]) throws -> [String: Tensor]) throws {
        self = try Module.build({ try AnyTransformerModel(config: config) }, module: \.module, values: values)
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

    /// Counted from the config alone: nothing is allocated, so any valid config can be inspected.
    public init(config: TransformerConfig) throws {
        try config.validate()
        components = config.parameterCounts().map { Component(name: $0.component, parameters: $0.parameters) }
        totalParameters = components.reduce(0) { $0 + $1.parameters }
        let bytes = MemoryLayout<Float>.size
        let kvPerLayer = config.attention == .mla ? config.mlaLatent + config.mlaRopeDim : 2 * config.keyValueHeads * config.headDimension
        kvCacheBytesPerToken = config.family == .encoderOnly ? 0 : config.decoderLayers * kvPerLayer * bytes
        crossAttentionBytesPerSourceToken = config.family == .encoderDecoder
            ? config.decoderLayers * 2 * config.keyValueHeads * config.headDimension * bytes : 0
    }
}
