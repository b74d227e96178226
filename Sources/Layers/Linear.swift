// Linear: y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout), Xavier-uniform init
// as in the Annotated Transformer. At inference it may run on a packed copy of W in bfloat16 or
// int8 (`Module.setInferencePrecision`).

public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    /// The number format of passes that record no gradient; float32 whenever gradients are recorded.
    public private(set) var precision: InferencePrecision = .f32
    /// The weight packed for inference: made on first use, and again once the weights change.
    private var packed: PackedWeight?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        let limit = (6 / Float(inFeatures + outFeatures)).squareRoot()
        weight = parameter(Tensor.uniform([outFeatures, inFeatures], low: -limit, high: limit, generator: &generator))
        self.bias = bias ? parameter(Tensor.zeros([outFeatures])) : nil
        super.init()
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if precision != .f32 && !GradMode.isEnabled { return inference(x) }
        return x.linear(weight: weight, bias: bias)
    }

    /// x·Wᵀ + b (then max(0, ·) when `relu`) for inference, through the pre-packed kernel in this
    /// layer's precision: no gradient, and each row's result independent of the rows beside it.
    public func inference(_ x: Tensor, relu: Bool = false) -> Tensor {
        packedWeight().apply(x, relu: relu)
    }

    /// The packed weight in use (packed now if it is missing or stale).
    public func packedWeight() -> PackedWeight {
        if let packed, packed.matches(weight: weight, bias: bias) { return packed }
        let fresh = PackedWeight(weight: weight, bias: bias, precision: precision)
        packed = fresh
        return fresh
    }

    override public func adoptInferencePrecision(_ precision: InferencePrecision) {
        if precision != self.precision { packed = nil }
        self.precision = precision
    }
}
