// An encoder-only (BERT-style) model from the same parts: the encoder stack, every position
// attending to every non-padding position, with a token-prediction head (masked LM).
import Layers

public final class EncoderOnlyModel: Module {
    public let config: TransformerConfig
    public let embedding: InputEmbedding
    public let encoder: Encoder
    public let generator: Linear?
    public let randomSource: RandomSource

    public init(config: TransformerConfig, seed: UInt64 = 0) throws {
        try config.validate()
        try config.checkModelFits()
        guard config.family == .encoderOnly else { throw ConfigError("config family is \(config.family.rawValue), not encoder-only") }
        self.config = config
        var g = RandomGenerator(seed: seed)
        randomSource = RandomSource(seed: seed &+ 1)
        let parts = ModelParts(config: config, source: randomSource)
        embedding = InputEmbedding(tokens: TokenEmbedding(vocabularySize: config.srcVocab, dimension: config.dModel, generator: &g),
                                   config: config, source: randomSource, generator: &g)
        encoder = parts.encoder(generator: &g)
        generator = config.tieOutput ? nil : Linear(config.dModel, config.srcVocab, bias: config.bias, generator: &g)
        super.init()
    }

    /// Contextual representations [B, T, d] of int32 ids [B, T].
    public func hidden(_ ids: Tensor) -> Tensor {
        encoder(embedding(ids), mask: AttentionMask(keyPadding: AttentionMask.padding(ids, padId: Int32(config.padId))))
    }

    /// Token logits [B, T, V] at every position.
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        let h = hidden(ids)
        return generator.map { $0(h) } ?? h.matmul(embedding.tokens.weight, transposeB: true)
    }

    public func loss(logits: Tensor, targets: Tensor, labelSmoothing: Float? = nil) -> Tensor {
        languageModelLoss(logits: logits, targets: targets, padId: config.padId, labelSmoothing: labelSmoothing ?? config.labelSmoothing)
    }
}
