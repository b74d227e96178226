// Layout kernels: permute (transpose), slice, concatenate. They move data, never change it.

extension Kernels {
    /// out[i_perm(0), …] = x[i_0, …]: output dimension d is input dimension perm[d].
    public static func permute(_ x: Tensor, _ perm: [Int]) -> Tensor {
        precondition(perm.sorted() == Array(0..<x.rank), "permute: \(perm) is not a permutation of the \(x.rank) axes of \(x.shape)")
        let outShape = perm.map { x.shape[$0] }
        let out = Tensor(uninitializedShape: outShape, dtype: x.dtype)
        if x.count == 0 { return out }
        let inStrides = Shape.strides(x.shape)
        let strides = perm.map { inStrides[$0] }   // input stride of each output dimension
        let r = x.rank
        let n = outShape[r - 1], step = strides[r - 1]
        let rows = x.count / max(n, 1)
        let src = x.valueBytes.assumingMemoryBound(to: UInt32.self)
        let dst = out.valueBytes.assumingMemoryBound(to: UInt32.self)
        ThreadPool.shared.parallelRanges(rows, grain: max(1, (1 << 14) / max(n, 1))) { range in
            for row in range {
                var rem = row, off = 0
                for d in stride(from: r - 2, through: 0, by: -1) {
                    off += (rem % outShape[d]) * strides[d]; rem /= outShape[d]
                }
                let s = src + off, o = dst + row * n
                if step == 1 { o.update(from: s, count: n) } else { for i in 0..<n { o[i] = s[i * step] } }
            }
        }
        return out
    }

    /// Elements `range` along `axis`.
    public static func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        let ax = shapeChecked { try Shape.axis(axis, rank: x.rank, op: "slice") }
        precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[ax],
                     "slice: range \(range) out of bounds for axis \(ax) of shape \(x.shape)")
        let (outer, n, inner) = split3(x.shape, axis: ax)
        var shape = x.shape; shape[ax] = range.count
        let out = Tensor(uninitializedShape: shape, dtype: x.dtype)
        let src = x.valueBytes.assumingMemoryBound(to: UInt32.self)
        let dst = out.valueBytes.assumingMemoryBound(to: UInt32.self)
        let len = range.count * inner
        for o in 0..<outer { (dst + o * len).update(from: src + (o * n + range.lowerBound) * inner, count: len) }
        return out
    }

    /// Writes `dy` into a zero tensor of `shape` at `range` along `axis` (slice's backward).
    public static func sliceBackward(_ dy: Tensor, shape: [Int], axis: Int, range: Range<Int>) -> Tensor {
        let ax = shapeChecked { try Shape.axis(axis, rank: shape.count, op: "slice") }
        let (outer, n, inner) = split3(shape, axis: ax)
        let dx = Tensor(zeros: shape)
        let len = range.count * inner
        for o in 0..<outer { (dx.data + (o * n + range.lowerBound) * inner).update(from: dy.data + o * len, count: len) }
        return dx
    }

    /// Joins tensors along `axis`; all other dimensions must match.
    public static func concat(_ xs: [Tensor], axis: Int) -> Tensor {
        precondition(!xs.isEmpty, "concat: no tensors")
        let first = xs[0]
        let ax = shapeChecked { try Shape.axis(axis, rank: first.rank, op: "concat") }
        for t in xs {
            var a = t.shape, b = first.shape
            precondition(a.count == b.count && t.dtype == first.dtype, "concat: shapes \(first.shape) and \(t.shape) differ in rank or type")
            a[ax] = 0; b[ax] = 0
            precondition(a == b, "concat: shapes \(first.shape) and \(t.shape) differ outside axis \(ax)")
        }
        var shape = first.shape
        shape[ax] = xs.reduce(0) { $0 + $1.shape[ax] }
        let out = Tensor(uninitializedShape: shape, dtype: first.dtype)
        let (outer, total, inner) = split3(shape, axis: ax)
        let dst = out.valueBytes.assumingMemoryBound(to: UInt32.self)
        var offset = 0
        for t in xs {
            let len = t.shape[ax] * inner
            let src = t.valueBytes.assumingMemoryBound(to: UInt32.self)
            for o in 0..<outer { (dst + o * total * inner + offset).update(from: src + o * len, count: len) }
            offset += len
        }
        return out
    }
}
