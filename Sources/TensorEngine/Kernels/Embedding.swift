// Embedding lookup: out[…, :] = W[id, :]. Backward scatter-adds dy rows into dW; threads
// split the columns, so every row of dW is summed in id order whatever the thread count.

extension Kernels {
    public static func embedding(weight: Tensor, ids: Tensor) -> Tensor {
        precondition(weight.rank == 2 && ids.dtype == .int32, "embedding: weight \(weight.shape) must be 2-D and ids int32")
        let (v, d) = (weight.shape[0], weight.shape[1])
        let out = Tensor(uninitializedShape: ids.shape + [d])
        let w = weight.data, q = out.data, p = ids.intData
        for i in 0..<ids.count {
            let id = Int(p[i])
            precondition(id >= 0 && id < v, "embedding: id \(id) out of range for a vocabulary of \(v)")
        }
        ThreadPool.shared.parallelRanges(ids.count, grain: max(1, (1 << 13) / max(d, 1))) { r in
            for i in r { (q + i * d).update(from: w + Int(p[i]) * d, count: d) }
        }
        return out
    }

    /// Rows of x [N, d] placed at distinct `ids` of a zero [count, d] table (the inverse of a gather).
    public static func scatterRows(_ x: Tensor, ids: Tensor, count: Int) -> Tensor {
        let d = x.shape.last ?? 1
        precondition(ids.dtype == .int32 && ids.count * d == x.count, "scatterRows: \(x.shape) rows do not match ids \(ids.shape)")
        let out = Tensor(zeros: [count, d])
        let src = x.data, q = out.data, p = ids.intData
        for i in 0..<ids.count {
            precondition(p[i] >= 0 && Int(p[i]) < count, "scatterRows: row \(p[i]) out of range for \(count) rows")
        }
        ThreadPool.shared.parallelRanges(ids.count, grain: max(1, (1 << 13) / max(d, 1))) { r in
            for i in r { (q + Int(p[i]) * d).update(from: src + i * d, count: d) }
        }
        return out
    }

    public static func embeddingBackward(ids: Tensor, dy: Tensor, vocabularySize v: Int) -> Tensor {
        let d = dy.shape.last ?? 1
        let dw = Tensor(zeros: [v, d])
        let g = dy.data, q = dw.data, p = ids.intData, n = ids.count
        ThreadPool.shared.parallelRanges(d, grain: 16) { cols in
            for i in 0..<n {
                let dst = q + Int(p[i]) * d, src = g + i * d
                for c in cols { dst[c] += src[c] }
            }
        }
        return dw
    }
}
