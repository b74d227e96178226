// Rotary position embedding (RoPE, Su et al.): each pair (x_i, x_{i+D/2}) of a query or key
// at position p is rotated by the angle p·θ_i, θ_i = base^(−2i/D) (the "half-split" layout).
// A rotation's transpose is the rotation by −p·θ_i, which is the backward pass.
import Foundation

extension Kernels {
    /// x: [..., T, D] with D even; positions offset..<offset+T along the second-to-last axis.
    public static func rotary(_ x: Tensor, offset: Int, base: Float, inverse: Bool = false) -> Tensor {
        precondition(x.rank >= 2 && x.shape[x.rank - 1] % 2 == 0, "rotary: last axis of \(x.shape) must be even")
        let d = x.shape[x.rank - 1], t = x.shape[x.rank - 2], half = d / 2
        // Angles once per call: [T, D/2] cos and sin, in double precision for long positions.
        var cosT = [Float](repeating: 0, count: t * half), sinT = cosT
        for p in 0..<t {
            for i in 0..<half {
                let angle = Double(offset + p) * pow(Double(base), -2 * Double(i) / Double(d))
                cosT[p * half + i] = Float(cos(angle))
                sinT[p * half + i] = Float(inverse ? -sin(angle) : sin(angle))
            }
        }
        let out = Tensor(uninitializedShape: x.shape)
        let src = x.data, dst = out.data
        let rows = x.count / d
        cosT.withUnsafeBufferPointer { c in
            sinT.withUnsafeBufferPointer { s in
                ThreadPool.shared.parallelRanges(rows, grain: max(1, 4096 / d)) { r in
                    for row in r {
                        let p = row % t, a = src + row * d, o = dst + row * d
                        let cs = c.baseAddress! + p * half, sn = s.baseAddress! + p * half
                        for i in 0..<half {
                            let x1 = a[i], x2 = a[i + half]
                            o[i] = x1 * cs[i] - x2 * sn[i]
                            o[i + half] = x2 * cs[i] + x1 * sn[i]
                        }
                    }
                }
            }
        }
        return out
    }
}
