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
    /// The prediction-head transform before the output layer (`output_transform`).
    public let outputTransform: PredictionTransform?
    /// The logits bias beside a tied output layer (`output_bias`; Marian's final_logits_bias).
    public let outputBias: Tensor?
    /// The output-length classifier (`length_head`).
    public let lengthPredictor: LengthPredictor?

    public init(config: TransformerConfig, seed: UInt64 = 0) throws {
        try config.validate()
        try config.checkModelFits()
        guard config.family == .encoderDecoder else { throw ConfigError("config family is \(config.family.rawValue), not encoder-decoder") }
        self.config = config
        var g = RandomGenerator(seed: seed)
        randomSource = RandomSource(seed: seed &+ 1)
        let parts = ModelParts(config: config, source: randomSource)
        let srcTokens = parts.tokenEmbedding(vocabulary: config.srcVocab, generator: &g)
        let tgtTokens = config.shareEmbeddings ? srcTokens : parts.tokenEmbedding(vocabulary: config.tgtVocab, generator: &g)
        sourceEmbedding = InputEmbedding(tokens: srcTokens, config: config, source: randomSource, generator: &g)
        targetEmbedding = InputEmbedding(tokens: tgtTokens, config: config, source: randomSource, generator: &g)
        encoder = parts.encoder(generator: &g)
        decoder = parts.decoder(crossAttention: true, generator: &g)
        generator = parts.outputLinear(generator: &g)
        outputTransform = parts.outputTransform(generator: &g)
        outputBias = parts.tiedOutputBias()
        lengthPredictor = config.lengthHead ? LengthPredictor(dModel: config.dModel, maxLength: config.maxLen, generator: &g) : nil
        super.init()
    }

    /// A source sentence as the encoder sees it, in training and in translation alike: its
    /// subword ids followed by <eos> (no <bos>).
    public func sourceSequence(_ tokens: [Int32]) -> [Int32] { tokens + [Int32(config.eosId)] }

    /// The encoder output for int32 source ids [B, S], and the source padding mask [B, S] (1 = padding):
    /// `padding` when given, else the positions holding pad_id (none without a pad id).
    public func encode(_ source: Tensor, padding explicit: Tensor? = nil) -> (memory: Tensor, padding: Tensor?) {
        let padding = explicit ?? config.keyPadding(source)
        let memory = encoder(sourceEmbedding(source), mask: AttentionMask(keyPadding: padding))
        return (memory, padding)
    }

    /// Decoder output [B, T, d] for target inputs (the target shifted right behind the start token).
    /// Positions holding pad_id are padding, except the first: the start token (Marian's is its pad id).
    public func decode(_ targetIn: Tensor, memory: Tensor, sourcePadding: Tensor?) -> Tensor {
        let selfMask = AttentionMask(keyPadding: config.keyPadding(targetIn, keepingFirst: true), causal: true)
        return decoder(targetEmbedding(targetIn), selfMask: selfMask, memory: memory, memoryMask: AttentionMask(keyPadding: sourcePadding))
    }

    var outputLayer: OutputLayer {
        OutputLayer(transform: outputTransform, linear: generator, tied: targetEmbedding.tokens, tiedBias: outputBias)
    }

    /// Output linear layer: [B, T, d] → logits [B, T, V].
    public func project(_ hidden: Tensor) -> Tensor {
        config.requireOutputHead()
        return outputLayer(hidden)
    }

    /// Teacher forcing: logits for every target position at once, under the causal mask.
    public func callAsFunction(source: Tensor, targetIn: Tensor, sourcePadding: Tensor? = nil) -> Tensor {
        let (memory, padding) = encode(source, padding: sourcePadding)
        return project(decode(targetIn, memory: memory, sourcePadding: padding))
    }

    /// Teacher forcing as training uses it: logits [N, V] at the N positions whose target in
    /// `targets` [B, T] is not padding, with those targets (see `targetRows`).
    /// Every layer runs on the non-padding positions only (see `TokenRows`); the logits and
    /// gradients are those of the padded computation.
    public func targetLogits(source: Tensor, targetIn: Tensor, targets: Tensor) -> (logits: Tensor, targets: Tensor) {
        let out = trainingOutputs(source: source, targetIn: targetIn, targets: targets, lengths: false)
        return (out.logits, out.targets)
    }

    /// `targetLogits`, and with `lengths` and a length head, that head's cross-entropy against the
    /// batch's target lengths (counting <eos>) — what training adds to the loss.
    public func trainingOutputs(source: Tensor, targetIn: Tensor, targets: Tensor, lengths: Bool = true)
        -> (logits: Tensor, targets: Tensor, lengthLoss: Tensor?)
    {
        let pad = config.padId
        let sourceTokens = TokenRows(source, padId: pad), targetTokens = TokenRows(targetIn, padId: pad, keepingFirst: true)
        func packed(_ x: Tensor, _ rows: TokenRows?) -> Tensor { rows.map { $0.gather(x) } ?? x }
        let sourcePadding = config.keyPadding(source)
        let memory = encoder(packed(sourceEmbedding(source), sourceTokens), mask: AttentionMask(keyPadding: sourcePadding), rows: sourceTokens)
        let selfMask = AttentionMask(keyPadding: config.keyPadding(targetIn, keepingFirst: true), causal: true)
        let hidden = decoder(packed(targetEmbedding(targetIn), targetTokens), selfMask: selfMask, memory: memory,
                             memoryMask: AttentionMask(keyPadding: sourcePadding), rows: targetTokens, memoryRows: sourceTokens)
        let kept = targetRows(hidden, targets: targets, padId: pad, rows: targetTokens)
        var lengthLoss: Tensor?
        if lengths, let head = lengthPredictor {
            let pooling = LengthPredictor.pooling(positions: TokenRows.positions(source, padId: pad), batch: source.shape[0],
                                                  length: source.shape[1], packed: sourceTokens != nil)
            lengthLoss = head(memory: memory, pooling: pooling)
                .crossEntropy(targets: LengthPredictor.lengths(targets: targets, padId: pad, maxLength: config.maxLen))
        }
        return (project(kept.hidden), kept.targets, lengthLoss)
    }

    /// The length head's most probable target length (counting <eos>) for each sentence of an
    /// encoder output [B, S, d] with its padding mask [B, S] (1 = padding); nil without a head.
    public func predictLengths(memory: Tensor, padding: Tensor?) -> [Int]? {
        guard let head = lengthPredictor else { return nil }
        let (b, s) = (memory.shape[0], memory.shape[1])
        let mask = padding?.scalars
        let real = (0..<(b * s)).compactMap { i -> Int32? in (mask?[i] ?? 0) == 0 ? Int32(i) : nil }
        let logits = withNoGrad { head(memory: memory, pooling: LengthPredictor.pooling(positions: real, batch: b, length: s, packed: false)) }
        let v = logits.shape[1], x = logits.scalars
        return (0..<b).map { r in
            var best = 0
            for k in 1..<v where x[r * v + k] > x[r * v + best] { best = k }
            return best
        }
    }

    /// Label-smoothed cross-entropy over non-pad targets (mean).
    public func loss(logits: Tensor, targets: Tensor, labelSmoothing: Float? = nil) -> Tensor {
        languageModelLoss(logits: logits, targets: targets, padId: config.padId, labelSmoothing: labelSmoothing ?? config.labelSmoothing)
    }
}

/// Mean cross-entropy of logits [B, T, V] against int32 targets [B, T], ignoring padding (none without a pad id).
public func languageModelLoss(logits: Tensor, targets: Tensor, padId: Int?, labelSmoothing: Float) -> Tensor {
    let v = logits.shape[logits.rank - 1]
    return logits.reshaped([-1, v]).crossEntropy(targets: targets.view([-1]), labelSmoothing: labelSmoothing, ignoreIndex: padId.map { Int32($0) })
}
