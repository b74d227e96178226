// Multi-head latent attention (MLA, DeepSeek-V2): keys and values are rebuilt from a shared
// low-rank latent c_KV = W_DKV·x, which is all a KV cache has to keep, plus one small
// decoupled RoPE key shared by all heads:
//   k_i = [W_UK_i·c_KV ; RoPE(W_KR·x)],  v_i = W_UV_i·c_KV,  q_i = [W_UQ_i·c_Q ; RoPE(W_QR_i·c_Q)]
// with c_Q = W_DQ·x (or q straight from x when no query latent is configured).

public final class MultiHeadLatentAttention: Module {
    public let heads: Int
    public let headDimension: Int
    public let latentDimension: Int
    public let ropeDimension: Int
    public let queryDown: Linear?
    public let queryNorm: RMSNorm?
    public let queryUp: Linear
    public let keyValueDown: Linear
    public let keyValueNorm: RMSNorm
    public let keyUp: Linear
    public let valueUp: Linear
    public let ropeKey: Linear
    public let output: Linear
    public let attention: ScaledDotProductAttention
    public let rotary: RotaryPositionalEncoding

    public init(dModel: Int, heads: Int, latentDimension: Int, ropeDimension: Int, queryLatentDimension: Int?,
                ropeBase: Float = 10000, scaled: Bool = true, dropout: Dropout, generator: inout RandomGenerator) {
        precondition(dModel % heads == 0 && ropeDimension % 2 == 0 && latentDimension > 0,
                     "MultiHeadLatentAttention: d_model \(dModel), heads \(heads), RoPE dimension \(ropeDimension) do not fit")
        self.heads = heads
        headDimension = dModel / heads
        self.latentDimension = latentDimension
        self.ropeDimension = ropeDimension
        let qWidth = heads * (headDimension + ropeDimension)
        if let ql = queryLatentDimension {
            queryDown = Linear(dModel, ql, bias: false, generator: &generator)
            queryNorm = RMSNorm(ql)
            queryUp = Linear(ql, qWidth, bias: false, generator: &generator)
        } else {
            queryDown = nil
            queryNorm = nil
            queryUp = Linear(dModel, qWidth, bias: false, generator: &generator)
        }
        keyValueDown = Linear(dModel, latentDimension, bias: false, generator: &generator)
        keyValueNorm = RMSNorm(latentDimension)
        keyUp = Linear(latentDimension, heads * headDimension, bias: false, generator: &generator)
        valueUp = Linear(latentDimension, heads * headDimension, bias: false, generator: &generator)
        ropeKey = Linear(dModel, ropeDimension, bias: false, generator: &generator)
        output = Linear(dModel, dModel, bias: false, generator: &generator)
        attention = ScaledDotProductAttention(dropout: dropout, scaled: scaled)
        rotary = RotaryPositionalEncoding(base: ropeBase)
        super.init()
        // Decoding reads the up-projections' weights directly (absorbed), so they stay float32.
        keyUp.followsInferencePrecision = false
        valueUp.followsInferencePrecision = false
    }

    /// Self-attention over x: [B, T, d_model].
    public func callAsFunction(_ x: Tensor, mask: AttentionMask = .none) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        let queryInput = queryDown.map { down in queryNorm.map { $0(down(x)) } ?? down(x) } ?? x
        let q = MultiHeadAttention.splitHeads(queryUp(queryInput), heads)                 // [B, H, T, d_h + d_R]
        let qParts = q.split(sizes: [headDimension, ropeDimension], axis: -1)
        let latent = keyValueNorm(keyValueDown(x))                                          // [B, T, d_c]: the cache
        let kContent = MultiHeadAttention.splitHeads(keyUp(latent), heads)                  // [B, H, T, d_h]
        let v = MultiHeadAttention.splitHeads(valueUp(latent), heads)
        let kRope = rotary(ropeKey(x).reshaped([b, 1, t, ropeDimension]), offset: 0)       // shared by all heads
        let qFull = Tensor.concat([qParts[0], rotary(qParts[1], offset: mask.queryOffset)], axis: -1)
        let kFull = Tensor.concat([kContent, kRope + Tensor.zeros([b, heads, t, ropeDimension])], axis: -1)
        let y = attention(query: qFull, key: kFull, value: v, mask: mask.tensor(queries: t, keys: t))
        return output(MultiHeadAttention.mergeHeads(y))
    }

    /// Floats cached per token: the latent and the shared RoPE key.
    public var cachedFloatsPerToken: Int { latentDimension + ropeDimension }
}
