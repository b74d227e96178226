// Builds the paper's parts from a config: the input embedding with its positions, and
// encoder and decoder stacks. Shared by the three model families.
import Layers

/// Token embedding + absolute positions (sinusoidal or learned) + dropout (the paper, §3.4–3.5, §5.4).
/// With RoPE or ALiBi the positions live in the attention instead.
public final class InputEmbedding: Module {
    public let tokens: TokenEmbedding
    public let sinusoidal: SinusoidalPositionalEncoding?
    public let learned: LearnedPositionalEmbedding?
    public let dropout: Dropout

    init(tokens: TokenEmbedding, config: TransformerConfig, source: RandomSource, generator: inout RandomGenerator) {
        self.tokens = tokens
        sinusoidal = config.positional == .sinusoidal ? SinusoidalPositionalEncoding(dimension: config.dModel, initialLength: config.maxLen) : nil
        learned = config.positional == .learned ? LearnedPositionalEmbedding(maxLength: config.maxLen, dimension: config.dModel, generator: &generator) : nil
        dropout = Dropout(config.dropout, source: source)
        super.init()
    }

    /// ids: int32 [B, T] at positions offset..<offset+T → [B, T, d_model].
    public func callAsFunction(_ ids: Tensor, offset: Int = 0) -> Tensor {
        var x = tokens(ids)
        if let sinusoidal { x = sinusoidal(x, offset: offset) }
        if let learned { x = learned(x, offset: offset) }
        return dropout(x)
    }
}

struct ModelParts {
    let config: TransformerConfig
    let source: RandomSource

    func dropout() -> Dropout { Dropout(config.dropout, source: source) }

    func addNorm() -> AddAndNorm {
        AddAndNorm(norm: makeNorm(config.norm, config.dModel, eps: config.layerNormEps), dropout: dropout(), normFirst: config.normFirst)
    }

    func finalNorm() -> (Module & Normalizing)? {
        config.finalNorm ? makeNorm(config.norm, config.dModel, eps: config.layerNormEps) : nil
    }

    func multiHead(keyValueHeads: Int, positional: Bool, generator: inout RandomGenerator) -> MultiHeadAttention {
        MultiHeadAttention(dModel: config.dModel, heads: config.heads, keyValueHeads: keyValueHeads, bias: config.bias,
                           rotary: positional && config.positional == .rope ? RotaryPositionalEncoding(base: config.ropeBase) : nil,
                           alibi: positional && config.positional == .alibi,
                           dropout: Dropout(config.attentionDropout ?? config.dropout, source: source), generator: &generator)
    }

    func feedForward(generator: inout RandomGenerator) -> PositionwiseFeedForward {
        PositionwiseFeedForward(dModel: config.dModel, hidden: config.ff, activation: config.activation, bias: config.bias,
                                dropout: dropout(), generator: &generator)
    }

    func selfAttention(generator: inout RandomGenerator) -> SelfAttention {
        if config.attention == .mla {
            return .latent(MultiHeadLatentAttention(
                dModel: config.dModel, heads: config.heads, latentDimension: config.mlaLatent, ropeDimension: config.mlaRopeDim,
                queryLatentDimension: config.mlaQueryLatent, ropeBase: config.ropeBase,
                dropout: Dropout(config.attentionDropout ?? config.dropout, source: source), generator: &generator))
        }
        return .multiHead(multiHead(keyValueHeads: config.keyValueHeads, positional: true, generator: &generator))
    }

    func encoder(generator: inout RandomGenerator) -> Encoder {
        let layers = (0..<config.encoderLayers).map { _ in
            EncoderLayer(selfAttention: multiHead(keyValueHeads: config.keyValueHeads, positional: true, generator: &generator),
                         feedForward: feedForward(generator: &generator),
                         selfAttentionAddNorm: addNorm(), feedForwardAddNorm: addNorm())
        }
        return Encoder(layers: layers, norm: finalNorm())
    }

    /// Cross-attention attends to encoder positions, so it takes no RoPE/ALiBi of its own.
    func decoder(crossAttention: Bool, generator: inout RandomGenerator) -> Decoder {
        let layers = (0..<config.decoderLayers).map { _ in
            DecoderLayer(selfAttention: selfAttention(generator: &generator),
                         crossAttention: crossAttention ? multiHead(keyValueHeads: config.keyValueHeads, positional: false, generator: &generator) : nil,
                         feedForward: feedForward(generator: &generator), makeAddNorm: addNorm)
        }
        return Decoder(layers: layers, norm: finalNorm())
    }
}
