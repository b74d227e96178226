// Position-wise feed-forward network (the paper, §3.3): FFN(x) = max(0, x·W1 + b1)·W2 + b2,
// the same two linear maps at every position. Variants: GELU instead of ReLU, and SwiGLU,
// FFN(x) = (SiLU(x·W1) ⊙ x·W3)·W2. Dropout after the activation, as PyTorch and the
// Annotated Transformer do.

public enum Activation: String, Codable, Sendable, CaseIterable { case relu, gelu, swiglu }

public final class PositionwiseFeedForward: Module {
    public let linear1: Linear
    public let linear2: Linear
    /// The gate's second projection W3 (SwiGLU only).
    public let gate: Linear?
    public let activation: Activation
    public let dropout: Dropout

    public init(dModel: Int, hidden: Int, activation: Activation, bias: Bool = true, dropout: Dropout, generator: inout RandomGenerator) {
        linear1 = Linear(dModel, hidden, bias: bias, generator: &generator)
        gate = activation == .swiglu ? Linear(dModel, hidden, bias: bias, generator: &generator) : nil
        linear2 = Linear(hidden, dModel, bias: bias, generator: &generator)
        self.activation = activation
        self.dropout = dropout
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = linear1(x)
        let a: Tensor
        switch activation {
        case .relu: a = h.relu()
        case .gelu: a = h.gelu()
        case .swiglu: a = h.silu() * gate!(x)
        }
        return linear2(dropout(a))
    }

    /// The same network for decoding (no dropout, no gradient), through the pre-packed kernels.
    public func inference(_ x: Tensor) -> Tensor {
        let h = linear1.inference(x)
        let a: Tensor
        switch activation {
        case .relu: a = h.relu()
        case .gelu: a = h.gelu()
        case .swiglu: a = h.silu() * (gate?.inference(x) ?? h)
        }
        return linear2.inference(a)
    }
}
