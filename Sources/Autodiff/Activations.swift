// Differentiable unary functions: exp, log, sqrt, tanh, sigmoid and the feed-forward
// activations ReLU (the paper), GELU (exact, erf form, and its tanh approximation, GPT-2's
// "gelu_new") and SiLU (SwiGLU's gate; Marian's "swish").

extension Tensor {
    func unaryOp(_ op: UnaryOp) -> Tensor {
        let y = Kernels.unary(self, op)
        return y.recorded(op.rawValue, [self]) { [unowned y] dy in [Kernels.unaryBackward(op, x: self, y: y, dy: dy)] }
    }

    public func exp() -> Tensor { unaryOp(.exp) }
    public func log() -> Tensor { unaryOp(.log) }
    public func sqrt() -> Tensor { unaryOp(.sqrt) }
    public func tanh() -> Tensor { unaryOp(.tanh) }
    public func sigmoid() -> Tensor { unaryOp(.sigmoid) }
    public func relu() -> Tensor { unaryOp(.relu) }
    public func gelu() -> Tensor { unaryOp(.gelu) }
    public func geluTanh() -> Tensor { unaryOp(.geluTanh) }
    public func silu() -> Tensor { unaryOp(.silu) }
}
