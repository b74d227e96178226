// Linear: y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout), Xavier-uniform init
// as in the Annotated Transformer unless the model asks for another.

public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    /// The weight packed for decoding: made on first use, and again once the weights change.
    private var packed: PackedWeight?

    /// `initializer`: the weight's first values (default Xavier-uniform).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initializer: Initializer? = nil, generator: inout RandomGenerator) {
        weight = parameter([outFeatures, inFeatures], initializer ?? WeightInitialization.xavier.matrix(inFeatures, outFeatures),
                           generator: &generator)
        self.bias = bias ? parameter([outFeatures], filledWith: 0) : nil
        super.init()
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }

    /// x·Wᵀ + b for decoding, through the pre-packed kernel: no gradient, and each row's result
    /// independent of the rows beside it.
    public func inference(_ x: Tensor) -> Tensor {
        if let packed, packed.matches(weight: weight, bias: bias) { return packed.apply(x) }
        let fresh = PackedWeight(weight: weight, bias: bias)
        packed = fresh
        return fresh.apply(x)
    }
}
