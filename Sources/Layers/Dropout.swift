// Dropout (the paper, §5.4, P_drop = 0.1): applied to the sum of embeddings and positional
// encodings, to each sublayer's output before the residual add, and to attention weights.
// Active only in training mode.

public final class Dropout: Module {
    public let probability: Float
    let source: RandomSource

    public init(_ probability: Float, source: RandomSource) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) must be in [0, 1)")
        self.probability = probability
        self.source = source
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard training && probability > 0 else { return x }
        return source.draw { x.dropout(probability, generator: &$0) }
    }
}
