// Differentiable elementwise arithmetic with broadcasting, and scalar forms.
// For c = a ∘ b the gradient of each operand is summed back over the axes it was broadcast on.

extension Tensor {
    static func binaryOp(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        let out = Kernels.binary(a, b, op)
        return out.recorded(op.rawValue, [a, b]) { [unowned out] dc in
            let ga: Tensor?, gb: Tensor?
            switch op {
            case .add: ga = dc; gb = dc
            case .sub: ga = dc; gb = Kernels.affine(dc, scale: -1, shift: 0)
            case .mul:
                ga = a.requiresGrad ? Kernels.binary(dc, b, .mul) : nil
                gb = b.requiresGrad ? Kernels.binary(dc, a, .mul) : nil
            case .div:
                ga = a.requiresGrad ? Kernels.binary(dc, b, .div) : nil
                // d(a/b)/db = −a/b² = −c/b
                gb = b.requiresGrad ? Kernels.affine(Kernels.binary(Kernels.binary(dc, out, .mul), b, .div), scale: -1, shift: 0) : nil
            }
            return [ga.map { Kernels.sumToShape($0, a.shape) }, gb.map { Kernels.sumToShape($0, b.shape) }]
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .sub) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .mul) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .div) }

    /// a·scale + shift.
    public func affine(scale: Float, shift: Float = 0) -> Tensor {
        Kernels.affine(self, scale: scale, shift: shift).recorded("affine", [self]) { dy in
            [Kernels.affine(dy, scale: scale, shift: 0)]
        }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1) }
}
