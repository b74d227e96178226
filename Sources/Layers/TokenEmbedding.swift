// Token embedding (the paper, §3.4): a learned table of d_model-vectors, multiplied by √d_model.
// The same table may serve source and target, and the output projection may reuse it (tying).
// At inference the table may be held packed in bfloat16 or int8 (one scale per token), the same
// packed copy serving lookups and a tied output projection.

public final class TokenEmbedding: Module {
    public let weight: Tensor
    public let scale: Float
    /// The number format of lookups that record no gradient (see `Module.setInferencePrecision`).
    public private(set) var precision: InferencePrecision = .f32
    private var packed: PackedWeight?

    public init(vocabularySize: Int, dimension: Int, scaled: Bool = true, generator: inout RandomGenerator) {
        // N(0, d^-1/2): after the √d scale the embeddings have unit variance.
        weight = parameter(Tensor.randn([vocabularySize, dimension], std: 1 / Float(dimension).squareRoot(), generator: &generator))
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
    public func packedWeight() -> PackedWeight {
        if let packed, packed.matches(weight: weight, bias: nil) { return packed }
        let fresh = PackedWeight(weight: weight, bias: nil, precision: precision)
        packed = fresh
        return fresh
    }

    override public func adoptInferencePrecision(_ precision: InferencePrecision) {
        if precision != self.precision { packed = nil }
        self.precision = precision
    }
}
