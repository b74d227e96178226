// Fused scaled dot-product attention (the paper, §3.2.1) for training, forward and backward:
//   P = softmax(scale·Q·Kᵀ + bias, masked → −∞),  O = dropout(P)·V
// in one pass per (batch row, head) block (C: include/Attention.h), so the [B, H, T, S] scores,
// masked scores and dropout mask are never materialised: only P is kept for backward, and the
// dropout decisions are redrawn from their counters. Layouts:
//   headsFirst   Q [B, H, T, d_k], K [B, H_kv, S, d_k], V [B, H_kv, S, d_v] → O [B, H, T, d_v]
//   tokensFirst  Q [B, T, H·d_k], K [B, S, H_kv·d_k], V [B, S, H_kv·d_v] → O [B, T, H·d_v]
// (tokensFirst reads the projections in place: no split-heads or merge-heads copies).
import CKernels

public enum AttentionLayout: Sendable {
    case headsFirst, tokensFirst
}

/// A forward pass: its output, and what backward needs.
public struct AttentionForward {
    public let output: Tensor
    public let saved: AttentionSaved
}

/// What backward needs from a forward pass. Not the output: an autodiff node that keeps this
/// would otherwise keep its own output alive, a cycle that only backward breaks.
public struct AttentionSaved {
    /// P before dropout, [B, H, T, S].
    public let weights: Tensor
    let outputShape: [Int]
    let shape: tk_attention
}

extension Kernels {
    /// Forward pass. `mask` (non-zero = masked) and `bias` are [B or 1, H or 1, T or 1, S];
    /// `keep` = 1 − dropout probability, with decisions drawn from `generator` as `Kernels.dropout`
    /// draws them for the [B, H, T, S] weights.
    public static func attention(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int, layout: AttentionLayout,
                                 mask: Tensor?, bias: Tensor?, scale: Float, keep: Float,
                                 generator: inout RandomGenerator) -> AttentionForward {
        var a = attentionShape(q, k, v, heads: heads, layout: layout)
        a.scale = scale
        a.keep = keep
        precondition(keep > 0 && keep <= 1, "attention: keep probability \(keep) must be in (0, 1]")
        let (b, t, s, dv) = (a.batch, a.t, a.s, a.dv)
        if keep < 1 {
            a.seed = generator.seed
            a.first = generator.reserve(b * heads * t * s)
        }
        let out = Tensor(uninitializedShape: layout == .headsFirst ? [b, heads, t, dv] : [b, t, heads * dv])
        let weights = Tensor(uninitializedShape: [b, heads, t, s])
        withBroadcastRows(mask, "mask", a) { m, mb, mh, mt in
            withBroadcastRows(bias, "bias", a) { bp, bb, bh, bt in
                a.mask = m; a.mask_b = mb; a.mask_h = mh; a.mask_t = mt
                a.bias = bp; a.bias_b = bb; a.bias_h = bh; a.bias_t = bt
                let shape = a, qp = q.data, kp = k.data, vp = v.data, pp = weights.data, op = out.data
                runBlocks(b * heads, work: t * s * (a.dk + dv)) { r in
                    withUnsafePointer(to: shape) { tk_attention_forward($0, r.lowerBound, r.upperBound, qp, kp, vp, pp, op) }
                }
            }
        }
        withExtendedLifetime((q, k, v)) {}
        a.mask = nil
        a.bias = nil
        return AttentionForward(output: out, saved: AttentionSaved(weights: weights, outputShape: out.shape, shape: a))
    }

    /// Gradients with respect to Q, K and V (the mask and bias are constants).
    public static func attentionBackward(query q: Tensor, key k: Tensor, value v: Tensor, mask: Tensor?, bias: Tensor?,
                                         saved f: AttentionSaved, dOutput dy: Tensor) -> (Tensor, Tensor, Tensor) {
        precondition(dy.shape == f.outputShape, "attentionBackward: gradient \(dy.shape) does not match output \(f.outputShape)")
        let dq = Tensor(uninitializedShape: q.shape), dk = Tensor(uninitializedShape: k.shape), dv = Tensor(uninitializedShape: v.shape)
        var a = f.shape
        withBroadcastRows(mask, "mask", a) { m, mb, mh, mt in
            withBroadcastRows(bias, "bias", a) { bp, bb, bh, bt in
                a.mask = m; a.mask_b = mb; a.mask_h = mh; a.mask_t = mt
                a.bias = bp; a.bias_b = bb; a.bias_h = bh; a.bias_t = bt
                let shape = a, qp = q.data, kp = k.data, vp = v.data, pp = f.weights.data, gp = dy.data
                let (dqp, dkp, dvp) = (dq.data, dk.data, dv.data)
                let group = a.heads / a.kv_heads
                runBlocks(a.batch * a.kv_heads, work: group * a.t * a.s * (2 * a.dk + 2 * a.dv)) { r in
                    withUnsafePointer(to: shape) {
                        tk_attention_backward($0, r.lowerBound, r.upperBound, qp, kp, vp, pp, gp, dqp, dkp, dvp)
                    }
                }
            }
        }
        withExtendedLifetime((q, k, v, f.weights, dy)) {}
        return (dq, dk, dv)
    }

