// Fused normalisation over the last axis, forward and backward.
//   LayerNorm: y = (x − μ)·r·γ + β,  r = 1/√(σ² + ε)
//   RMSNorm:   y = x·r·γ,            r = 1/√(mean(x²) + ε)
// Backward with x̂ = normalised x and g = dy·γ:
//   LayerNorm: dx = r·(g − mean(g) − x̂·mean(g·x̂));  RMSNorm: dx = r·(g − x̂·mean(g·x̂))
// dγ, dβ are summed over rows in fixed blocks of rows, so results do not depend on threads.
// The rows themselves run in the C row kernels (tk_norm_rows, tk_norm_backward_rows).
import CKernels

/// What the backward pass needs from a norm's forward: per-row mean (LayerNorm) and 1/σ.
public struct NormStatistics {
    public let mean: Tensor?
    public let rstd: Tensor
}

extension Kernels {
    static let normRowBlock = 32

    public static func layerNorm(_ x: Tensor, gamma: Tensor?, beta: Tensor?, eps: Float, rms: Bool = false) -> (Tensor, NormStatistics) {
        let d = x.shape.last ?? 1
        if let gamma { precondition(gamma.shape == [d], "\(rms ? "rmsNorm" : "layerNorm"): weight shape \(gamma.shape) does not match input \(x.shape)") }
        if let beta { precondition(beta.shape == [d], "layerNorm: bias shape \(beta.shape) does not match input \(x.shape)") }
        let rows = x.count / max(d, 1)
        let out = Tensor(uninitializedShape: x.shape)
        let mean = rms ? nil : Tensor(uninitializedShape: [rows])
        let rstd = Tensor(uninitializedShape: [rows])
        let p = x.data, q = out.data, pr = rstd.data, pm = mean?.data
        let pg = gamma?.data, pb = beta?.data
        ThreadPool.shared.parallelRanges(rows, grain: max(1, (1 << 14) / max(d, 1))) { r in
            tk_norm_rows(p + r.lowerBound * d, pg, pb, q + r.lowerBound * d, pm.map { $0 + r.lowerBound },
                         pr + r.lowerBound, r.count, d, eps)
        }
        return (out, NormStatistics(mean: mean, rstd: rstd))
    }

    /// Returns dx, dγ (if γ) and dβ (if β).
    public static func layerNormBackward(x: Tensor, gamma: Tensor?, hasBeta: Bool, stats: NormStatistics, dy: Tensor)
        -> (dx: Tensor, dgamma: Tensor?, dbeta: Tensor?)
    {
        let d = x.shape.last ?? 1
        let rows = x.count / max(d, 1)
        let dx = Tensor(uninitializedShape: x.shape)
        let blocks = (rows + normRowBlock - 1) / normRowBlock
        let partG = gamma == nil ? nil : Tensor(zeros: [max(blocks, 1), d])
        let partB = hasBeta ? Tensor(zeros: [max(blocks, 1), d]) : nil
        let px = x.data, g = dy.data, pdx = dx.data, pr = stats.rstd.data, pm = stats.mean?.data
        let pg = gamma?.data, ppg = partG?.data, ppb = partB?.data
        ThreadPool.shared.parallelFor(blocks) { b in
            let row = b * normRowBlock, count = min(rows, row + normRowBlock) - row
            tk_norm_backward_rows(px + row * d, pg, pm.map { $0 + row }, pr + row, g + row * d, pdx + row * d,
                                  ppg.map { $0 + b * d }, ppb.map { $0 + b * d }, count, d)
        }
        let sumBlocks = { (t: Tensor?) -> Tensor? in t.map { reduce($0, axis: 0, kind: .sum).view([d]) } }
        return (dx, sumBlocks(partG), sumBlocks(partB))
    }
}
