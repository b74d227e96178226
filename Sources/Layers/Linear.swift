// Linear: y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout), Xavier-uniform init
// as in the Annotated Transformer.

public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    /// The weight packed for decoding: made on first use, and again once the weights change.
    private var packed: PackedWeight?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        let limit = (6 / Float(inFeatures + outFeatures)).squareRoot()
        weight = parameter([outFeatures, inFeatures], .uniform(limit: limit), generator: &generator)
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
