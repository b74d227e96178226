// Inverted dropout: keep each element with probability 1 − p and scale it by 1/(1 − p).
// Element i's decision is drawn from counter (first + i) of the generator's stream, so the
// mask is the same however the work is split over threads. tk_dropout vectorises SplitMix64.
import CKernels

extension Kernels {
    /// Returns the output and the scaled mask (0 or 1/(1 − p)) that backward multiplies by.
    public static func dropout(_ x: Tensor, p: Float, generator: inout RandomGenerator) -> (Tensor, Tensor) {
        precondition(p >= 0 && p < 1, "dropout: probability \(p) must be in [0, 1)")
        let mask = Tensor(uninitializedShape: x.shape)
        let out = Tensor(uninitializedShape: x.shape)
        let seed = generator.seed, first = generator.reserve(x.count)
        let keep = 1 - p, scale = 1 / keep
        let px = x.data, pm = mask.data, po = out.data
        parallelElements(x.count, grain: 1 << 13) { r in
            let i = r.lowerBound
            tk_dropout(px + i, po + i, pm + i, r.count, seed, first &+ UInt64(i), keep, scale)
        }
        return (out, mask)
    }
}
