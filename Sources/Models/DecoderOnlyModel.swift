// A decoder-only (GPT-style) language model from the same parts: the decoder stack without
// cross-attention, each position predicting the next token under the causal mask.
import Layers

public final class DecoderOnlyModel: Module {
    public let config: TransformerConfig
    public let embedding: InputEmbedding
    public let decoder: Decoder
    public let generator: Linear?
    public let randomSource: RandomSource
    public let outputTransform: PredictionTransform?
    public let outputBias: Tensor?

    public init(config: TransformerConfig, seed: UInt64 = 0) throws {
        try config.validate()
        try config.checkModelFits()
        guard config.family == .decoderOnly else { throw ConfigError("config family is \(config.family.rawValue), not decoder-only") }
        self.config = config
        var g = RandomGenerator(seed: seed)
        randomSource = RandomSource(seed: seed &+ 1)
        let parts = ModelParts(config: config, source: randomSource)
        embedding = InputEmbedding(tokens: parts.tokenEmbedding(vocabulary: config.tgtVocab, generator: &g),
                                   config: config, source: randomSource, generator: &g)
        decoder = parts.decoder(crossAttention: false, generator: &g)
        generator = parts.outputLinear(generator: &g)
        outputTransform = parts.outputTransform(generator: &g)
        outputBias = parts.tiedOutputBias()
        super.init()
    }

    /// ids: int32 [B, T] → logits [B, T, V] for the next token at every position.
    public func callAsFunction(_ ids: Tensor, keyPadding: Tensor? = nil) -> Tensor { project(hidden(ids, keyPadding: keyPadding)) }

    /// The decoder output [B, T, d] under the causal mask. `keyPadding` [B, T] (1 = padding) masks
    /// padded positions; default: those holding pad_id (none without a pad id).
    public func hidden(_ ids: Tensor, keyPadding: Tensor? = nil) -> Tensor {
        let mask = AttentionMask(keyPadding: keyPadding ?? config.keyPadding(ids), causal: true)
        return decoder(embedding(ids), selfMask: mask)
    }

    var outputLayer: OutputLayer {
        OutputLayer(transform: outputTransform, linear: generator, tied: embedding.tokens, tiedBias: outputBias)
    }

    /// Output linear layer: [..., d] → logits [..., V].
    public func project(_ hidden: Tensor) -> Tensor {
        config.requireOutputHead()
        return outputLayer(hidden)
    }

    /// Logits [N, V] at the N positions whose target in `targets` [B, T] is not padding, with
    /// those targets (see `targetRows`).
    /// Every layer runs on the non-padding positions only (see `TokenRows`).
    public func targetLogits(_ ids: Tensor, targets: Tensor) -> (logits: Tensor, targets: Tensor) {
        let rows = TokenRows(ids, padId: config.padId)
        let mask = AttentionMask(keyPadding: config.keyPadding(ids), causal: true)
        let x = embedding(ids)
        let h = decoder(rows.map { $0.gather(x) } ?? x, selfMask: mask, rows: rows)
        let kept = targetRows(h, targets: targets, padId: config.padId, rows: rows)
        return (project(kept.hidden), kept.targets)
    }

    public func loss(logits: Tensor, targets: Tensor, labelSmoothing: Float? = nil) -> Tensor {
        languageModelLoss(logits: logits, targets: targets, padId: config.padId, labelSmoothing: labelSmoothing ?? config.labelSmoothing)
    }
}
