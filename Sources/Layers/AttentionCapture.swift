// Attention-weight capture: the softmax(QKᵀ/√d_k) weights of every attention call (the paper,
// §3.2.1), recorded per site (encoder self-attention, decoder self-attention, cross-attention) and
// layer, in full forward passes and in cached decoding alike. A layer holds an optional
// `AttentionCapture`; when it is nil (the default) attention does nothing more than a nil check.

/// Where in the model an attention layer sits.
public enum AttentionSite: String, Codable, Sendable, CaseIterable {
    case encoder, decoder, cross

    /// Words for figure titles.
    public var title: String {
        switch self {
        case .encoder: return "encoder self-attention"
        case .decoder: return "decoder self-attention"
        case .cross: return "cross-attention"
        }
    }
}

/// What one attention layer records into, and under which site and layer index.
public struct AttentionCapture {
    public let recorder: AttentionRecorder
    public let site: AttentionSite
    public let layer: Int

    public init(recorder: AttentionRecorder, site: AttentionSite, layer: Int) {
        self.recorder = recorder
        self.site = site
        self.layer = layer
    }

    /// Weights [R, H, T, S] of one call: T queries over S keys for each of R rows and H heads.
    func record(_ weights: Tensor) { recorder.record(site: site, layer: layer, weights: weights) }
}

/// Collects the weights of every call, in call order. A full forward pass records one chunk per
/// layer; cached decoding one per step (T new queries over the S keys cached so far), which
/// `map` joins into one matrix: the rows of the queries, each over the keys it could see.
public final class AttentionRecorder {
    private struct Key: Hashable {
        let site: AttentionSite
        let layer: Int
    }

    private var chunks: [Key: [Tensor]] = [:]

    public init() {}

    func record(site: AttentionSite, layer: Int, weights: Tensor) {
        precondition(weights.rank == 4, "AttentionRecorder: weights must be [R, H, T, S], got \(weights.shape)")
        chunks[Key(site: site, layer: layer), default: []].append(weights)
    }

    /// Forgets everything recorded.
    public func reset() { chunks = [:] }

    /// The layers recorded at `site`, ascending.
    public func layers(_ site: AttentionSite) -> [Int] { chunks.keys.filter { $0.site == site }.map(\.layer).sorted() }

    /// Every chunk recorded for one layer, in call order, each [R, H, T, S].
    public func chunks(_ site: AttentionSite, layer: Int) -> [Tensor] { chunks[Key(site: site, layer: layer)] ?? [] }

    /// The weights of row `row` of one layer as [H, T, S]: the queries of every chunk in order,
    /// over the most keys any chunk saw (keys a query could not yet see are 0). Nil when nothing
    /// was recorded or a chunk has no such row (decoding dropped or reordered it).
    public func map(_ site: AttentionSite, layer: Int, row: Int = 0) -> Tensor? {
        let parts = chunks(site, layer: layer)
        guard let first = parts.first, parts.allSatisfy({ $0.shape[0] > row && $0.shape[1] == first.shape[1] }) else { return nil }
        let h = first.shape[1]
        let t = parts.reduce(0) { $0 + $1.shape[2] }
        let s = parts.map { $0.shape[3] }.max() ?? 0
        let out = Tensor(zeros: [h, t, s])
        var query = 0
        for part in parts {
            let (pt, ps) = (part.shape[2], part.shape[3])
            for head in 0..<h {
                for i in 0..<pt {
                    let source = part.data + ((row * h + head) * pt + i) * ps
                    (out.data + (head * t + query + i) * s).update(from: source, count: ps)
                }
            }
            query += pt
        }
        withExtendedLifetime(parts) {}
        return out
    }
}
