// Linear: y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout), Xavier-uniform init
// as in the Annotated Transformer unless the model asks for another. At inference it may run on a
// packed copy of W in bfloat16 or int8 (`Module.setInferencePrecision`), and hold only that copy.
import Foundation

public final class Linear: Module {
    /// [out, in]; a meta tensor (shape, no values) once the layer holds only its packed weight.
    public private(set) var weight: Tensor
    public let bias: Tensor?
    /// The number format of passes that record no gradient; float32 whenever gradients are recorded.
    public private(set) var precision: InferencePrecision = .f32
    /// False for a layer whose owner reads its weight directly (MLA's absorbed up-projections): it
    /// stays float32 whatever the model's inference precision.
    public var followsInferencePrecision = true
    /// The weight packed for inference: made on first use, and again once the weights change.
    private var packed: PackedWeight?
    /// Guards `packed`: one loaded model decodes on several threads at once (a server's requests),
    /// and the first of them to need the packed weight makes it. Held for a pointer check once packed.
    private let packing = NSLock()

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
    public func packedWeight() -> PackedWeight {
        packing.lock(); defer { packing.unlock() }
        if let packed, !weight.hasValues || packed.matches(weight: weight, bias: bias) { return packed }
        let fresh = PackedWeight(weight: weight, bias: bias, precision: precision)
        packed = fresh
        return fresh
    }

    /// Holds `packed` (made with this layer's bias, as it is now) as its weight from now on, in its
    /// precision, the float weight released: how weights stored in int8 load without a float copy.
    public func adopt(_ packed: PackedWeight) {
        precondition(packed.outputs == outFeatures && packed.inputs == inFeatures,
                     "Linear: packed weight \(packed.outputs)×\(packed.inputs) for a \(outFeatures)×\(inFeatures) layer")
        packing.lock()
        self.packed = packed
        packing.unlock()
        precision = packed.precision
        weight = Tensor(metaShape: weight.shape)
    }

    override public var packableWeight: Tensor? { followsInferencePrecision ? weight : nil }

    override public func adoptInferencePrecision(_ precision: InferencePrecision, releasingFloatWeights release: Bool) {
        guard followsInferencePrecision else { return }
        if let packed, !weight.hasValues, precision != packed.precision {
            // Only the packed values are left: go on from them (dequantized).
            weight = parameter(packed.rows(Tensor(ints: (0..<Int32(outFeatures)).map { $0 }, shape: [outFeatures])))
        }
        if precision != self.precision {
            packing.lock()
            packed = nil
            packing.unlock()
        }
        self.precision = precision
        if release && precision != .f32 && weight.hasValues {
            _ = packedWeight()
            weight = Tensor(metaShape: weight.shape)
        }
    }
}
