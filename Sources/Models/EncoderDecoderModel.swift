// The Transformer of the paper (Figure 1): an encoder over the source, a decoder over the
// target shifted right that attends to the encoder output, and a linear output layer whose
// softmax gives next-token probabilities.
import Layers

public final class EncoderDecoderModel: Module {
    public let config: TransformerConfig
    public let sourceEmbedding: InputEmbedding
    public let targetEmbedding: InputEmbedding
    public let encoder: Encoder
    public let decoder: Decoder
    /// The output linear layer; nil when tied to the target embedding.
    public let generator: Linear?
    public let randomSource: RandomSource

    public init(config: TransformerConfig, seed: UInt64 = 0) throws {
        try config.validate()
        try config.checkModelFits()
        guard config.family == .encoderDecoder else { throw ConfigError("config family is \(config.family.rawValue), not encoder-decoder") }
        self.config = config
        var g = RandomGenerator(seed: seed)
        randomSource = RandomSource(seed: seed &+ 1)
        let parts = ModelParts(config: config, source: randomSource)
        let srcTokens = TokenEmbedding(vocabularySize: config.srcVocab, dimension: config.dModel, generator: &g)
        let tgtTokens = config.shareEmbeddings ? srcTokens : TokenEmbedding(vocabularySize: config.tgtVocab, dimension: config.dModel, generator: &g)
        sourceEmbedding = InputEmbedding(tokens: srcTokens, config: config, source: randomSource, generator: &g)
        targetEmbedding = InputEmbedding(tokens: tgtTokens, config: config, source: randomSource, generator: &g)
        encoder = parts.encoder(generator: &g)
        decoder = parts.decoder(crossAttention: true, generator: &g)
        generator = config.tieOutput ? nil : Linear(config.dModel, config.tgtVocab, bias: config.bias, generator: &g)
        super.init()
    }

    /// A source sentence as the encoder sees it, in training and in translation alike: its
    /// subword ids followed by <eos> (no <bos>).
    public func sourceSequence(_ tokens: [Int32]) -> [Int32] { tokens + [Int32(config.eosId)] }

    /// The encoder output for int32 source ids [B, S], and the source padding mask [B, S].
    public func encode(_ source: Tensor) -> (memory: Tensor, padding: Tensor) {
        let padding = AttentionMask.padding(source, padId: Int32(config.padId))
        let memory = encoder(sourceEmbedding(source), mask: AttentionMask(keyPadding: padding))
        return (memory, padding)
    }

    /// Decoder output [B, T, d] for target inputs (the target shifted right behind <bos>).
    public func decode(_ targetIn: Tensor, memory: Tensor, sourcePadding: Tensor) -> Tensor {
        let selfMask = AttentionMask(keyPadding: AttentionMask.padding(targetIn, padId: Int32(config.padId)), causal: true)
        return decoder(targetEmbedding(targetIn), selfMask: selfMask, memory: memory, memoryMask: AttentionMask(keyPadding: sourcePadding))
    }

    /// Output linear layer: [B, T, d] → logits [B, T, V].
    public func project(_ hidden: Tensor) -> Tensor {
        generator.map { $0(hidden) } ?? hidden.matmul(targetEmbedding.tokens.weight, transposeB: true)
    }

    /// Teacher forcing: logits for every target position at once, under the causal mask.
    public func callAsFunction(source: Tensor, targetIn: Tensor) -> Tensor {
        let (memory, padding) = encode(source)
        return project(decode(targetIn, memory: memory, sourcePadding: padding))
    }

    /// Teacher forcing as training uses it: logits [N, V] at the N positions whose target in
    /// `targets` [B, T] is not padding, with those targets (see `targetRows`).
    /// Every layer runs on the non-padding positions only (see `TokenRows`); the logits and
    /// gradients are those of the padded computation.
    public func targetLogits(source: Tensor, targetIn: Tensor, targets: Tensor) -> (logits: Tensor, targets: Tensor) {
        let pad = config.padId
        let (sourceTokens, targetTokens) = (TokenRows(source, padId: pad), TokenRows(targetIn, padId: pad))
        func packed(_ x: Tensor, _ rows: TokenRows?) -> Tensor { rows.map { $0.gather(x) } ?? x }
        let sourcePadding = AttentionMask.padding(source, padId: Int32(pad))
        let memory = encoder(packed(sourceEmbedding(source), sourceTokens), mask: AttentionMask(keyPadding: sourcePadding), rows: sourceTokens)
        let selfMask = AttentionMask(keyPadding: AttentionMask.padding(targetIn, padId: Int32(pad)), causal: true)
        let hidden = decoder(packed(targetEmbedding(targetIn), targetTokens), selfMask: selfMask, memory: memory,
                             memoryMask: AttentionMask(keyPadding: sourcePadding), rows: targetTokens, memoryRows: sourceTokens)
        let kept = targetRows(hidden, targets: targets, padId: pad, rows: targetTokens)
        return (project(kept.hidden), kept.targets)
    }

    /// Label-smoothed cross-entropy over non-pad targets (mean).
    public func loss(logits: Tensor, targets: Tensor, labelSmoothing: Float? = nil) -> Tensor {
        languageModelLoss(logits: logits, targets: targets, padId: config.padId, labelSmoothing: labelSmoothing ?? config.labelSmoothing)
    }
}

/// Mean cross-entropy of logits [B, T, V] against int32 targets [B, T], ignoring padding.
public func languageModelLoss(logits: Tensor, targets: Tensor, padId: Int, labelSmoothing: Float) -> Tensor {
    let v = logits.shape[logits.rank - 1]
    return logits.reshaped([-1, v]).crossEntropy(targets: targets.view([-1]), labelSmoothing: labelSmoothing, ignoreIndex: Int32(padId))
}
