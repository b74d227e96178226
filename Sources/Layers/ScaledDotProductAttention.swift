// Scaled dot-product attention (the paper, §3.2.1): Attention(Q, K, V) = softmax(QKᵀ/√d_k)·V.
// Masked scores are set to −∞; a query whose keys are all masked gets zero weights (and so a
// zero output), never NaN. With fewer key/value heads than query heads (GQA, MQA) each group
// of query heads shares one key/value head — K and V are never copied. Dropout acts on the
// weights. Computed by one fused op (`Tensor.attention`), forward and backward. With `capture`
// set, the weights of every call are recorded (see `AttentionCapture`). With `scaled` false the
// scores are not divided by √d_k (to see why the paper divides).

public final class ScaledDotProductAttention: Module {
    public let dropout: Dropout
    /// Where this layer's weights go; nil (the default) records nothing.
    public var capture: AttentionCapture?
    public let scaled: Bool

    public init(dropout: Dropout, scaled: Bool = true) {
        self.dropout = dropout
        self.scaled = scaled
        super.init()
    }

    /// What the scores are multiplied by: 1/√d_k, or 1 when unscaled.
    public func scale(keyWidth dk: Int) -> Float { scaled ? 1 / Float(dk).squareRoot() : 1 }

    /// q: [B, H, T, d_k]; k: [B, H_kv, S, d_k]; v: [B, H_kv, S, d_v]; H a multiple of H_kv.
    /// mask: broadcastable to [B, H, T, S] (1 = masked); bias: added to the scores (ALiBi).
    public func callAsFunction(query q: Tensor, key k: Tensor, value v: Tensor, mask: Tensor?, bias: Tensor? = nil) -> Tensor {
        attend(query: q, key: k, value: v, heads: q.shape[1], layout: .headsFirst, mask: mask, bias: bias)
    }

    /// The same on projections laid out [B, T, H·d_k] (keys and values [B, S, H_kv·d]), read in
    /// place; returns [B, T, H·d_v], ready for the output projection.
    public func callAsFunction(projectedQuery q: Tensor, key k: Tensor, value v: Tensor, heads: Int, mask: Tensor?,
                               bias: Tensor? = nil) -> Tensor {
        attend(query: q, key: k, value: v, heads: heads, layout: .tokensFirst, mask: mask, bias: bias)
    }

    private func attend(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int, layout: AttentionLayout,
                        mask: Tensor?, bias: Tensor?) -> Tensor {
        let dk = layout == .headsFirst ? q.shape[3] : q.shape[2] / heads
        let p = dropout.training ? dropout.probability : 0
        return dropout.source.draw { generator in
            Tensor.attention(query: q, key: k, value: v, heads: heads, layout: layout, mask: mask, bias: bias,
                             scale: scale(keyWidth: dk), dropout: p, generator: &generator,
                             weights: capture.map { c in { c.record($0) } })
        }
    }
}
