// Batch normalisation over the rows of x [N, d] (every leading axis is a row), per feature j:
//   y = (x − μ_j)·r_j·γ_j + β_j,  μ_j and σ²_j over the N rows,  r_j = 1/√(σ²_j + ε).
// Backward with x̂ = normalised x and g = dy·γ, over the rows:
//   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
// The sums run over rows in one fixed order on one thread: the statistics of a batch are few
// (d per norm), and a fixed order keeps results independent of the thread count.

/// What the backward pass of a batch norm needs from its forward: per-feature mean and 1/σ.
public struct BatchStatistics {
    /// [d] the batch mean of each feature.
    public let mean: Tensor
    /// [d] the batch's (biased) variance of each feature.
    public let variance: Tensor
    /// [d] 1/√(σ² + ε).
    public let rstd: Tensor
}

extension Kernels {
    public static func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> (Tensor, BatchStatistics) {
        let d = x.shape.last ?? 1
        precondition(gamma.shape == [d] && beta.shape == [d], "batchNorm: weight \(gamma.shape) / bias \(beta.shape) do not match input \(x.shape)")
        let rows = x.count / max(d, 1)
        precondition(rows >= 1, "batchNorm: no rows to take statistics over")
        let mean = Tensor(zeros: [d]), variance = Tensor(zeros: [d]), rstd = Tensor(uninitializedShape: [d])
        let out = Tensor(uninitializedShape: x.shape)
        let p = x.data, q = out.data, pm = mean.data, pv = variance.data, pr = rstd.data, pg = gamma.data, pb = beta.data
        // Sums in double: a batch has thousands of rows.
        var sum = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
        for i in 0..<rows {
            let row = p + i * d
            for j in 0..<d { sum[j] += Double(row[j]) }
        }
        for j in 0..<d { pm[j] = Float(sum[j] / Double(rows)) }
        for i in 0..<rows {
            let row = p + i * d
            for j in 0..<d { let c = Double(row[j] - pm[j]); squares[j] += c * c }
        }
        for j in 0..<d {
            pv[j] = Float(squares[j] / Double(rows))
            pr[j] = 1 / (pv[j] + eps).squareRoot()
        }
        for i in 0..<rows {
            let row = p + i * d, o = q + i * d
            for j in 0..<d { o[j] = (row[j] - pm[j]) * pr[j] * pg[j] + pb[j] }
        }
        return (out, BatchStatistics(mean: mean, variance: variance, rstd: rstd))
    }

    /// Returns dx, dγ and dβ.
    public static func batchNormBackward(x: Tensor, gamma: Tensor, stats: BatchStatistics, dy: Tensor) -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor) {
        let d = x.shape.last ?? 1
        let rows = x.count / max(d, 1)
        let dx = Tensor(uninitializedShape: x.shape), dgamma = Tensor(zeros: [d]), dbeta = Tensor(zeros: [d])
        let px = x.data, g = dy.data, pdx = dx.data, pm = stats.mean.data, pr = stats.rstd.data, pg = gamma.data
        var sumDy = [Double](repeating: 0, count: d), sumDyXhat = [Double](repeating: 0, count: d)
        for i in 0..<rows {
            let row = px + i * d, grad = g + i * d
            for j in 0..<d {
                let xhat = Double((row[j] - pm[j]) * pr[j])
                sumDy[j] += Double(grad[j])
                sumDyXhat[j] += Double(grad[j]) * xhat
            }
        }
        let n = Double(rows)
        for j in 0..<d {
            dgamma.data[j] = Float(sumDyXhat[j])
            dbeta.data[j] = Float(sumDy[j])
        }
        // With g = dy·γ: mean(g) = γ·mean(dy), mean(g·x̂) = γ·mean(dy·x̂).
        var meanDy = [Float](repeating: 0, count: d), meanDyXhat = [Float](repeating: 0, count: d)
        for j in 0..<d { (meanDy[j], meanDyXhat[j]) = (Float(sumDy[j] / n), Float(sumDyXhat[j] / n)) }
        for i in 0..<rows {
            let row = px + i * d, grad = g + i * d, o = pdx + i * d
            for j in 0..<d {
                let xhat = (row[j] - pm[j]) * pr[j]
                o[j] = pr[j] * pg[j] * (grad[j] - meanDy[j] - xhat * meanDyXhat[j])
            }
        }
        return (dx, dgamma, dbeta)
    }
}
