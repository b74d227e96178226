// Position-wise feed-forward network (the paper, §3.3): FFN(x) = max(0, x·W1 + b1)·W2 + b2,
// the same two linear maps at every position. Variants: GELU (exact, or its tanh approximation,
// GPT-2's "gelu_new") or SiLU (Marian's "swish") instead of ReLU, and SwiGLU,
// FFN(x) = (SiLU(x·W1) ⊙ x·W3)·W2 (Llama's down(SiLU(gate(x)) ⊙ up(x)): W1 is its gate_proj, W3
// its up_proj). Dropout after the activation, as PyTorch and the Annotated Transformer do.

public enum Activation: String, Codable, Sendable, CaseIterable {
    case relu, gelu, geluTanh = "gelu_tanh", silu, swiglu

    /// The elementwise function (SwiGLU's SiLU half for `.swiglu`, whose gate `PositionwiseFeedForward` applies).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .geluTanh: return x.geluTanh()
        case .silu, .swiglu: return x.silu()
        }
    }
}

public final class PositionwiseFeedForward: Module {
    public let linear1: Linear
    public let linear2: Linear
    /// The gate's second projection W3 (SwiGLU only).
    public let gate: Linear?
    public let activation: Activation
    public let dropout: Dropout

    public init(dModel: Int, hidden: Int, activation: Activation, bias: Bool = true, dropout: Dropout,
                initialization: WeightInitialization = .xavier, generator: inout RandomGenerator) {
        linear1 = Linear(dModel, hidden, bias: bias, initializer: initialization.matrix(dModel, hidden), generator: &generator)
        gate = activation == .swiglu
            ? Linear(dModel, hidden, bias: bias, initializer: initialization.matrix(dModel, hidden), generator: &generator) : nil
        linear2 = Linear(hidden, dModel, bias: bias, initializer: initialization.residualMatrix(hidden, dModel), generator: &generator)
        self.activation = activation
        self.dropout = dropout
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = activation(linear1(x))
        return linear2(dropout(gate.map { h * $0(x) } ?? h))
    }

    /// The same network for decoding (no dropout, no gradient), through the pre-packed kernels
    /// (ReLU in the first one's epilogue).
    public func inference(_ x: Tensor) -> Tensor {
        let h = activation == .relu ? linear1.inference(x, relu: true) : activation(linear1.inference(x))
        return linear2.inference(gate.map { h * $0.inference(x) } ?? h)
    }
}
