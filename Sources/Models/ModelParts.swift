// Builds the paper's parts from a config: the input embedding with its positions, and
// encoder and decoder stacks. Shared by the three model families.
import Layers

/// Token embedding + absolute positions (sinusoidal or learned) + dropout (the paper, §3.4–3.5, §5.4).
/// With RoPE or ALiBi the positions live in the attention instead. BERT adds token-type (segment)
/// embeddings and normalises the sum.
public final class InputEmbedding: Module {
    public let tokens: TokenEmbedding
    public let sinusoidal: SinusoidalPositionalEncoding?
    public let learned: LearnedPositionalEmbedding?
    public let dropout: Dropout
    /// Token-type (segment) embeddings, unscaled (`type_vocab` > 0).
    public let types: TokenEmbedding?
    /// A norm over the sum (`embedding_norm`).
    public let norm: (Module & Normalizing)?

    init(tokens: TokenEmbedding, config: TransformerConfig, source: RandomSource, generator: inout RandomGenerator) {
        self.tokens = tokens
        sinusoidal = config.positional == .sinusoidal
            ? SinusoidalPositionalEncoding(dimension: config.dModel, initialLength: config.maxLen, layout: config.sinusoidalLayout) : nil
        learned = config.positional == .learned ? LearnedPositionalEmbedding(maxLength: config.maxLen, dimension: config.dModel, generator: &generator) : nil
        dropout = Dropout(config.dropout, source: source)
        types = config.typeVocab > 0
            ? TokenEmbedding(vocabularySize: config.typeVocab, dimension: config.dModel, scaled: false, generator: &generator) : nil
        norm = config.embeddingNorm ? makeNorm(config.norm, config.dModel, eps: config.layerNormEps) : nil
        super.init()
    }

    /// ids: int32 [B, T] at positions offset..<offset+T → [B, T, d_model]. `typeIds` (int32 [B, T],
    /// models with token types only) default to type 0 everywhere.
    public func callAsFunction(_ ids: Tensor, offset: Int = 0, typeIds: Tensor? = nil) -> Tensor {
        var x = tokens(ids)
        if let types { x = x + types(typeIds ?? Tensor(ints: [0], shape: [1])) }
        if let sinusoidal { x = sinusoidal(x, offset: offset) }
        if let learned { x = learned(x, offset: offset) }
        if let norm { x = norm(x) }
        return dropout(x)
    }
}

struct ModelParts {
    let config: TransformerConfig
    let source: RandomSource

    func dropout() -> Dropout { Dropout(config.dropout, source: source) }

    /// The weight scheme of a stack of `layers` layers (GPT-2's residual scale depends on its depth).
    func initialization(layers: Int) -> WeightInitialization {
        config.initialization == .gpt2 ? .gpt2(layers: layers) : .xavier
    }

    /// The depth whose residual stream the embeddings feed: the decoder's, or the encoder's when there is no decoder.
    var embeddingInitialization: WeightInitialization {
        initialization(layers: config.family == .encoderOnly ? config.encoderLayers : config.decoderLayers)
    }

    func tokenEmbedding(vocabulary: Int, generator: inout RandomGenerator) -> TokenEmbedding {
        TokenEmbedding(vocabularySize: vocabulary, dimension: config.dModel, scaled: config.scaleEmbedding,
                       initialization: embeddingInitialization, generator: &generator)
    }

    /// The output layer's own Linear: nil when tied to the embedding or when there is no output layer.
    func outputLinear(generator: inout RandomGenerator) -> Linear? {
        config.outputHead && !config.tieOutput
            ? Linear(config.dModel, config.outputVocab, bias: config.hasOutputBias,
                     initializer: embeddingInitialization.matrix(config.dModel, config.outputVocab), generator: &generator) : nil
    }

    func outputTransform(generator: inout RandomGenerator) -> PredictionTransform? {
        config.outputHead && config.outputTransform ? PredictionTransform(config: config, generator: &generator) : nil
    }

    /// The logits bias beside a tied output weight.
    func tiedOutputBias() -> Tensor? {
        config.outputHead && config.tieOutput && config.hasOutputBias ? parameter([config.outputVocab], filledWith: 0) : nil
    }

    func addNorm() -> AddAndNorm {
        AddAndNorm(norm: makeNorm(config.norm, config.dModel, eps: config.layerNormEps), dropout: dropout(), normFirst: config.normFirst,
                   residual: config.residual)
    }

    func finalNorm() -> (Module & Normalizing)? {
        config.finalNorm ? makeNorm(config.norm, config.dModel, eps: config.layerNormEps) : nil
    }

    func multiHead(keyValueHeads: Int, positional: Bool, layers: Int, generator: inout RandomGenerator) -> MultiHeadAttention {
        MultiHeadAttention(dModel: config.dModel, heads: config.heads, keyValueHeads: keyValueHeads, bias: config.bias,
                           rotary: positional && config.positional == .rope ? RotaryPositionalEncoding(base: config.ropeBase) : nil,
                           alibi: positional && config.positional == .alibi, scaled: config.scaleAttention,
                           dropout: Dropout(config.attentionDropout ?? config.dropout, source: source),
                           initialization: initialization(layers: layers), generator: &generator)
    }

    func feedForward(layers: Int, generator: inout RandomGenerator) -> PositionwiseFeedForward {
        PositionwiseFeedForward(dModel: config.dModel, hidden: config.ff, activation: config.activation, bias: config.bias,
                                dropout: Dropout(config.activationDropout ?? config.dropout, source: source),
                                initialization: initialization(layers: layers), generator: &generator)
    }

    func selfAttention(layers: Int, generator: inout RandomGenerator) -> SelfAttention {
        if config.attention == .mla {
            return .latent(MultiHeadLatentAttention(
                dModel: config.dModel, heads: config.heads, latentDimension: config.mlaLatent, ropeDimension: config.mlaRopeDim,
                queryLatentDimension: config.mlaQueryLatent, ropeBase: config.ropeBase, scaled: config.scaleAttention,
                dropout: Dropout(config.attentionDropout ?? config.dropout, source: source), generator: &generator))
        }
        return .multiHead(multiHead(keyValueHeads: config.keyValueHeads, positional: true, layers: layers, generator: &generator))
    }

    func encoder(generator: inout RandomGenerator) -> Encoder {
        let layers = (0..<config.encoderLayers).map { _ in
            EncoderLayer(selfAttention: multiHead(keyValueHeads: config.keyValueHeads, positional: true, layers: config.encoderLayers,
                                                  generator: &generator),
                         feedForward: feedForward(layers: config.encoderLayers, generator: &generator),
                         selfAttentionAddNorm: addNorm(), feedForwardAddNorm: addNorm())
        }
        return Encoder(layers: layers, norm: finalNorm())
    }

    /// Cross-attention attends to encoder positions, so it takes no RoPE/ALiBi of its own.
    func decoder(crossAttention: Bool, generator: inout RandomGenerator) -> Decoder {
        let depth = config.decoderLayers
        let layers = (0..<depth).map { _ in
            DecoderLayer(selfAttention: selfAttention(layers: depth, generator: &generator),
                         crossAttention: crossAttention
                             ? multiHead(keyValueHeads: config.keyValueHeads, positional: false, layers: depth, generator: &generator) : nil,
                         feedForward: feedForward(layers: depth, generator: &generator), makeAddNorm: addNorm)
        }
        return Decoder(layers: layers, norm: finalNorm())
    }
}
