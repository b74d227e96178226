// Multi-head attention (the paper, §3.2.2): MultiHead(Q, K, V) = Concat(head_1..h)·W_O with
// head_i = Attention(Q·W_Q_i, K·W_K_i, V·W_V_i), d_k = d_model/h. With `keyValueHeads` < h
// it is grouped-query attention (GQA), and with 1 multi-query attention (MQA): fewer key and
// value projections, so a smaller KV cache. Self-attention takes K, V from its own input;
// cross-attention takes them from the encoder output (`context`).

public final class MultiHeadAttention: Module {
    public let heads: Int
    public let keyValueHeads: Int
    public let headDimension: Int
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear
    public let attention: ScaledDotProductAttention
    public let rotary: RotaryPositionalEncoding?
    public let useALiBi: Bool

    public init(dModel: Int, heads: Int, keyValueHeads: Int? = nil, bias: Bool = true,
                rotary: RotaryPositionalEncoding? = nil, alibi: Bool = false, scaled: Bool = true,
                dropout: Dropout, generator: inout RandomGenerator) {
        let kv = keyValueHeads ?? heads
        precondition(dModel % heads == 0 && heads % kv == 0,
                     "MultiHeadAttention: d_model \(dModel), heads \(heads), key/value heads \(kv) do not divide")
        self.heads = heads
        self.keyValueHeads = kv
        headDimension = dModel / heads
        query = Linear(dModel, dModel, bias: bias, generator: &generator)
        key = Linear(dModel, kv * headDimension, bias: bias, generator: &generator)
        value = Linear(dModel, kv * headDimension, bias: bias, generator: &generator)
        output = Linear(dModel, dModel, bias: bias, generator: &generator)
        attention = ScaledDotProductAttention(dropout: dropout, scaled: scaled)
        self.rotary = rotary
        useALiBi = alibi
        super.init()
    }

    /// [B, T, n·d] → [B, n, T, d].
    static func splitHeads(_ x: Tensor, _ n: Int) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        return x.reshaped([b, t, n, x.shape[2] / n]).permuted([0, 2, 1, 3])
    }

    /// [B, n, T, d] → [B, T, n·d].
    static func mergeHeads(_ x: Tensor) -> Tensor {
        let (b, n, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return x.permuted([0, 2, 1, 3]).reshaped([b, t, n * d])
    }

    /// x: [B, T, d_model] queries; context: [B, S, d_model] keys/values (nil for self-attention).
    /// With `rows` (and `contextRows` for a context), x (and context) hold only those positions,
    /// [N, d_model]: the projections run on them, and only attention sees the [B, T, ·] layout.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil, mask: AttentionMask = .none,
                               rows: TokenRows? = nil, contextRows: TokenRows? = nil) -> Tensor {
        let source = context ?? x
        let sourceRows = context == nil ? rows : contextRows
        func laidOut(_ y: Tensor, _ r: TokenRows?) -> Tensor { r.map { $0.scatter(y) } ?? y }
        let (q, k, v) = (laidOut(query(x), rows), laidOut(key(source), sourceRows), laidOut(value(source), sourceRows))
        let (t, s) = (q.shape[1], k.shape[1])
        let bias = useALiBi ? ALiBi.bias(heads: heads, queryLength: t, keyLength: s, queryOffset: mask.queryOffset).view([1, heads, t, s]) : nil
        let masks = mask.tensor(queries: t, keys: s)
        let y: Tensor
        if let rotary {
            let qh = rotary(MultiHeadAttention.splitHeads(q, heads), offset: mask.queryOffset)
            let kh = rotary(MultiHeadAttention.splitHeads(k, keyValueHeads), offset: 0)
            let vh = MultiHeadAttention.splitHeads(v, keyValueHeads)
            y = MultiHeadAttention.mergeHeads(attention(query: qh, key: kh, value: vh, mask: masks, bias: bias))
        } else {
            // The projections are read in place, [B, T, heads·d]: no split or merge copies.
            y = attention(projectedQuery: q, key: k, value: v, heads: heads, mask: masks, bias: bias)
        }
        return output(rows.map { $0.gather(y) } ?? y)
    }

    /// Floats cached per token for keys and values.
    public var cachedFloatsPerToken: Int { 2 * keyValueHeads * headDimension }
}
