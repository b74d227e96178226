// Differentiable reductions: sum, mean and max over axes (or all elements).

extension Tensor {
    func reduced(_ axes: [Int]?, keepDims: Bool, kind: ReduceKind) -> Tensor {
        let list = axes ?? Array(0..<rank)
        let normalized = Set(list.map { a in shapeChecked { try Shape.axis(a, rank: rank, op: "\(kind)") } }).sorted()
        var y = self
        for axis in normalized { y = y.reducedOneAxis(axis, kind: kind) }
        if keepDims { return y }
        let shape = self.shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        return y.reshaped(shape)
    }

    private func reducedOneAxis(_ axis: Int, kind: ReduceKind) -> Tensor {
        let y = Kernels.reduce(self, axis: axis, kind: kind)
        return y.recorded(kind.rawValue, [self]) { [unowned y] dy in
            [Kernels.reduceBackward(self, y: y, dy: dy, axis: axis, kind: kind)]
        }
    }

    /// Σ over `axes` (all when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduced(axes, keepDims: keepDims, kind: .sum) }
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduced(axes, keepDims: keepDims, kind: .mean) }
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }
    /// Maximum over `axes`; its gradient goes to the first maximal element.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduced(axes, keepDims: keepDims, kind: .max) }
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }
}
