// Scaled dot-product attention as one differentiable op (the paper, §3.2.1):
//   softmax(scale·Q·Kᵀ + bias, masked)·V with dropout on the weights,
// forward and backward fused per (batch row, head) in TensorEngine's `Kernels.attention`.
// The mask and the bias (ALiBi) are constants; gradients flow to Q, K and V.

extension Tensor {
    /// Attention of `query` over `key`/`value` in `layout` (see `AttentionLayout`) with `heads`
    /// query heads; `mask` (non-zero = masked) and `bias` broadcast to [B, H, T, S]. Dropout
    /// with probability `dropout` on the weights draws from `generator`. `weights`, when given,
    /// receives the attention weights [B, H, T, S] (before dropout), which backward keeps anyway.
    public static func attention(query: Tensor, key: Tensor, value: Tensor, heads: Int, layout: AttentionLayout,
                                 mask: Tensor?, bias: Tensor?, scale: Float, dropout: Float,
                                 generator: inout RandomGenerator, weights: ((Tensor) -> Void)? = nil) -> Tensor {
        precondition(!(bias?.requiresGrad ?? false), "attention: the bias is a constant; gradients do not flow to it")
        let f = Kernels.attention(query: query, key: key, value: value, heads: heads, layout: layout, mask: mask, bias: bias,
                                  scale: scale, keep: 1 - dropout, generator: &generator)
        let saved = f.saved  // not f: the node must not hold its own output
        weights?(saved.weights)
        return f.output.recorded("attention", [query, key, value]) { dy in
            let (dq, dk, dv) = Kernels.attentionBackward(query: query, key: key, value: value, mask: mask, bias: bias,
                                                         saved: saved, dOutput: dy)
            return [dq, dk, dv]
        }
    }
}
