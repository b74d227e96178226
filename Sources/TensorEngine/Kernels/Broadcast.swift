// Broadcast iteration for binary elementwise kernels (NumPy rules), and its reverse:
// summing a gradient back to an operand's shape.

/// How `a` and `b` map onto their broadcast output, with adjacent dimensions merged where
/// they broadcast alike, so most cases become one long contiguous inner loop.
struct BroadcastPlan {
    var outShape: [Int]
    var dims: [Int] = []       // merged dimensions
    var aStrides: [Int] = []   // 0 where `a` is broadcast
    var bStrides: [Int] = []

    init(_ a: [Int], _ b: [Int], op: String) {
        outShape = shapeChecked { try Shape.broadcast(a, b, op: op) }
        let r = outShape.count
        let pa = [Int](repeating: 1, count: r - a.count) + a
        let pb = [Int](repeating: 1, count: r - b.count) + b
        let sa = Shape.strides(pa), sb = Shape.strides(pb)
        for i in 0..<r where outShape[i] != 1 {
            let astr = pa[i] == 1 ? 0 : sa[i], bstr = pb[i] == 1 ? 0 : sb[i]
            if let last = dims.indices.last,
               (aStrides[last] == 0) == (astr == 0), (bStrides[last] == 0) == (bstr == 0),
               aStrides[last] == astr * outShape[i] || (astr == 0 && aStrides[last] == 0),
               bStrides[last] == bstr * outShape[i] || (bstr == 0 && bStrides[last] == 0) {
                dims[last] *= outShape[i]
                aStrides[last] = astr; bStrides[last] = bstr
            } else {
                dims.append(outShape[i]); aStrides.append(astr); bStrides.append(bstr)
            }
        }
        if dims.isEmpty { dims = [1]; aStrides = [0]; bStrides = [0] }
    }

    /// Calls `body(outOffset, aOffset, bOffset, n, aStep, bStep)` for each run along the innermost
    /// merged dimension, over threads when the output is large. Offsets are in elements.
    func forEachRun(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let n = dims[dims.count - 1]
        let aStep = aStrides[dims.count - 1], bStep = bStrides[dims.count - 1]
        let rows = dims.dropLast().reduce(1, *)
        let outer = Array(dims.dropLast())
        let oa = Array(aStrides.dropLast()), ob = Array(bStrides.dropLast())
        func runRows(_ range: Range<Int>) {
            for row in range {
                var rem = row, aOff = 0, bOff = 0
                for d in stride(from: outer.count - 1, through: 0, by: -1) {
                    let idx = rem % outer[d]; rem /= outer[d]
                    aOff += idx * oa[d]; bOff += idx * ob[d]
                }
                body(row * n, aOff, bOff, n, aStep, bStep)
            }
        }
        if rows * n >= 1 << 16 && rows > 1 {
            ThreadPool.shared.parallelRanges(rows, grain: max(1, (1 << 14) / n), runRows)
        } else if rows == 1 && n >= 1 << 16 {
            // One long run: split it so both cores stream memory.
            ThreadPool.shared.parallelRanges(n, grain: 1 << 14) { r in
                body(r.lowerBound, r.lowerBound * aStep, r.lowerBound * bStep, r.count, aStep, bStep)
            }
        } else {
            runRows(0..<rows)
        }
    }
}

extension Kernels {
    /// Sums `grad` (shaped like a broadcast output) down to `shape`, the operand's shape.
    public static func sumToShape(_ grad: Tensor, _ shape: [Int]) -> Tensor {
        if grad.shape == shape { return grad }
        let r = grad.rank
        let padded = [Int](repeating: 1, count: r - shape.count) + shape
        var t = grad
        for axis in 0..<r where padded[axis] == 1 && grad.shape[axis] != 1 {
            t = reduce(t, axis: axis, kind: .sum)
        }
        return t.view(shape)
    }
}
