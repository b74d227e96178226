// Linear: y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout), Xavier-uniform init
// as in the Annotated Transformer unless the model asks for another. At inference it may run on a
// packed copy of W in bfloat16 or int8 (`Module.setInferencePrecision`), and hold only that copy.

public final class Linear: Module {
    /// [out, in]; a meta tensor (shape, no values) once the layer holds only its packed weight.
    public private(set) var weight: Tensor
    public let bias: Tensor?
    /// The number format of passes that record no gradient; float32 whenever gradients are recorded.
    public private(set) var precision: InferencePrecision = .f32
    /// False for a layer whose owner reads its weight directly (MLA's absorbed up-projections): it
    /// stays float32 whatever the model's inference precision.
    public var followsInferencePrecision = true
    /// The weight packed for inference (see `PackedWeightSlot`).
    private let packing = PackedWeightSlot()

    /// `initializer`: the weight's first values (default Xavier-uniform).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initializer: Initializer? = nil, generator: inout RandomGenerator) {
        weight = parameter([outFeatures, inFeatures], initializer ?? WeightInitialization.xavier.matrix(inFeatures, outFeatures),
                           generator: &generator)
        self.bias = bias ? parameter([outFeatures], filledWith: 0) : nil
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
    public func packedWeight() -> PackedWeight { packing.packedWeight(weight, bias: bias, precision: precision) }

    /// Holds `packed` (made with this layer's bias, as it is now) as its weight from now on, in its
    /// precision, the float weight released: how weights stored in int8 load without a float copy.
    public func adopt(_ packed: PackedWeight) {
        precondition(packed.outputs == outFeatures && packed.inputs == inFeatures,
                     "Linear: packed weight \(packed.outputs)×\(packed.inputs) for a \(outFeatures)×\(inFeatures) layer")
        packing.adopt(packed, weight: &weight, precision: &precision)
    }

    override public var packableWeight: Tensor? { followsInferencePrecision ? weight : nil }

    override public func adoptInferencePrecision(_ precision: InferencePrecision, releasingFloatWeights release: Bool) {
        guard followsInferencePrecision else { return }
        packing.switchPrecision(to: precision, from: &self.precision, weight: &weight, bias: bias, releasingFloatWeight: release)
    }
}
