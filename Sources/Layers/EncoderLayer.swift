// Encoder layer (the paper, §3.1): multi-head self-attention, then the position-wise
// feed-forward network, each inside Add & Norm. Every position attends to every
// non-padding position.

public final class EncoderLayer: Module {
    public let selfAttention: MultiHeadAttention
    public let selfAttentionAddNorm: AddAndNorm
    public let feedForward: PositionwiseFeedForward
    public let feedForwardAddNorm: AddAndNorm

    public init(selfAttention: MultiHeadAttention, feedForward: PositionwiseFeedForward,
                selfAttentionAddNorm: AddAndNorm, feedForwardAddNorm: AddAndNorm) {
        self.selfAttention = selfAttention
        self.feedForward = feedForward
        self.selfAttentionAddNorm = selfAttentionAddNorm
        self.feedForwardAddNorm = feedForwardAddNorm
        super.init()
    }

    /// x: [B, T, d], or [N, d] holding only `rows` (see `TokenRows`).
    public func callAsFunction(_ x: Tensor, mask: AttentionMask, rows: TokenRows? = nil) -> Tensor {
        let h = selfAttentionAddNorm(x) { selfAttention($0, mask: mask, rows: rows) }
        return feedForwardAddNorm(h) { feedForward($0) }
    }
}
