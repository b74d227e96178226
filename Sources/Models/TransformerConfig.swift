// Model configuration: one Codable JSON object (snake_case keys) describing any of the three
// families, with named presets and validation that names the offending key.
import Foundation
@_exported import Layers

public enum ModelFamily: String, Codable, Sendable, CaseIterable {
    case encoderDecoder = "encoder-decoder", decoderOnly = "decoder-only", encoderOnly = "encoder-only"
}

public enum AttentionKind: String, Codable, Sendable, CaseIterable { case mha, gqa, mqa, mla }

public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct TransformerConfig: Codable, Equatable, Sendable {
    public var family: ModelFamily = .encoderDecoder
    public var dModel = 512
    public var heads = 8
    /// Key/value heads: heads (MHA), fewer (GQA), 1 (MQA). Ignored for MLA.
    public var kvHeads: Int?
    public var attention: AttentionKind = .mha
    public var mlaLatent = 128
    public var mlaRopeDim = 16
    public var mlaQueryLatent: Int?
    public var encoderLayers = 6
    public var decoderLayers = 6
    public var ff = 2048
    public var srcVocab = 8000
    public var tgtVocab = 8000
    public var activation: Activation = .relu
    public var norm: NormKind = .layerNorm
    public var layerNormEps: Float = 1e-5
    /// Pre-LN when true; Post-LN (the paper) when false.
    public var normFirst = false
    /// A norm after each stack. torch.nn.Transformer always has one; Pre-LN needs one.
    public var finalNorm = true
    public var positional: PositionalEncodingKind = .sinusoidal
    public var ropeBase: Float = 10000
    public var maxLen = 512
    public var dropout: Float = 0.1
    public var attentionDropout: Float?
    public var bias = true
    public var shareEmbeddings = false
    public var tieOutput = false
    public var padId = 0
    public var bosId = 1
    public var eosId = 2
    public var labelSmoothing: Float = 0.1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case family, dModel = "d_model", heads, kvHeads = "kv_heads", attention
        case mlaLatent = "mla_latent", mlaRopeDim = "mla_rope_dim", mlaQueryLatent = "mla_query_latent"
        case encoderLayers = "encoder_layers", decoderLayers = "decoder_layers", ff
        case srcVocab = "src_vocab", tgtVocab = "tgt_vocab", activation, norm
        case layerNormEps = "layer_norm_eps", normFirst = "norm_first", finalNorm = "final_norm"
        case positional, ropeBase = "rope_base", maxLen = "max_len", dropout, attentionDropout = "attention_dropout"
        case bias, shareEmbeddings = "share_embeddings", tieOutput = "tie_output"
        case padId = "pad_id", bosId = "bos_id", eosId = "eos_id", labelSmoothing = "label_smoothing"
    }

    /// Missing keys take the defaults above; unknown keys are ignored.
    public init(from decoder: Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        let d = TransformerConfig()
        family = try value(.family, d.family)
        dModel = try value(.dModel, d.dModel)
        heads = try value(.heads, d.heads)
        kvHeads = try c.decodeIfPresent(Int.self, forKey: .kvHeads)
        attention = try value(.attention, d.attention)
        mlaLatent = try value(.mlaLatent, d.mlaLatent)
        mlaRopeDim = try value(.mlaRopeDim, d.mlaRopeDim)
        mlaQueryLatent = try c.decodeIfPresent(Int.self, forKey: .mlaQueryLatent)
        encoderLayers = try value(.encoderLayers, d.encoderLayers)
        decoderLayers = try value(.decoderLayers, d.decoderLayers)
        ff = try value(.ff, d.ff)
        srcVocab = try value(.srcVocab, d.srcVocab)
        tgtVocab = try value(.tgtVocab, d.tgtVocab)
        activation = try value(.activation, d.activation)
        norm = try value(.norm, d.norm)
        layerNormEps = try value(.layerNormEps, d.layerNormEps)
        normFirst = try value(.normFirst, d.normFirst)
        finalNorm = try value(.finalNorm, d.finalNorm)
        positional = try value(.positional, d.positional)
        ropeBase = try value(.ropeBase, d.ropeBase)
        maxLen = try value(.maxLen, d.maxLen)
        dropout = try value(.dropout, d.dropout)
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout)
        bias = try value(.bias, d.bias)
        shareEmbeddings = try value(.shareEmbeddings, d.shareEmbeddings)
        tieOutput = try value(.tieOutput, d.tieOutput)
        padId = try value(.padId, d.padId)
        bosId = try value(.bosId, d.bosId)
        eosId = try value(.eosId, d.eosId)
        labelSmoothing = try value(.labelSmoothing, d.labelSmoothing)
    }

    /// Key/value heads actually used by multi-head attention.
    public var keyValueHeads: Int {
        switch attention {
        case .mqa: return 1
        case .mha, .mla: return kvHeads ?? heads
        case .gqa: return kvHeads ?? Swift.max(1, heads / 4)
        }
    }

    public var headDimension: Int { dModel / Swift.max(heads, 1) }

    /// Checks every constraint; the error names the key.
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws { if !ok { throw ConfigError(message()) } }
        // Upper bounds first: they keep every size computed from the config far from overflow, and
        // turn a typo (10^8 layers) into an error instead of a minutes-long build.
        for (key, value, limit) in TransformerConfig.dimensionLimits(self) where value > limit {
            throw ConfigError("\(key) (\(value)) is above the largest supported value \(limit)")
        }
        try require(dModel > 0, "d_model must be positive (got \(dModel))")
        try require(heads > 0 && dModel % heads == 0, "heads (\(heads)) must be positive and divide d_model (\(dModel))")
        try require(keyValueHeads > 0 && heads % keyValueHeads == 0, "kv_heads (\(keyValueHeads)) must be positive and divide heads (\(heads))")
        try require(attention != .mla || (mlaLatent > 0 && mlaRopeDim > 0 && mlaRopeDim % 2 == 0),
                    "mla_latent (\(mlaLatent)) must be positive and mla_rope_dim (\(mlaRopeDim)) positive and even")
        try require(mlaQueryLatent.map { $0 > 0 } ?? true, "mla_query_latent must be positive")
        try require(ff > 0, "ff must be positive (got \(ff))")
        try require(encoderLayers >= 0 && decoderLayers >= 0, "encoder_layers and decoder_layers must not be negative")
        switch family {
        case .encoderDecoder: try require(encoderLayers > 0 && decoderLayers > 0, "an encoder-decoder needs encoder_layers and decoder_layers > 0")
        case .decoderOnly: try require(decoderLayers > 0, "a decoder-only model needs decoder_layers > 0")
        case .encoderOnly: try require(encoderLayers > 0, "an encoder-only model needs encoder_layers > 0")
        }
        try require(srcVocab > 0 && tgtVocab > 0, "src_vocab and tgt_vocab must be positive")
        try require(!shareEmbeddings || srcVocab == tgtVocab, "share_embeddings needs src_vocab (\(srcVocab)) == tgt_vocab (\(tgtVocab))")
        try require(layerNormEps > 0 && layerNormEps.isFinite, "layer_norm_eps must be positive")
        try require(maxLen > 0, "max_len must be positive")
        try require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1) (got \(dropout))")
        try require((attentionDropout ?? 0) >= 0 && (attentionDropout ?? 0) < 1, "attention_dropout must be in [0, 1)")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, "label_smoothing must be in [0, 1)")
        try require(positional != .rope || headDimension % 2 == 0, "positional rope needs an even head dimension (got \(headDimension))")
        try require(ropeBase > 1, "rope_base must be > 1")
        let vocab = family == .encoderOnly ? srcVocab : tgtVocab
        for (name, id) in [("pad_id", padId), ("bos_id", bosId), ("eos_id", eosId)] {
            try require(id >= 0 && id < vocab, "\(name) (\(id)) must be a token id below the vocabulary size \(vocab)")
        }
    }

    /// Each dimension with its upper bound: far above any real model (GPT-3 has d_model 12,288,
    /// 96 layers, ff 49,152; vocabularies reach 256,000), far below where sizes overflow.
    static func dimensionLimits(_ c: TransformerConfig) -> [(String, Int, Int)] {
        [("d_model", c.dModel, 1 << 16), ("heads", c.heads, 1 << 12), ("kv_heads", c.kvHeads ?? 0, 1 << 12),
         ("mla_latent", c.mlaLatent, 1 << 16), ("mla_rope_dim", c.mlaRopeDim, 1 << 12),
         ("mla_query_latent", c.mlaQueryLatent ?? 0, 1 << 16),
         ("encoder_layers", c.encoderLayers, 1 << 12), ("decoder_layers", c.decoderLayers, 1 << 12),
         ("ff", c.ff, 1 << 20), ("src_vocab", c.srcVocab, 1 << 24), ("tgt_vocab", c.tgtVocab, 1 << 24),
         ("max_len", c.maxLen, 1 << 22)]
    }

    /// Reads and validates a config file; errors name the file.
    public static func load(from url: URL) throws -> TransformerConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ConfigError("cannot read config \(url.path): \(error.localizedDescription)") }
        let config: TransformerConfig
        do { config = try JSONDecoder().decode(TransformerConfig.self, from: data) } catch {
            throw ConfigError("invalid config \(url.path): \(TransformerConfig.describe(error))")
        }
        do { try config.validate() } catch { throw ConfigError("invalid config \(url.path): \(error)") }
        return config
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        default: return "\(error)"
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
