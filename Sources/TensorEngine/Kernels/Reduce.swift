// Reductions over one axis (sum, mean, max), keeping the axis as size 1.
// A tensor is seen as [outer, n, inner] around the axis; each output element is summed
// in a fixed order, so results do not depend on the thread count.

import CKernels

public enum ReduceKind: String, Sendable { case sum, mean, max }

extension Kernels {
    /// [outer, n, inner] around `axis`.
    static func split3(_ shape: [Int], axis: Int) -> (Int, Int, Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Reduces `axis`, which stays in the result with size 1.
    public static func reduce(_ x: Tensor, axis: Int, kind: ReduceKind) -> Tensor {
        let ax = shapeChecked { try Shape.axis(axis, rank: x.rank, op: "reduce(\(kind.rawValue))") }
        let (outer, n, inner) = split3(x.shape, axis: ax)
        if kind == .max {
            precondition(n > 0, "max: cannot reduce an empty axis of shape \(x.shape)")
        }
        var shape = x.shape; shape[ax] = 1
        let out = Tensor(uninitializedShape: shape)
        let p = x.data, q = out.data
        let scale: Float = kind == .mean ? 1 / Float(max(n, 1)) : 1
        let work = { (o: Int, cols: Range<Int>) in
            let dst = q + o * inner, src = p + o * n * inner
            switch kind {
            case .sum, .mean:
                if inner == 1 {
                    var s: Float = 0
                    for j in 0..<n { s += src[j] }
                    dst[0] = s
                } else {
                    // Column sums (a bias gradient), at most 1024 columns at a time so that the
                    // running sums stay in L1 while the rows stream past.
                    for c0 in stride(from: cols.lowerBound, to: cols.upperBound, by: 1024) {
                        tk_column_sums(src + c0, n, min(1024, cols.upperBound - c0), inner, dst + c0)
                    }
                }
                if scale != 1 { for c in cols { dst[c] *= scale } }
            case .max:
                for c in cols { dst[c] = src[c] }
                for j in 1..<max(n, 1) { let row = src + j * inner; for c in cols { dst[c] = max(dst[c], row[c]) } }
            }
        }
        if outer >= 2 && outer * n * inner >= 1 << 15 {
            ThreadPool.shared.parallelRanges(outer, grain: max(1, (1 << 14) / max(1, n * inner))) { r in
                for o in r { work(o, 0..<inner) }
            }
        } else if inner >= 64 && n * inner >= 1 << 15 {
            for o in 0..<outer {
                ThreadPool.shared.parallelRanges(inner, grain: 64) { cols in work(o, cols) }
            }
        } else {
            for o in 0..<outer { work(o, 0..<inner) }
        }
        return out
    }

    /// Gradient of a one-axis reduction: dy (axis kept as 1) spread back over `x`'s shape.
    /// For max, the whole gradient goes to the first maximal element.
    public static func reduceBackward(_ x: Tensor, y: Tensor, dy: Tensor, axis: Int, kind: ReduceKind) -> Tensor {
        let ax = shapeChecked { try Shape.axis(axis, rank: x.rank, op: "reduce(\(kind.rawValue))") }
        let (outer, n, inner) = split3(x.shape, axis: ax)
        let dx = Tensor(uninitializedShape: x.shape)
        let g = dy.data, d = dx.data, px = x.data, py = y.data
        let scale: Float = kind == .mean ? 1 / Float(max(n, 1)) : 1
        for o in 0..<outer {
            let src = g + o * inner, dst = d + o * n * inner
            switch kind {
            case .sum, .mean:
                for j in 0..<n { let row = dst + j * inner; for c in 0..<inner { row[c] = src[c] * scale } }
            case .max:
                let xs = px + o * n * inner, ys = py + o * inner
                for c in 0..<inner {
                    var found = false
                    for j in 0..<n {
                        let hit = !found && xs[j * inner + c] == ys[c]
                        dst[j * inner + c] = hit ? src[c] : 0
                        if hit { found = true }
                    }
                }
            }
        }
        return dx
    }
}
