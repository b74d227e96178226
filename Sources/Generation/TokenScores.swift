// Next-token scores from a row of logits: log-probabilities log softmax(z)_j = z_j − log Σ exp z,
// the best token, and the best few, with ties going to the lower id so results never depend on
// anything but the logits.
import Foundation

enum TokenScores {
    /// log Σ_j exp(z_j), skipping `excluded` (a token that may not be produced yet).
    static func logSumExp(_ z: UnsafePointer<Float>, _ n: Int, excluding excluded: Int? = nil) -> Float {
        var m = -Float.infinity
        for j in 0..<n where j != excluded { m = max(m, z[j]) }
        if m == -.infinity { return m }
        var sum: Float = 0
        for j in 0..<n where j != excluded { sum += exp(z[j] - m) }
        return m + log(sum)
    }

    /// The id of the largest logit (lowest id on ties), skipping `excluded`.
    static func argmax(_ z: UnsafePointer<Float>, _ n: Int, excluding excluded: Int? = nil) -> Int {
        var best = -1, value = -Float.infinity
        for j in 0..<n where j != excluded && (best < 0 || z[j] > value) { (best, value) = (j, z[j]) }
        return max(best, 0)
    }

    /// The `k` largest logits as (id, logit), best first (lower id first on ties), skipping `excluded`.
    static func top(_ k: Int, _ z: UnsafePointer<Float>, _ n: Int, excluding excluded: Int? = nil) -> [(id: Int, logit: Float)] {
        var out: [(id: Int, logit: Float)] = []
        out.reserveCapacity(k + 1)
        for j in 0..<n where j != excluded {
            let x = z[j]
            if out.count == k, let last = out.last, !(x > last.logit) { continue }
            var i = out.count
            while i > 0 && x > out[i - 1].logit { i -= 1 }
            out.insert((j, x), at: i)
            if out.count > k { out.removeLast() }
        }
        return out
    }
}
