// Next-token scores from a row of logits: log-probabilities log softmax(z)_j = z_j − log Σ exp z,
// the best token, and the best few, with ties going to the lower id so results never depend on
// anything but the logits. These run over the whole vocabulary every step, so the maximum and
// the sum of exponentials go eight lanes at a time.
import Foundation

enum TokenScores {
    /// max_j z_j (−∞ for none).
    static func maximum(_ z: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= n {
            let v = UnsafeRawPointer(z + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes.replace(with: v, where: v .> lanes)
            j += 8
        }
        var m = lanes.max()
        while j < n { m = max(m, z[j]); j += 1 }
        return m
    }

    /// log Σ_j exp(z_j).
    static func logSumExp(_ z: UnsafePointer<Float>, _ n: Int) -> Float {
        let m = maximum(z, n)
        if m == -.infinity { return m }
        var lanes = SIMD8<Float>(repeating: 0)
        var j = 0
        let shift = SIMD8<Float>(repeating: m)
        while j + 8 <= n {
            lanes += exp(UnsafeRawPointer(z + j).loadUnaligned(as: SIMD8<Float>.self) - shift)
            j += 8
        }
        var sum = lanes.sum()
        while j < n { sum += Foundation.exp(z[j] - m); j += 1 }
        return m + Foundation.log(sum)
    }

    /// e^x for x ≤ 0 to within 2 ulp (Cephes' expf polynomial after a 2^n split); 0 below −87.
    /// Rounding and the integer 2^n use the 1.5·2²³ trick: adding it leaves round(v) in the low
    /// mantissa bits, with no per-lane conversion calls.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let floor = SIMD8<Float>(repeating: -87)
        let clamped = x.replacing(with: floor, where: x .< floor)
        let shifted = clamped * 1.44269504088896341 + magic
        let n = shifted - magic
        let f = clamped - n * 0.693359375 + n * 2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * f + 1.3981999507e-3
        p = p * f + 8.3334519073e-3
        p = p * f + 4.1665795894e-2
        p = p * f + 1.6666665459e-1
        p = p * f + 5.0000001201e-1
        let e = p * f * f + f + 1
        // The low bits of `shifted` hold n (two's complement); n + 127 in the exponent field is 2^n.
        let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &+ 127) &<< 23
        return (e * unsafeBitCast(bits, to: SIMD8<Float>.self)).replacing(with: 0, where: x .< floor)
    }

    /// The id of the largest logit (the lowest such id).
    static func argmax(_ z: UnsafePointer<Float>, _ n: Int) -> Int {
        let m = maximum(z, n)
        for j in 0..<n where z[j] == m { return j }
        return 0
    }

    /// The `k` largest logits as (id, logit), best first (lower id first on ties); −∞ entries only
    /// when fewer than k are finite.
    static func top(_ k: Int, _ z: UnsafePointer<Float>, _ n: Int) -> [(id: Int, logit: Float)] {
        var out: [(id: Int, logit: Float)] = []
        out.reserveCapacity(k + 1)
        var threshold = -Float.infinity
        for j in 0..<n {
            let x = z[j]
            if out.count == k && !(x > threshold) { continue }
            var i = out.count
            while i > 0 && x > out[i - 1].logit { i -= 1 }
            out.insert((j, x), at: i)
            if out.count > k { out.removeLast() }
            if out.count == k { threshold = out[k - 1].logit }
        }
        return out
    }
}
