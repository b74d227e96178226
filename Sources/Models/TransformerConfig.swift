// Model configuration: one Codable JSON object (snake_case keys) describing any of the three
// families, with named presets and validation that names the offending key.
import Foundation
@_exported import Layers

public enum ModelFamily: String, Codable, Sendable, CaseIterable {
    case encoderDecoder = "encoder-decoder", decoderOnly = "decoder-only", encoderOnly = "encoder-only"
}

public enum AttentionKind: String, Codable, Sendable, CaseIterable { case mha, gqa, mqa, mla }

/// First values of the weights: Xavier (the Annotated Transformer) or GPT-2's N(0, 0.02) with
/// residual projections scaled by 1/√(2·layers) (see `WeightInitialization`).
public enum InitializationScheme: String, Codable, Sendable, CaseIterable { case xavier, gpt2 }

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
    /// Scores divided by √d_k (the paper, §3.2.1); false leaves them unscaled (an experiment's option).
    public var scaleAttention = true
    /// Residual connections around each sublayer (the paper, §3.1); false drops them (an experiment's option).
    public var residual = true
    /// Pre-LN when true; Post-LN (the paper) when false.
    public var normFirst = false
    /// A norm after each stack. torch.nn.Transformer always has one; Pre-LN needs one.
    public var finalNorm = true
    public var positional: PositionalEncodingKind = .sinusoidal
    /// Sines and cosines interleaved (the paper's formula) or in halves (Marian, tensor2tensor).
    public var sinusoidalLayout: SinusoidalLayout = .interleaved
    public var ropeBase: Float = 10000
    public var maxLen = 512
    public var dropout: Float = 0.1
    public var attentionDropout: Float?
    /// Dropout on the feed-forward network's hidden activations (PyTorch's nn.Transformer and the
    /// Annotated Transformer use `dropout`; fairseq's and transformers' `activation_dropout`
    /// defaults to 0). nil: `dropout`.
    public var activationDropout: Float?
    /// Biases in the attention projections and the feed-forward network.
    public var bias = true
    /// Token embeddings × √d_model (the paper, §3.4); GPT-2, BERT and Llama do not scale.
    public var scaleEmbedding = true
    /// A norm after the sum of embeddings and positions (BERT).
    public var embeddingNorm = false
    /// Token-type (segment) embeddings added to the input embedding, 0 for none (BERT: 2).
    public var typeVocab = 0
    public var shareEmbeddings = false
    public var tieOutput = false
    /// False: no output layer, the model gives hidden states only (a bare BertModel).
    public var outputHead = true
    /// Dense + activation + norm before the output projection (BERT's masked-LM head).
    public var outputTransform = false
    /// A bias on the logits. Default: an untied output layer has one when `bias` is set, a tied one
    /// has none; true with a tied output adds a [V] bias of its own (Marian's final_logits_bias).
    public var outputBias: Bool?
    /// The id that marks padding positions (masked as keys, skipped by the loss); nil for none
    /// (GPT-2, Llama): then nothing is masked by value, and batches pass explicit masks.
    public var padId: Int? = 0
    public var bosId = 1
    public var eosId = 2
    /// The first decoder input of an encoder-decoder; nil: `bos_id` (Marian starts from its pad id).
    public var decoderStartId: Int?
    /// Token ids never generated: greedy, beam search and sampling give them probability 0.
    public var suppressedIds: [Int] = []
    public var labelSmoothing: Float = 0.1
    public var initialization: InitializationScheme = .xavier
    /// A length-prediction head on the pooled encoder output (encoder-decoder only; see `LengthPredictor`),
    /// trained jointly with weight `length_loss_weight`; decoding may then stop at the predicted length.
    public var lengthHead = false
    public var lengthLossWeight: Float = 0.1

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case family, dModel = "d_model", heads, kvHeads = "kv_heads", attention
        case mlaLatent = "mla_latent", mlaRopeDim = "mla_rope_dim", mlaQueryLatent = "mla_query_latent"
        case encoderLayers = "encoder_layers", decoderLayers = "decoder_layers", ff
        case srcVocab = "src_vocab", tgtVocab = "tgt_vocab", activation, norm
        case layerNormEps = "layer_norm_eps", scaleAttention = "scale_attention", residual, normFirst = "norm_first", finalNorm = "final_norm"
        case positional, sinusoidalLayout = "sinusoidal_layout", ropeBase = "rope_base", maxLen = "max_len"
        case dropout, attentionDropout = "attention_dropout", activationDropout = "activation_dropout", bias, scaleEmbedding = "scale_embedding"
        case embeddingNorm = "embedding_norm", typeVocab = "type_vocab"
        case shareEmbeddings = "share_embeddings", tieOutput = "tie_output", outputHead = "output_head"
        case outputTransform = "output_transform", outputBias = "output_bias"
        case padId = "pad_id", bosId = "bos_id", eosId = "eos_id", decoderStartId = "decoder_start_id"
        case suppressedIds = "suppressed_ids", labelSmoothing = "label_smoothing", initialization
        case lengthHead = "length_head", lengthLossWeight = "length_loss_weight"
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
        scaleAttention = try value(.scaleAttention, d.scaleAttention)
        residual = try value(.residual, d.residual)
        normFirst = try value(.normFirst, d.normFirst)
        finalNorm = try value(.finalNorm, d.finalNorm)
        positional = try value(.positional, d.positional)
        sinusoidalLayout = try value(.sinusoidalLayout, d.sinusoidalLayout)
        ropeBase = try value(.ropeBase, d.ropeBase)
        maxLen = try value(.maxLen, d.maxLen)
        dropout = try value(.dropout, d.dropout)
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout)
        activationDropout = try c.decodeIfPresent(Float.self, forKey: .activationDropout)
        bias = try value(.bias, d.bias)
        scaleEmbedding = try value(.scaleEmbedding, d.scaleEmbedding)
        embeddingNorm = try value(.embeddingNorm, d.embeddingNorm)
        typeVocab = try value(.typeVocab, d.typeVocab)
        shareEmbeddings = try value(.shareEmbeddings, d.shareEmbeddings)
        tieOutput = try value(.tieOutput, d.tieOutput)
        outputHead = try value(.outputHead, d.outputHead)
        outputTransform = try value(.outputTransform, d.outputTransform)
        outputBias = try c.decodeIfPresent(Bool.self, forKey: .outputBias)
        // A missing pad_id is the default 0; an explicit null means the model has none.
        padId = c.contains(.padId) ? try c.decodeIfPresent(Int.self, forKey: .padId) : d.padId
        bosId = try value(.bosId, d.bosId)
        eosId = try value(.eosId, d.eosId)
        decoderStartId = try c.decodeIfPresent(Int.self, forKey: .decoderStartId)
        suppressedIds = try value(.suppressedIds, d.suppressedIds)
        labelSmoothing = try value(.labelSmoothing, d.labelSmoothing)
        initialization = try value(.initialization, d.initialization)
        lengthHead = try value(.lengthHead, d.lengthHead)
        lengthLossWeight = try value(.lengthLossWeight, d.lengthLossWeight)
    }

    /// Every key is written, optional ones as null, so a saved config reads back the same (the
    /// experiments' scale_attention and residual only when false: missing, they read back true;
    /// `initialization` only when not xavier).
    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(family, forKey: .family); try c.encode(dModel, forKey: .dModel); try c.encode(heads, forKey: .heads)
        try c.encode(kvHeads, forKey: .kvHeads); try c.encode(attention, forKey: .attention)
        try c.encode(mlaLatent, forKey: .mlaLatent); try c.encode(mlaRopeDim, forKey: .mlaRopeDim)
        try c.encode(mlaQueryLatent, forKey: .mlaQueryLatent)
        try c.encode(encoderLayers, forKey: .encoderLayers); try c.encode(decoderLayers, forKey: .decoderLayers)
        try c.encode(ff, forKey: .ff); try c.encode(srcVocab, forKey: .srcVocab); try c.encode(tgtVocab, forKey: .tgtVocab)
        try c.encode(activation, forKey: .activation); try c.encode(norm, forKey: .norm)
        try c.encode(layerNormEps, forKey: .layerNormEps); try c.encode(normFirst, forKey: .normFirst)
        // The experiments' options go out only when set, so every other model's config.json keeps its bytes.
        if !scaleAttention { try c.encode(scaleAttention, forKey: .scaleAttention) }
        if !residual { try c.encode(residual, forKey: .residual) }
        try c.encode(finalNorm, forKey: .finalNorm); try c.encode(positional, forKey: .positional)
        try c.encode(sinusoidalLayout, forKey: .sinusoidalLayout); try c.encode(ropeBase, forKey: .ropeBase)
        try c.encode(maxLen, forKey: .maxLen); try c.encode(dropout, forKey: .dropout)
        try c.encode(attentionDropout, forKey: .attentionDropout); try c.encode(bias, forKey: .bias)
        if let activationDropout { try c.encode(activationDropout, forKey: .activationDropout) }
        try c.encode(scaleEmbedding, forKey: .scaleEmbedding); try c.encode(embeddingNorm, forKey: .embeddingNorm)
        try c.encode(typeVocab, forKey: .typeVocab); try c.encode(shareEmbeddings, forKey: .shareEmbeddings)
        try c.encode(tieOutput, forKey: .tieOutput); try c.encode(outputHead, forKey: .outputHead)
        try c.encode(outputTransform, forKey: .outputTransform); try c.encode(outputBias, forKey: .outputBias)
        try c.encode(padId, forKey: .padId); try c.encode(bosId, forKey: .bosId); try c.encode(eosId, forKey: .eosId)
        try c.encode(decoderStartId, forKey: .decoderStartId); try c.encode(suppressedIds, forKey: .suppressedIds)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        // Written only when it is not the default, so configs saved before the key existed keep their bytes.
        if initialization != .xavier { try c.encode(initialization, forKey: .initialization) }
        if lengthHead { try c.encode(lengthHead, forKey: .lengthHead); try c.encode(lengthLossWeight, forKey: .lengthLossWeight) }
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

    /// The first decoder input of an encoder-decoder.
    public var startId: Int { decoderStartId ?? bosId }

    /// Whether the output layer has a bias: for an untied layer its Linear's, for a tied one a vector of its own.
    public var hasOutputBias: Bool { outputBias ?? (tieOutput ? false : bias) }

    /// The vocabulary of the output layer and of the tokens a model reads (the source's for encoder-only).
    public var outputVocab: Int { family == .encoderOnly ? srcVocab : tgtVocab }

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
        try require((activationDropout ?? 0) >= 0 && (activationDropout ?? 0) < 1, "activation_dropout must be in [0, 1)")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, "label_smoothing must be in [0, 1)")
        try require(!lengthHead || family == .encoderDecoder, "length_head needs an encoder-decoder (it reads the encoder output)")
        try require(lengthLossWeight >= 0 && lengthLossWeight.isFinite, "length_loss_weight must not be negative")
        try require(positional != .rope || headDimension % 2 == 0, "positional rope needs an even head dimension (got \(headDimension))")
        try require(ropeBase > 1, "rope_base must be > 1")
        try require(typeVocab >= 0, "type_vocab must not be negative (got \(typeVocab))")
        try require(outputHead || !outputTransform, "output_transform needs output_head")
        let vocab = outputVocab
        var ids = [("bos_id", bosId), ("eos_id", eosId)]
        if let padId { ids.append(("pad_id", padId)) }
        if let decoderStartId { ids.append(("decoder_start_id", decoderStartId)) }
        ids += suppressedIds.map { ("suppressed_ids", $0) }
        for (name, id) in ids {
            try require(id >= 0 && id < vocab, "\(name) (\(id)) must be a token id below the vocabulary size \(vocab)")
        }
        if family == .encoderDecoder, let padId { try require(padId < srcVocab, "pad_id (\(padId)) must be below src_vocab (\(srcVocab))") }
    }

    /// Each dimension with its upper bound: far above any real model (GPT-3 has d_model 12,288,
    /// 96 layers, ff 49,152; vocabularies reach 256,000), far below where sizes overflow.
    static func dimensionLimits(_ c: TransformerConfig) -> [(String, Int, Int)] {
        [("d_model", c.dModel, 1 << 16), ("heads", c.heads, 1 << 12), ("kv_heads", c.kvHeads ?? 0, 1 << 12),
         ("mla_latent", c.mlaLatent, 1 << 16), ("mla_rope_dim", c.mlaRopeDim, 1 << 12),
         ("mla_query_latent", c.mlaQueryLatent ?? 0, 1 << 16),
         ("encoder_layers", c.encoderLayers, 1 << 12), ("decoder_layers", c.decoderLayers, 1 << 12),
         ("ff", c.ff, 1 << 20), ("src_vocab", c.srcVocab, 1 << 24), ("tgt_vocab", c.tgtVocab, 1 << 24),
         ("max_len", c.maxLen, 1 << 22), ("type_vocab", c.typeVocab, 1 << 16)]
    }

    /// Reads and validates a config file; errors name the file.
    public static func load(from url: URL) throws -> TransformerConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ConfigError("cannot read config \(url.path): \(error.localizedDescription)") }
        return try parse(data, file: url.path)
    }

    /// Decodes and validates a config held in memory; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws -> TransformerConfig {
        let config: TransformerConfig
        do { config = try JSONDecoder().decode(TransformerConfig.self, from: data) } catch {
            throw ConfigError("invalid config \(file): \(TransformerConfig.describe(error))")
        }
        do { try config.validate() } catch { throw ConfigError("invalid config \(file): \(error)") }
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
