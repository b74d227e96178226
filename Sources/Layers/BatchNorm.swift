// BatchNorm (Ioffe & Szegedy, 2015) as the "Norm" of Add & Norm, to compare with the LayerNorm
// the paper uses. In training each feature is normalised by its mean and variance over the
// batch's tokens — padding excluded, because training runs the residual stream on the
// non-padding rows only (see `TokenRows`) — and running averages of those statistics are kept,
// as in vision models; inference normalises with the running averages, so a token's output no
// longer depends on its batch, but differs from what training computed.

public final class BatchNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    /// Running averages of the batch mean and (unbiased) variance, updated by every training
    /// forward pass with `momentum` as PyTorch's BatchNorm1d: saved with the weights, never trained.
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let eps: Float
    public let momentum: Float = 0.1

    public init(_ dimension: Int, eps: Float = 1e-5) {
        weight = parameter([dimension], filledWith: 1)
        bias = parameter([dimension], filledWith: 0)
        runningMean = statistic([dimension], filledWith: 0)
        runningVariance = statistic([dimension], filledWith: 1)
        self.eps = eps
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if training {
            let (y, stats) = x.batchNorm(weight: weight, bias: bias, eps: eps)
            updateRunningAverages(stats, rows: x.count / max(weight.count, 1))
            return y
        }
        // (x − μ)/√(σ² + ε)·γ + β with the running averages, as x·scale + shift.
        let d = weight.count
        let scale = Tensor(uninitializedShape: [d]), shift = Tensor(uninitializedShape: [d])
        let m = runningMean.data, v = runningVariance.data, g = weight.data, b = bias.data
        for j in 0..<d {
            scale.data[j] = g[j] / (v[j] + eps).squareRoot()
            shift.data[j] = b[j] - m[j] * scale.data[j]
        }
        return x * scale + shift
    }

    private func updateRunningAverages(_ stats: BatchStatistics, rows: Int) {
        let unbiased = rows > 1 ? Float(rows) / Float(rows - 1) : 1
        let m = runningMean.data, v = runningVariance.data, bm = stats.mean.data, bv = stats.variance.data
        for j in 0..<weight.count {
            m[j] += momentum * (bm[j] - m[j])
            v[j] += momentum * (bv[j] * unbiased - v[j])
        }
    }
}

extension BatchNorm: Normalizing {}
