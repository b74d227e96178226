// A learned output-length predictor: how long the translation will be, read from the encoder
// output before decoding starts (as non-autoregressive translation does, Gu et al. 2018; Ghazvininejad
// et al. 2019). The encoder output is averaged over each sentence's source tokens and a linear
// classifier picks the target length, counting the <eos>: 0..<max_len. Trained jointly with the
// translation (cross-entropy, weighted by `length_loss_weight`); decoding may then stop at, or
// near, the predicted length instead of waiting for <eos> (`TranslationOptions.lengthWindow`).
import Layers

public final class LengthPredictor: Module {
    public let classifier: Linear

    public init(dModel: Int, maxLength: Int, generator: inout RandomGenerator) {
        classifier = Linear(dModel, maxLength, generator: &generator)
        super.init()
    }

    /// Length logits [B, max_len] from encoder output `memory` ([B, S, d], or [N, d] packed rows)
    /// and `pooling` [B, B·S or N], whose row b averages sentence b's source positions.
    public func callAsFunction(memory: Tensor, pooling: Tensor) -> Tensor {
        let d = memory.shape[memory.rank - 1]
        return classifier(pooling.matmul(memory.reshaped([-1, d])))
    }

    /// The averaging matrix for a batch whose non-padding source positions are `positions` (flat
    /// b·S + t, in order; the memory's rows when it is packed) among `batch` rows of length `length`.
    /// Packed memory has one column per listed position; padded memory one per position of the batch.
    public static func pooling(positions: [Int32], batch: Int, length: Int, packed: Bool) -> Tensor {
        let columns = packed ? positions.count : batch * length
        var counts = [Int](repeating: 0, count: batch)
        for p in positions { counts[Int(p) / length] += 1 }
        var weights = [Float](repeating: 0, count: batch * columns)
        for (k, p) in positions.enumerated() {
            let b = Int(p) / length
            weights[b * columns + (packed ? k : Int(p))] = 1 / Float(max(counts[b], 1))
        }
        return Tensor(weights, shape: [batch, columns])
    }

    /// Target lengths counting <eos> (the non-padding tokens of each row of `targets` [B, T]),
    /// clamped to the classifier's range.
    public static func lengths(targets: Tensor, padId: Int?, maxLength: Int) -> Tensor {
        let (b, t) = (targets.shape[0], targets.shape[1])
        let ids = targets.intScalars
        let pad = padId.map(Int32.init)
        return Tensor(ints: (0..<b).map { r in
            Int32(min(maxLength - 1, (0..<t).filter { ids[r * t + $0] != pad }.count))
        }, shape: [b])
    }
}
