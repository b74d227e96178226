// Add & Norm (the paper, §3.1): a residual connection around each sublayer, with dropout on
// the sublayer's output. Post-LN (the paper): LayerNorm(x + Dropout(Sublayer(x))).
// Pre-LN: x + Dropout(Sublayer(LayerNorm(x))), which trains without warm-up tricks
// but needs a final norm after the stack.

public final class AddAndNorm: Module {
    public let norm: Module & Normalizing
    public let dropout: Dropout
    public let normFirst: Bool

    public init(norm: Module & Normalizing, dropout: Dropout, normFirst: Bool) {
        self.norm = norm
        self.dropout = dropout
        self.normFirst = normFirst
        super.init()
    }

    public func callAsFunction(_ x: Tensor, _ sublayer: (Tensor) -> Tensor) -> Tensor {
        normFirst ? x + dropout(sublayer(norm(x))) : norm(x + dropout(sublayer(x)))
    }
}
