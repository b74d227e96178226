// Token embedding (the paper, §3.4): a learned table of d_model-vectors, multiplied by √d_model.
// The same table may serve source and target, and the output projection may reuse it (tying).

public final class TokenEmbedding: Module {
    public let weight: Tensor
    public let scale: Float

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
        let e = weight.gather(ids: ids)
        return scale == 1 ? e : e * scale
    }
}
