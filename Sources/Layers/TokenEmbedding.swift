// Token embedding (the paper, §3.4): a learned table of d_model-vectors, multiplied by √d_model.
// The same table may serve source and target, and the output projection may reuse it (tying).
// At inference the table may be held packed in bfloat16 or int8 (one scale per token), the same
// packed copy serving lookups and a tied output projection.

public final class TokenEmbedding: Module {
    /// [vocabulary, d]; a meta tensor (shape, no values) once the layer holds only its packed table.
    public private(set) var weight: Tensor
    public let scale: Float
    /// The number format of lookups that record no gradient (see `Module.setInferencePrecision`).
    public private(set) var precision: InferencePrecision = .f32
    /// The table packed for inference (see `PackedWeightSlot`).
    private let packing = PackedWeightSlot()

    /// `initialization`: by default N(0, d^-1/2), so that after the √d scale the embeddings have unit variance.
    public init(vocabularySize: Int, dimension: Int, scaled: Bool = true, initialization: WeightInitialization = .xavier,
                generator: inout RandomGenerator) {
        weight = parameter([vocabularySize, dimension], initialization.embedding(dimension), generator: &generator)
        scale = scaled ? Float(dimension).squareRoot() : 1
        super.init()
    }

    public var vocabularySize: Int { weight.shape[0] }

    /// ids: int32 [B, T] → [B, T, d_model].
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        let e = precision != .f32 && !GradMode.isEnabled ? packedWeight().rows(ids) : weight.gather(ids: ids)
        return scale == 1 ? e : e * scale
    }

    /// The table packed in this layer's precision (packed now if missing or stale): its rows are the
    /// lookups, and x·Wᵀ through it is a tied output projection.
    public func packedWeight() -> PackedWeight { packing.packedWeight(weight, bias: nil, precision: precision) }

    /// Holds `packed` as its table from now on, in its precision, the float table released.
    public func adopt(_ packed: PackedWeight) {
        precondition(packed.outputs == weight.shape[0] && packed.inputs == weight.shape[1],
                     "TokenEmbedding: packed table \(packed.outputs)×\(packed.inputs) for \(weight.shape)")
        packing.adopt(packed, weight: &weight, precision: &precision)
    }

    override public var packableWeight: Tensor? { weight }

    override public func adoptInferencePrecision(_ precision: InferencePrecision, releasingFloatWeights release: Bool) {
        packing.switchPrecision(to: precision, from: &self.precision, weight: &weight, bias: nil, releasingFloatWeight: release)
    }
}
