// Scaled dot-product attention (the paper, §3.2.1) of new queries over a KV cache:
// softmax(Q·Kᵀ + bias, masked)·V, one (row, key/value head) block at a time, with K and V read
// in place from the cache. The steps and their order (scores, + ALiBi bias, −∞ where masked,
// softmax) are those of `ScaledDotProductAttention`, so cached and uncached decoding agree.
import Foundation

/// Which keys a block of cached attention sees, and the per-head score bias.
public struct CachedAttentionMask {
    /// Absolute position of the first query; with `causal`, query t sees keys j ≤ queryOffset + t.
    public var queryOffset: Int
    public var causal: Bool
    /// [cache rows, keys]: non-zero where the key is padding (cross-attention to a padded source).
    public var keyPadding: Tensor?
    /// ALiBi slopes per query head: score −= slope·|query position − key position|.
    public var alibiSlopes: [Float]?

    public init(queryOffset: Int, causal: Bool, keyPadding: Tensor? = nil, alibiSlopes: [Float]? = nil) {
        self.queryOffset = queryOffset
        self.causal = causal
        self.keyPadding = keyPadding
        self.alibiSlopes = alibiSlopes
    }
}

extension ScaledDotProductAttention {
    /// q: [R, H, T, keyWidth], already scaled by 1/√d_k; query row r reads cache row
    /// `cacheRows[r]` (or r). Returns [R, H, T, valueWidth]. H is a multiple of the cache's heads;
    /// each group of H/H_kv query heads shares one key/value head, as in GQA/MQA (MLA: one head).
    /// `capture` records the weights [R, H, T, S].
    public static func attend(query q: Tensor, cache: KeyValueCache, cacheRows: [Int]? = nil, mask: CachedAttentionMask,
                              capture: AttentionCapture? = nil) -> Tensor {
        let (r, h, t, dk) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let hkv = cache.heads, s = cache.length, dv = cache.valueWidth
        precondition(dk == cache.keyWidth && h % hkv == 0 && (cacheRows?.count ?? r) == r && (cacheRows != nil || cache.rows == r),
                     "attend: query \(q.shape) does not fit a cache of \(cache.rows) rows × \(hkv) heads × \(cache.keyWidth)")
        if let pad = mask.keyPadding { precondition(pad.shape == [cache.rows, s], "attend: key padding \(pad.shape) does not fit \(s) keys") }
        let group = h / hkv, m = group * t
        let out = Tensor(uninitializedShape: [r, h, t, dv])
        let scores = Tensor(uninitializedShape: [r * hkv, m, max(s, 1)])
        let qp = q.data, op = out.data, sp = scores.data
        let block = { (i: Int) in
            let (row, head) = (i / hkv, i % hkv)
            let cacheRow = cacheRows?[row] ?? row
            let sc = sp + i * m * s
            let direct = m * s * (dk + dv) <= 1 << 15
            if direct {
                Kernels.dotRows(qp + i * m * dk, rows: m, keys: cache.keyPointer(row: cacheRow, head: head), count: s, stride: cache.keyWidth,
                                width: dk, into: sc)
            } else {
                Gemm.sgemm(transA: false, transB: true, m: m, n: s, k: dk, alpha: 1, a: qp + i * m * dk, lda: dk,
                           b: cache.keyPointer(row: cacheRow, head: head), ldb: cache.keyWidth, beta: 0, c: sc, ldc: s)
            }
            let padding = mask.keyPadding.map { $0.data + cacheRow * s }
            for line in 0..<m {
                let (g, ti) = (line / t, line % t)
                let x = sc + line * s
                let position = mask.queryOffset + ti
                if let slopes = mask.alibiSlopes {
                    let slope = slopes[head * group + g]
                    for j in 0..<s { x[j] = x[j] + -slope * Float(abs(position - j)) }
                }
                if let padding { for j in 0..<s where padding[j] != 0 { x[j] = -.infinity } }
                if mask.causal { for j in 0..<s where j > position { x[j] = -.infinity } }
            }
            Kernels.softmaxRowsInPlace(sc, rows: m, count: s)
            let (values, stride) = cache.valuePointer(row: cacheRow, head: head)
            if direct {
                Kernels.weightedSumRows(sc, rows: m, values: values, count: s, stride: stride, width: dv, into: op + i * m * dv)
            } else {
                Gemm.sgemm(transA: false, transB: false, m: m, n: dv, k: s, alpha: 1, a: sc, lda: s,
                           b: values, ldb: stride, beta: 0, c: op + i * m * dv, ldc: dv)
            }
        }
        // Blocks are independent; spread them over the pool only when there is enough work.
        // `scores` is reached only through `sp`: keep it alive until the blocks are done.
        withExtendedLifetime(scores) {
            if r * h * t * s * (dk + dv) >= 1 << 16 {
                ThreadPool.shared.parallelFor(r * hkv, block)
            } else {
                for i in 0..<(r * hkv) { block(i) }
            }
        }
        // The scores, softmaxed in place, are the weights laid out [R, H_kv, group·T, S] = [R, H, T, S].
        if let capture, s > 0 { capture.record(scores.view([r, h, t, s])) }
        return out
    }
}
