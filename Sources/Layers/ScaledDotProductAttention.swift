// Scaled dot-product attention (the paper, §3.2.1): Attention(Q, K, V) = softmax(QKᵀ/√d_k)·V.
// Masked scores are set to −∞; a query whose keys are all masked gets zero weights (and so a
// zero output), never NaN. With fewer key/value heads than query heads (GQA, MQA) each group
// of query heads shares one key/value head, by reshaping — K and V are never copied.

public final class ScaledDotProductAttention: Module {
    public let dropout: Dropout

    public init(dropout: Dropout) {
        self.dropout = dropout
        super.init()
    }

    /// q: [B, H, T, d_k]; k: [B, H_kv, S, d_k]; v: [B, H_kv, S, d_v]; H a multiple of H_kv.
    /// mask: broadcastable to [B, H, T, S] (1 = masked); bias: added to the scores (ALiBi).
    public func callAsFunction(query q: Tensor, key k: Tensor, value v: Tensor, mask: Tensor?, bias: Tensor? = nil) -> Tensor {
        let (b, h, t, dk) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (hkv, s, dv) = (k.shape[1], k.shape[2], v.shape[3])
        precondition(h % hkv == 0 && k.shape[3] == dk && v.shape[2] == s,
                     "ScaledDotProductAttention: query \(q.shape), key \(k.shape), value \(v.shape) do not fit")
        let group = h / hkv
        let scaled = q * (1 / Float(dk).squareRoot())
        var scores = scaled.reshaped([b, hkv, group * t, dk]).matmul(k, transposeB: true).reshaped([b, h, t, s])
        if let bias { scores = scores + bias }
        if let mask { scores = scores.maskedFill(mask, value: -.infinity) }
        let weights = dropout(scores.softmax(axis: -1))
        return weights.reshaped([b, hkv, group * t, s]).matmul(v).reshaped([b, h, t, dv])
    }
}
