// Fused log-softmax + cross-entropy with label smoothing and an ignore index.
// With smoothing ε over V classes the target distribution is q = (1 − ε)·onehot(t) + ε/V, so
//   loss_row = lse(x) − (1 − ε)·x_t − (ε/V)·Σ_j x_j,   dx_row = softmax(x) − q.
// The result is the mean over rows whose target is not ignored (0 when there are none).
// Rows run in the C row kernels (tk_cross_entropy_rows, tk_cross_entropy_backward_rows).
import CKernels

public struct CrossEntropyResult {
    public let loss: Float
    /// Rows counted in the mean (targets ≠ ignore index).
    public let count: Int
    /// Per-row log-sum-exp, for the backward pass.
    public let logSumExp: Tensor
}

extension Kernels {
    public static func crossEntropy(logits: Tensor, targets: Tensor, labelSmoothing eps: Float, ignoreIndex: Int32?) -> CrossEntropyResult {
        precondition(logits.rank == 2 && targets.dtype == .int32 && targets.count == logits.shape[0],
                     "crossEntropy: logits \(logits.shape) must be [N, V] with N int32 targets, got \(targets.shape)")
        let (n, v) = (logits.shape[0], logits.shape[1])
        let lse = Tensor(uninitializedShape: [n])
        let rowLoss = Tensor(uninitializedShape: [n])
        let px = logits.data, pt = targets.intData, pl = lse.data, pr = rowLoss.data
        for i in 0..<n where pt[i] != ignoreIndex {
            precondition(pt[i] >= 0 && Int(pt[i]) < v, "crossEntropy: target \(pt[i]) out of range for \(v) classes")
        }
        ThreadPool.shared.parallelRanges(n, grain: max(1, (1 << 14) / max(v, 1))) { r in
            tk_cross_entropy_rows(px + r.lowerBound * v, pt + r.lowerBound, pl + r.lowerBound, pr + r.lowerBound,
                                  r.count, v, eps, ignoreIndex ?? 0, ignoreIndex == nil ? 0 : 1)
        }
        var count = 0, sum: Double = 0
        // `rowLoss` is reached only through `pr`: keep it alive while `pr` is read.
        withExtendedLifetime(rowLoss) {
            for i in 0..<n where pt[i] != ignoreIndex { count += 1; sum += Double(pr[i]) }
        }
        return CrossEntropyResult(loss: count > 0 ? Float(sum / Double(count)) : 0, count: count, logSumExp: lse)
    }

    /// dlogits for an upstream gradient `dLoss` of the mean loss.
    public static func crossEntropyBackward(logits: Tensor, targets: Tensor, result: CrossEntropyResult,
                                            labelSmoothing eps: Float, ignoreIndex: Int32?, dLoss: Float) -> Tensor {
        let (n, v) = (logits.shape[0], logits.shape[1])
        let dx = Tensor(uninitializedShape: logits.shape)
        let scale = result.count > 0 ? dLoss / Float(result.count) : 0
        let px = logits.data, pt = targets.intData, pl = result.logSumExp.data, pd = dx.data
        ThreadPool.shared.parallelRanges(n, grain: max(1, (1 << 14) / max(v, 1))) { r in
            tk_cross_entropy_backward_rows(px + r.lowerBound * v, pt + r.lowerBound, pl + r.lowerBound, pd + r.lowerBound * v,
                                           r.count, v, eps, ignoreIndex ?? 0, ignoreIndex == nil ? 0 : 1, scale)
        }
        return dx
    }
}
