// An encoder-only (BERT-style) model from the same parts: the encoder stack, every position
// attending to every non-padding position, with a token-prediction head (masked LM), or without
// one (hidden states only, a bare BertModel).
import Layers

public final class EncoderOnlyModel: Module {
    public let config: TransformerConfig
    public let embedding: InputEmbedding
    public let encoder: Encoder
    public let generator: Linear?
    public let randomSource: RandomSource
    public let outputTransform: PredictionTransform?
    public let outputBias: Tensor?

    public init(config: TransformerConfig, seed: UInt64 = 0) throws {
        try config.validate()
        try config.checkModelFits()
        guard config.family == .encoderOnly else { throw ConfigError("config family is \(config.family.rawValue), not encoder-only") }
        self.config = config
        var g = RandomGenerator(seed: seed)
        randomSource = RandomSource(seed: seed &+ 1)
        let parts = ModelParts(config: config, source: randomSource)
        embedding = InputEmbedding(tokens: parts.tokenEmbedding(vocabulary: config.srcVocab, generator: &g),
                                   config: config, source: randomSource, generator: &g)
        encoder = parts.encoder(generator: &g)
        generator = parts.outputLinear(generator: &g)
        outputTransform = parts.outputTransform(generator: &g)
        outputBias = parts.tiedOutputBias()
        super.init()
    }

    /// Contextual representations [B, T, d] of int32 ids [B, T]. `keyPadding` [B, T] (1 = padding)
    /// default: the positions holding pad_id; `typeIds` [B, T] default: type 0 (models with token types).
    public func hidden(_ ids: Tensor, keyPadding: Tensor? = nil, typeIds: Tensor? = nil) -> Tensor {
        encoder(embedding(ids, typeIds: typeIds), mask: AttentionMask(keyPadding: keyPadding ?? config.keyPadding(ids)))
    }

    /// Output layer: [..., d] → token logits [..., V].
    public func project(_ hidden: Tensor) -> Tensor {
        config.requireOutputHead()
        return OutputLayer(transform: outputTransform, linear: generator, tied: embedding.tokens, tiedBias: outputBias)(hidden)
    }

    /// Token logits [B, T, V] at every position.
    public func callAsFunction(_ ids: Tensor, keyPadding: Tensor? = nil, typeIds: Tensor? = nil) -> Tensor {
        project(hidden(ids, keyPadding: keyPadding, typeIds: typeIds))
    }

    public func loss(logits: Tensor, targets: Tensor, labelSmoothing: Float? = nil) -> Tensor {
        languageModelLoss(logits: logits, targets: targets, padId: config.padId, labelSmoothing: labelSmoothing ?? config.labelSmoothing)
    }
}
