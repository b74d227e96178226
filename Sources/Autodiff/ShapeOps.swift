// Differentiable shape ops: reshape, transpose/permute, slice, concatenate, split.

extension Tensor {
    /// The same elements under a new shape (one dimension may be -1); shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let oldShape = shape
        return view(newShape).recorded("reshape", [self]) { dy in [dy.view(oldShape)] }
    }

    /// Output axis i is input axis `perm[i]`.
    public func permuted(_ perm: [Int]) -> Tensor {
        if Self.keepsElementOrder(perm, shape) { return reshaped(perm.map { shape[$0] }) }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() where p >= 0 && p < perm.count { inverse[p] = i }
        return Kernels.permute(self, perm).recorded("permute", [self]) { dy in [Kernels.permute(dy, inverse)] }
    }

    /// Whether `perm` (a valid permutation) moves only size-1 axes past others, so the elements
    /// stay in order and the permute is a reshape: splitting heads of a single decoding position,
    /// [B, 1, H, d] → [B, H, 1, d], then costs no copy.
    static func keepsElementOrder(_ perm: [Int], _ shape: [Int]) -> Bool {
        guard perm.count == shape.count, perm.count <= 64 else { return false }
        var seen: UInt64 = 0, last = -1
        for p in perm {
            guard p >= 0 && p < shape.count && seen & (1 << p) == 0 else { return false }
            seen |= 1 << p
            if shape[p] != 1 {
                if p < last { return false }
                last = p
            }
        }
        return true
    }

    /// Swaps two axes (negative axes count from the end).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        let (x, y) = shapeChecked { (try Shape.axis(a, rank: rank, op: "transpose"), try Shape.axis(b, rank: rank, op: "transpose")) }
        var perm = Array(0..<rank)
        perm.swapAt(x, y)
        return permuted(perm)
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let shape = self.shape
        return Kernels.slice(self, axis: axis, range: range).recorded("slice", [self]) { dy in
            [Kernels.sliceBackward(dy, shape: shape, axis: axis, range: range)]
        }
    }

    /// Joins tensors along `axis`.
    public static func concat(_ xs: [Tensor], axis: Int) -> Tensor {
        let sizes = xs.map { t in t.shape[shapeChecked { try Shape.axis(axis, rank: t.rank, op: "concat") }] }
        return Kernels.concat(xs, axis: axis).recorded("concat", xs) { dy in
            var start = 0
            return sizes.map { n in
                defer { start += n }
                return Kernels.slice(dy, axis: axis, range: start..<(start + n))
            }
        }
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the axis length).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let ax = shapeChecked { try Shape.axis(axis, rank: rank, op: "split") }
        precondition(sizes.reduce(0, +) == shape[ax] && sizes.allSatisfy { $0 >= 0 },
                     "split: sizes \(sizes) do not add up to axis \(ax) of shape \(shape)")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return slice(axis: ax, start..<(start + n))
        }
    }
}