    /// Sizes and strides of Q, K, V and O for `layout`, checked.
    static func attentionShape(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads h: Int, layout: AttentionLayout) -> tk_attention {
        var a = tk_attention()
        switch layout {
        case .headsFirst:
            precondition(q.shape.count == 4 && k.shape.count == 4 && v.shape.count == 4 && q.shape[1] == h,
                         "attention: query \(q.shape), key \(k.shape), value \(v.shape) are not [B, H, T, d] with H = \(h)")
            (a.batch, a.heads, a.t, a.dk) = (q.shape[0], h, q.shape[2], q.shape[3])
            (a.kv_heads, a.s, a.dv) = (k.shape[1], k.shape[2], v.shape[3])
            (a.q_b, a.q_h, a.q_t) = (h * a.t * a.dk, a.t * a.dk, a.dk)
            (a.k_b, a.k_h, a.k_t) = (a.kv_heads * a.s * a.dk, a.s * a.dk, a.dk)
            (a.v_b, a.v_h, a.v_t) = (a.kv_heads * a.s * a.dv, a.s * a.dv, a.dv)
            (a.o_b, a.o_h, a.o_t) = (h * a.t * a.dv, a.t * a.dv, a.dv)
            precondition(k.shape[0] == a.batch && v.shape[0] == a.batch && v.shape[1] == a.kv_heads && v.shape[2] == a.s
                         && k.shape[3] == a.dk && a.kv_heads > 0 && h % a.kv_heads == 0,
                         "attention: query \(q.shape), key \(k.shape), value \(v.shape) do not fit")
        case .tokensFirst:
            precondition(q.shape.count == 3 && k.shape.count == 3 && v.shape.count == 3 && h > 0 && q.shape[2] % h == 0,
                         "attention: query \(q.shape), key \(k.shape), value \(v.shape) are not [B, T, H·d] with H = \(h)")
            (a.batch, a.heads, a.t, a.dk) = (q.shape[0], h, q.shape[1], q.shape[2] / h)
            a.s = k.shape[1]
            precondition(a.dk > 0 && k.shape[2] % a.dk == 0, "attention: key \(k.shape) does not hold heads of \(a.dk)")
            a.kv_heads = k.shape[2] / a.dk
            precondition(a.kv_heads > 0 && h % a.kv_heads == 0 && v.shape[2] % a.kv_heads == 0,
                         "attention: \(h) query heads do not fit key \(k.shape), value \(v.shape)")
            a.dv = v.shape[2] / a.kv_heads
            (a.q_b, a.q_h, a.q_t) = (a.t * h * a.dk, a.dk, h * a.dk)
            (a.k_b, a.k_h, a.k_t) = (a.s * a.kv_heads * a.dk, a.dk, a.kv_heads * a.dk)
            (a.v_b, a.v_h, a.v_t) = (a.s * a.kv_heads * a.dv, a.dv, a.kv_heads * a.dv)
            (a.o_b, a.o_h, a.o_t) = (a.t * h * a.dv, a.dv, h * a.dv)
            precondition(k.shape[0] == a.batch && v.shape[0] == a.batch && v.shape[1] == a.s,
                         "attention: query \(q.shape), key \(k.shape), value \(v.shape) do not fit")
        }
        return a
    }

    /// Calls `body(pointer, b, h, t strides)` for a [B or 1, H or 1, T or 1, S] tensor (nil: no pointer).
    static func withBroadcastRows(_ x: Tensor?, _ what: String, _ a: tk_attention,
                                  _ body: (UnsafePointer<Float>?, Int, Int, Int) -> Void) {
        guard let x else { return body(nil, 0, 0, 0) }
        let d = x.shape
        precondition(d.count == 4 && (d[0] == 1 || d[0] == a.batch) && (d[1] == 1 || d[1] == a.heads)
                     && (d[2] == 1 || d[2] == a.t) && d[3] == a.s,
                     "attention: \(what) \(d) does not broadcast to [\(a.batch), \(a.heads), \(a.t), \(a.s)]")
        withExtendedLifetime(x) {
            body(x.data, d[0] == 1 ? 0 : d[1] * d[2] * d[3], d[1] == 1 ? 0 : d[2] * d[3], d[2] == 1 ? 0 : d[3])
        }
    }

    /// Splits `count` independent blocks over the pool when there is enough `work` per block.
    static func runBlocks(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        if count * work >= 1 << 15 {
            ThreadPool.shared.parallelRanges(count, grain: max(1, (1 << 14) / max(work, 1)), body)
        } else {
            body(0..<count)
        }
    }
}
