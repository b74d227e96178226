// ALiBi (Press et al.): no position embeddings; attention scores get a per-head linear
// penalty −m_h·|i − j| for query position i and key position j. Slopes m_h form the
// geometric sequence 2^(−8h/H) (interpolated for H not a power of two). Works for any length.
import Foundation

public enum ALiBi {
    public static func slopes(heads: Int) -> [Float] {
        func powerOfTwoSlopes(_ n: Int) -> [Float] {
            let start = pow(2, -8 / Double(n))
            return (1...n).map { Float(pow(start, Double($0))) }
        }
        let closest = 1 << Int(log2(Double(heads)))
        if closest == heads { return powerOfTwoSlopes(heads) }
        let extra = powerOfTwoSlopes(2 * closest).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        return powerOfTwoSlopes(closest) + extra.prefix(heads - closest)
    }

    /// Bias [H, T, S] for queries at positions queryOffset..<queryOffset+T and keys 0..<S.
    public static func bias(heads: Int, queryLength t: Int, keyLength s: Int, queryOffset: Int) -> Tensor {
        let m = slopes(heads: heads)
        let out = Tensor(uninitializedShape: [heads, t, s])
        for h in 0..<heads {
            for i in 0..<t {
                for j in 0..<s { out.data[(h * t + i) * s + j] = -m[h] * Float(abs(queryOffset + i - j)) }
            }
        }
        return out
    }
}
