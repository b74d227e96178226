// Add & Norm (the paper, §3.1): a residual connection around each sublayer, with dropout on
// the sublayer's output. Post-LN (the paper): LayerNorm(x + Dropout(Sublayer(x))).
// Pre-LN: x + Dropout(Sublayer(LayerNorm(x))), which trains without warm-up tricks
// but needs a final norm after the stack. Without the residual connection (`residual` false, to
// see what it is for) the sublayer's output alone goes on: Norm(Dropout(Sublayer(x))), or
// Dropout(Sublayer(Norm(x))) with Pre-LN.

public final class AddAndNorm: Module {
    public let norm: Module & Normalizing
    public let dropout: Dropout
    public let normFirst: Bool
    public let residual: Bool

    public init(norm: Module & Normalizing, dropout: Dropout, normFirst: Bool, residual: Bool = true) {
        self.norm = norm
        self.dropout = dropout
        self.normFirst = normFirst
        self.residual = residual
        super.init()
    }

    public func callAsFunction(_ x: Tensor, _ sublayer: (Tensor) -> Tensor) -> Tensor {
        guard residual else { return normFirst ? dropout(sublayer(norm(x))) : norm(dropout(sublayer(x))) }
        return normFirst ? x + dropout(sublayer(norm(x))) : norm(x + dropout(sublayer(x)))
    }
}
