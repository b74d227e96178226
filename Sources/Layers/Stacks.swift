// The encoder and decoder stacks (the paper, §3.1): N identical layers, optionally followed
// by a final norm (needed with Pre-LN; torch.nn.Transformer always has one).

public final class Encoder: Module {
    public let layers: [EncoderLayer]
    public let norm: (Module & Normalizing)?

    public init(layers: [EncoderLayer], norm: (Module & Normalizing)?) {
        self.layers = layers
        self.norm = norm
        super.init()
    }

    /// x: [B, T, d], or [N, d] holding only `rows` (see `TokenRows`).
    public func callAsFunction(_ x: Tensor, mask: AttentionMask, rows: TokenRows? = nil) -> Tensor {
        var h = x
        for layer in layers { h = layer(h, mask: mask, rows: rows) }
        return norm.map { $0(h) } ?? h
    }
}

public final class Decoder: Module {
    public let layers: [DecoderLayer]
    public let norm: (Module & Normalizing)?

    public init(layers: [DecoderLayer], norm: (Module & Normalizing)?) {
        self.layers = layers
        self.norm = norm
        super.init()
    }

    /// x: [B, T, d] (or [N, d] holding only `rows`); memory: [B, S, d] (or only `memoryRows`).
    public func callAsFunction(_ x: Tensor, selfMask: AttentionMask, memory: Tensor? = nil, memoryMask: AttentionMask = .none,
                               rows: TokenRows? = nil, memoryRows: TokenRows? = nil) -> Tensor {
        var h = x
        for layer in layers { h = layer(h, selfMask: selfMask, memory: memory, memoryMask: memoryMask, rows: rows, memoryRows: memoryRows) }
        return norm.map { $0(h) } ?? h
    }

    /// Caches for incremental decoding of `rows` sequences; with an encoder output `memory`
    /// [B, S, d] each layer's cross-attention keys and values are computed here, once.
    public func makeState(rows: Int, capacity: Int, memory: Tensor? = nil, sourcePadding: Tensor? = nil,
                          sourceRows: [Int]? = nil) -> IncrementalState {
        let crossCaches = memory.map { m in layers.compactMap { $0.crossAttention?.crossAttentionCache(memory: m) } } ?? []
        return IncrementalState(selfAttention: layers.map { $0.attentionKind.makeCache(rows: rows, capacity: capacity) },
                                crossAttention: crossCaches, sourcePadding: sourcePadding,
                                sourceRows: sourceRows ?? Array(0..<rows))
    }

    /// New positions x [R, T, d] through every layer, appending to `state`'s caches.
    public func step(_ x: Tensor, state: IncrementalState) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() { h = layer.step(h, layer: i, state: state) }
        return norm.map { $0(h) } ?? h
    }
}
