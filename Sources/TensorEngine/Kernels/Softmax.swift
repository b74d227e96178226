// Softmax and log-softmax over one axis, forward and backward.
//   softmax(x)_j = exp(x_j − max x) / Σ_k exp(x_k − max x)
//   dx = y ⊙ (dy − Σ dy⊙y);  log-softmax: dx = dy − softmax(x) · Σ dy
// Over the last axis the rows go to the C row kernels; other axes use the strided Swift loops.
import CKernels
import Foundation

extension Kernels {
    /// Applies `rowOp(src, dst, n, stride)` to every line along `axis`; lines are independent.
    static func forEachLine(_ shape: [Int], axis: Int, op: String, _ rowOp: (Int, Int, Int) -> Void) -> (Int, Int) {
        let ax = shapeChecked { try Shape.axis(axis, rank: shape.count, op: op) }
        let (outer, n, inner) = split3(shape, axis: ax)
        let lines = outer * inner
        ThreadPool.shared.parallelRanges(lines, grain: max(1, (1 << 13) / max(n, 1))) { r in
            for line in r {
                let o = line / inner, i = line % inner
                rowOp(o * n * inner + i, n, inner)
            }
        }
        return (n, inner)
    }

    /// Runs `rowOp(firstRow, rowCount, n)` over the rows of a tensor viewed as [rows, n = last axis],
    /// in parallel chunks of whole rows; returns false (doing nothing) unless `axis` is the last one.
    static func forEachLastAxisRows(_ shape: [Int], axis: Int, op: String, _ rowOp: (Int, Int, Int) -> Void) -> Bool {
        let ax = shapeChecked { try Shape.axis(axis, rank: shape.count, op: op) }
        guard ax == shape.count - 1 else { return false }
        let n = shape[ax], rows = Shape.count(shape) / max(n, 1)
        if n == 0 { return true }
        ThreadPool.shared.parallelRanges(rows, grain: max(1, (1 << 14) / n)) { r in rowOp(r.lowerBound, r.count, n) }
        return true
    }

    public static func softmax(_ x: Tensor, axis: Int, log logarithmic: Bool = false) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let p = x.data, q = out.data
        if forEachLastAxisRows(x.shape, axis: axis, op: logarithmic ? "logSoftmax" : "softmax", { row, count, n in
            tk_softmax_rows(p + row * n, q + row * n, count, n, logarithmic ? 1 : 0)
        }) { return out }
        _ = forEachLine(x.shape, axis: axis, op: logarithmic ? "logSoftmax" : "softmax") { base, n, s in
            let src = p + base, dst = q + base
            var m = -Float.infinity
            for j in 0..<n { m = max(m, src[j * s]) }
            if m == -.infinity {   // an all −∞ line: softmax 0, log-softmax −∞, never NaN
                for j in 0..<n { dst[j * s] = logarithmic ? -.infinity : 0 }
                return
            }
            var sum: Float = 0
            for j in 0..<n { let e = Foundation.exp(src[j * s] - m); dst[j * s] = e; sum += e }
            if logarithmic {
                let ls = Foundation.log(sum)
                for j in 0..<n { dst[j * s] = (src[j * s] - m) - ls }
            } else {
                let inv: Float = sum > 0 ? 1 / sum : 0
                for j in 0..<n { dst[j * s] *= inv }
            }
        }
        return out
    }

    /// dx from the forward output `y` and `dy`.
    public static func softmaxBackward(y: Tensor, dy: Tensor, axis: Int, log logarithmic: Bool = false) -> Tensor {
        let dx = Tensor(uninitializedShape: y.shape)
        let py = y.data, g = dy.data, d = dx.data
        if forEachLastAxisRows(y.shape, axis: axis, op: "softmax", { row, count, n in
            tk_softmax_backward_rows(py + row * n, g + row * n, d + row * n, count, n, logarithmic ? 1 : 0)
        }) { return dx }
        _ = forEachLine(y.shape, axis: axis, op: "softmax") { base, n, s in
            let yy = py + base, gg = g + base, dd = d + base
            if logarithmic {
                var sum: Float = 0
                for j in 0..<n { sum += gg[j * s] }
                for j in 0..<n { dd[j * s] = gg[j * s] - Foundation.exp(yy[j * s]) * sum }
            } else {
                var dot: Float = 0
                for j in 0..<n { dot += gg[j * s] * yy[j * s] }
                for j in 0..<n { dd[j * s] = yy[j * s] * (gg[j * s] - dot) }
            }
        }
        return dx
    }
}
