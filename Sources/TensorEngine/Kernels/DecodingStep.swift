// Raw-pointer kernels of one decoding step (C, dispatched to the CPU's SIMD level): the attention
// of a few new queries over a KV cache, softmax(q·Kᵀ)·V in pieces so masks can go between, and the
// next token's scores over the vocabulary, log softmax(z)_j = z_j − log Σ exp z and the best k.
import CKernels

extension Kernels {
    /// out[r·count + j] = q_r · key_j: `rows` queries of `width` floats, `count` keys `stride` floats apart.
    public static func dotRows(_ q: UnsafePointer<Float>, rows: Int, keys: UnsafePointer<Float>, count: Int, stride: Int,
                               width: Int, into out: UnsafeMutablePointer<Float>) {
        tk_dot_rows(q, rows, keys, count, stride, width, out)
    }

    /// Softmax of each of `rows` contiguous lines of `count` floats, in place (an all −∞ line gives zeros).
    public static func softmaxRowsInPlace(_ x: UnsafeMutablePointer<Float>, rows: Int, count: Int) {
        tk_softmax_rows(x, x, rows, count, 0)
    }

    /// out[r·width + c] = Σ_j w[r·count + j]·value_j[c]: `count` values `stride` floats apart.
    public static func weightedSumRows(_ w: UnsafePointer<Float>, rows: Int, values: UnsafePointer<Float>, count: Int,
                                       stride: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
        tk_weighted_sum_rows(w, rows, values, count, stride, width, out)
    }

    /// log Σ_j exp(z_j) over `n` floats (−∞ when all are −∞).
    public static func logSumExp(_ z: UnsafePointer<Float>, _ n: Int) -> Float {
        var lse: Float = 0
        tk_log_sum_exp_rows(z, &lse, 1, n)
        return lse
    }

    /// The `k` largest of `n` floats as (id, value), best first, the lower id first among equals
    /// (so the first is the argmax); fewer than `k` only when n < k.
    public static func top(_ k: Int, _ z: UnsafePointer<Float>, _ n: Int) -> [(id: Int, value: Float)] {
        guard k > 0 else { return [] }
        var ids = [Int32](repeating: 0, count: k), values = [Float](repeating: 0, count: k)
        let found = tk_top_k(z, n, k, &ids, &values)
        return (0..<found).map { (Int(ids[$0]), values[$0]) }
    }
}
