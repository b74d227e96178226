// The decoder's state between steps of autoregressive decoding: one self-attention KV cache
// per layer, the cross-attention keys and values of each source sentence (computed once), and
// which source sentence each decoding row belongs to (beams and batch rows map onto sources).

public final class IncrementalState {
    public let selfAttention: [KeyValueCache]
    /// Per layer, keys and values of the encoder output [B, H_kv, S, d_k]; empty for decoder-only.
    public let crossAttention: [KeyValueCache]
    /// [B, S], non-zero at source padding.
    public let sourcePadding: Tensor?
    /// Source sentence of each decoding row.
    public private(set) var sourceRows: [Int]

    public init(selfAttention: [KeyValueCache], crossAttention: [KeyValueCache], sourcePadding: Tensor?, sourceRows: [Int]) {
        self.selfAttention = selfAttention
        self.crossAttention = crossAttention
        self.sourcePadding = sourcePadding
        self.sourceRows = sourceRows
    }

    public var rows: Int { sourceRows.count }

    /// Positions decoded so far (the absolute position of the next token).
    public var position: Int { selfAttention.first?.length ?? 0 }

    /// Keeps decoding rows `source` in that order (beam reordering, dropping finished rows).
    public func select(rows source: [Int]) {
        for cache in selfAttention { cache.select(rows: source) }
        sourceRows = source.map { sourceRows[$0] }
    }
}
