// Fused log-softmax + cross-entropy with label smoothing and an ignore index.
// With smoothing ε over V classes the target distribution is q = (1 − ε)·onehot(t) + ε/V, so
//   loss_row = lse(x) − (1 − ε)·x_t − (ε/V)·Σ_j x_j,   dx_row = softmax(x) − q.
// The result is the mean over rows whose target is not ignored (0 when there are none).
import Foundation

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
        ThreadPool.shared.parallelRanges(n, grain: max(1, (1 << 13) / max(v, 1))) { r in
            for i in r {
                let row = px + i * v
                var m = -Float.infinity, total: Float = 0
                for j in 0..<v { m = max(m, row[j]); total += row[j] }
                var s: Float = 0
                for j in 0..<v { s += Foundation.exp(row[j] - m) }
                let l = m + Foundation.log(s)
                pl[i] = l
                if pt[i] == ignoreIndex { pr[i] = 0; continue }
                pr[i] = l - (1 - eps) * row[Int(pt[i])] - eps / Float(v) * total
            }
        }
        var count = 0, sum: Double = 0
        for i in 0..<n where pt[i] != ignoreIndex { count += 1; sum += Double(pr[i]) }
        return CrossEntropyResult(loss: count > 0 ? Float(sum / Double(count)) : 0, count: count, logSumExp: lse)
    }

    /// dlogits for an upstream gradient `dLoss` of the mean loss.
    public static func crossEntropyBackward(logits: Tensor, targets: Tensor, result: CrossEntropyResult,
                                            labelSmoothing eps: Float, ignoreIndex: Int32?, dLoss: Float) -> Tensor {
        let (n, v) = (logits.shape[0], logits.shape[1])
        let dx = Tensor(uninitializedShape: logits.shape)
        let scale = result.count > 0 ? dLoss / Float(result.count) : 0
        let px = logits.data, pt = targets.intData, pl = result.logSumExp.data, pd = dx.data
        let smooth = eps / Float(v)
        ThreadPool.shared.parallelRanges(n, grain: max(1, (1 << 13) / max(v, 1))) { r in
            for i in r {
                let row = px + i * v, out = pd + i * v
                if pt[i] == ignoreIndex { out.update(repeating: 0, count: v); continue }
                let l = pl[i]
                for j in 0..<v { out[j] = (Foundation.exp(row[j] - l) - smooth) * scale }
                out[Int(pt[i])] -= (1 - eps) * scale
            }
        }
        return dx
    }
}
