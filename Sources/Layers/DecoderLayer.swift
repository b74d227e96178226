// Decoder layer (the paper, §3.1): masked self-attention (position i sees only positions
// ≤ i), then cross-attention whose queries come from the decoder and whose keys and values
// come from the encoder output, then the feed-forward network; each inside Add & Norm.
// Without cross-attention it is the block of a decoder-only (GPT-style) model.

/// Self-attention of a decoder layer: standard multi-head (MHA/GQA/MQA) or latent (MLA).
public enum SelfAttention {
    case multiHead(MultiHeadAttention)
    case latent(MultiHeadLatentAttention)

    public var module: Module {
        switch self {
        case .multiHead(let m): return m
        case .latent(let m): return m
        }
    }

    /// x: [B, T, d], or [N, d] holding only `rows` (see `TokenRows`).
    public func callAsFunction(_ x: Tensor, mask: AttentionMask, rows: TokenRows? = nil) -> Tensor {
        switch self {
        case .multiHead(let m): return m(x, mask: mask, rows: rows)
        case .latent(let m):
            guard let rows else { return m(x, mask: mask) }
            return rows.gather(m(rows.scatter(x), mask: mask))
        }
    }

    public func makeCache(rows: Int, capacity: Int) -> KeyValueCache {
        switch self {
        case .multiHead(let m): return m.makeCache(rows: rows, capacity: capacity)
        case .latent(let m): return m.makeCache(rows: rows, capacity: capacity)
        }
    }

    /// New positions over (and into) the cache.
    public func step(_ x: Tensor, cache: KeyValueCache) -> Tensor {
        switch self {
        case .multiHead(let m): return m.step(x, cache: cache)
        case .latent(let m): return m.step(x, cache: cache)
        }
    }

    public var cachedFloatsPerToken: Int {
        switch self {
        case .multiHead(let m): return m.cachedFloatsPerToken
        case .latent(let m): return m.cachedFloatsPerToken
        }
    }
}

public final class DecoderLayer: Module {
    public let selfAttention: Module
    public let selfAttentionAddNorm: AddAndNorm
    public let crossAttention: MultiHeadAttention?
    public let crossAttentionAddNorm: AddAndNorm?
    public let feedForward: PositionwiseFeedForward
    public let feedForwardAddNorm: AddAndNorm
    public let attentionKind: SelfAttention

    public init(selfAttention: SelfAttention, crossAttention: MultiHeadAttention?, feedForward: PositionwiseFeedForward,
                makeAddNorm: () -> AddAndNorm) {
        attentionKind = selfAttention
        self.selfAttention = selfAttention.module
        selfAttentionAddNorm = makeAddNorm()
        self.crossAttention = crossAttention
        crossAttentionAddNorm = crossAttention == nil ? nil : makeAddNorm()
        self.feedForward = feedForward
        feedForwardAddNorm = makeAddNorm()
        super.init()
    }

    /// x: [B, T, d]; memory: encoder output [B, S, d] (nil for decoder-only). With `rows` and
    /// `memoryRows`, x and memory hold only those positions (see `TokenRows`).
    public func callAsFunction(_ x: Tensor, selfMask: AttentionMask, memory: Tensor? = nil, memoryMask: AttentionMask = .none,
                               rows: TokenRows? = nil, memoryRows: TokenRows? = nil) -> Tensor {
        var h = selfAttentionAddNorm(x) { attentionKind($0, mask: selfMask, rows: rows) }
        if let crossAttention, let crossAttentionAddNorm, let memory {
            h = crossAttentionAddNorm(h) { crossAttention($0, context: memory, mask: memoryMask, rows: rows, contextRows: memoryRows) }
        }
        return feedForwardAddNorm(h) { feedForward($0) }
    }

    /// Incremental decoding: new positions x [R, T, d] with layer `index` of `state`'s caches.
    public func step(_ x: Tensor, layer index: Int, state: IncrementalState) -> Tensor {
        var h = selfAttentionAddNorm(x) { attentionKind.step($0, cache: state.selfAttention[index]) }
        if let crossAttention, let crossAttentionAddNorm, index < state.crossAttention.count {
            h = crossAttentionAddNorm(h) {
                crossAttention.step($0, crossCache: state.crossAttention[index], sourceRows: state.sourceRows,
                                    sourcePadding: state.sourcePadding)
            }
        }
        return feedForwardAddNorm(h) { feedForward.inference($0) }
    }
}
