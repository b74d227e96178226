// The two model families training handles, behind one interface: logits for a batch under
// teacher forcing (every target position at once, under the causal mask) and the loss.
@_exported import Models

public enum TrainableModel {
    case encoderDecoder(EncoderDecoderModel)
    case decoderOnly(DecoderOnlyModel)

    public init(config: TransformerConfig, seed: UInt64) throws {
        switch config.family {
        case .encoderDecoder: self = .encoderDecoder(try EncoderDecoderModel(config: config, seed: seed))
        case .decoderOnly: self = .decoderOnly(try DecoderOnlyModel(config: config, seed: seed))
        case .encoderOnly: throw TrainingError("training supports encoder-decoder and decoder-only models, not encoder-only")
        }
    }

    public var module: Module {
        switch self {
        case .encoderDecoder(let m): return m
        case .decoderOnly(let m): return m
        }
    }

    public var config: TransformerConfig {
        switch self {
        case .encoderDecoder(let m): return m.config
        case .decoderOnly(let m): return m.config
        }
    }

    /// The dropout stream (saved with checkpoints so a resumed run draws the same masks).
    public var randomSource: RandomSource {
        switch self {
        case .encoderDecoder(let m): return m.randomSource
        case .decoderOnly(let m): return m.randomSource
        }
    }

    /// Logits [B, T, V] for `targetIn` (the batch's own decoder input unless given).
    public func logits(_ batch: TrainingBatch, targetIn: Tensor? = nil) -> Tensor {
        let input = targetIn ?? batch.targetIn
        switch self {
        case .encoderDecoder(let m):
            guard let source = batch.source else { preconditionFailure("an encoder-decoder batch needs source ids") }
            return m(source: source, targetIn: input)
        case .decoderOnly(let m):
            return m(input)
        }
    }

    /// Logits [N, V] at the batch's N non-pad target positions, with those targets: what the loss
    /// needs, without sending padding rows through the output layer; and the length head's loss
    /// when the model has one and `lengths` is set.
    public func targetLogits(_ batch: TrainingBatch, targetIn: Tensor? = nil, lengths: Bool = false)
        -> (logits: Tensor, targets: Tensor, lengthLoss: Tensor?)
    {
        let input = targetIn ?? batch.targetIn
        switch self {
        case .encoderDecoder(let m):
            guard let source = batch.source else { preconditionFailure("an encoder-decoder batch needs source ids") }
            return m.trainingOutputs(source: source, targetIn: input, targets: batch.targetOut, lengths: lengths)
        case .decoderOnly(let m):
            let out = m.targetLogits(input, targets: batch.targetOut)
            return (out.logits, out.targets, nil)
        }
    }

    /// Mean cross-entropy over non-pad targets, label-smoothed by `labelSmoothing` (the config's by default).
    public func loss(logits: Tensor, targets: Tensor, labelSmoothing: Float? = nil) -> Tensor {
        languageModelLoss(logits: logits, targets: targets, padId: config.padId, labelSmoothing: labelSmoothing ?? config.labelSmoothing)
    }
}
