// Fused scaled dot-product attention for training (the paper, §3.2.1), one (batch row, head)
// block at a time while it is in cache (included by rowkernels_body.h for its ISA dispatch):
//   forward   P = softmax(scale·Q·Kᵀ + bias, masked → −∞),  O = (P ⊙ D)·V
//   backward  dV = (P⊙D)ᵀ·dO,  dP = (dO·Vᵀ) ⊙ D,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),
//             dQ = scale·dS·K,  dK = scale·dSᵀ·Q
// D is inverted dropout on the attention weights, drawn exactly as tk_dropout draws it for the
// [B, H, T, S] weight tensor (element e uses counter first + e), so it is regenerated in backward
// instead of stored; only P is kept. Formulas and layouts: include/Attention.h.

/// Keys (or values) of one head transposed to [width][sp] (sp = s rounded up to W, zero tail),
/// so a query's scores are vectors over keys.
static void attention_transpose(const float *rows, long row_stride, long s, long width, long sp, float *out) {
    for (long c = 0; c < width; c++) {
        float *o = out + c * sp;
        for (long j = 0; j < s; j++) o[j] = rows[j * row_stride + c];
        for (long j = s; j < sp; j++) o[j] = 0;
    }
}

/// row[j] = Σ_c x[c]·mt[c·sp + j] for j < sp (vectors over keys).
INL void attention_row_dot(const float *x, const float *mt, long width, long sp, float *row) {
    for (long j = 0; j < sp; j += W) {
        vf a0 = splat(0), a1 = a0;
        long c = 0;
        for (; c + 2 <= width; c += 2) {
            a0 += x[c] * ld(mt + c * sp + j);
            a1 += x[c + 1] * ld(mt + (c + 1) * sp + j);
        }
        if (c < width) a0 += x[c] * ld(mt + c * sp + j);
        st(row + j, a0 + a1);
    }
}

/// y[c] (+)= Σ_j w[j]·rows[j·stride + c] over c < width (vectors over the row).
INL void attention_weighted_rows(const float *w, const float *rows, long stride, long s, long width, float *y, float scale) {
    for (long c = 0; c < width; c += W) {
        long k = width - c < W ? width - c : W;
        vf acc = splat(0);
        if (k == W) { for (long j = 0; j < s; j++) if (w[j] != 0) acc += w[j] * ld(rows + j * stride + c); }
        else { for (long j = 0; j < s; j++) if (w[j] != 0) acc += w[j] * ldp(rows + j * stride + c, k, 0); }
        acc *= scale;
        if (k == W) st(y + c, acc); else stp(y + c, acc, k);
    }
}

/// rows[j·stride + c] += w[j]·x[c] for j < s, c < width.
INL void attention_rank1(const float *w, const float *x, float *rows, long stride, long s, long width) {
    for (long j = 0; j < s; j++) {
        if (w[j] == 0) continue;
        float *r = rows + j * stride;
        long c = 0;
        for (; c + W <= width; c += W) st(r + c, ld(r + c) + w[j] * ld(x + c));
        if (c < width) stp(r + c, ldp(r + c, width - c, 0) + w[j] * ldp(x + c, width - c, 0), width - c);
    }
}

/// The dropout factors (0 or 1/keep) of `n` weights from counter c0, as tk_dropout draws them.
INL void attention_dropout_row(float *d, long n, uint64_t seed, uint64_t c0, float keep) {
    for (long j = 0; j < n; j += W) {
        v8f u0 = uniform8(seed, c0 + (uint64_t)j), u1 = uniform8(seed, c0 + (uint64_t)j + 8);
        vf u = __builtin_shufflevector(u0, u1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        vf m = sel(u < keep, splat(1 / keep), splat(0));
        long k = n - j < W ? n - j : W;
        if (k == W) st(d + j, m); else stp(d + j, m, k);
    }
}

/// Scores of query row i of block (b, h) into row[0..<s]: scale·q·kᵀ + bias, −∞ where masked.
INL void attention_scores(const struct tk_attention *a, long b, long h, long i, const float *qi, const float *kt,
                          long sp, float *row) {
    attention_row_dot(qi, kt, a->dk, sp, row);
    const float *bias = a->bias ? a->bias + b * a->bias_b + h * a->bias_h + i * a->bias_t : 0;
    const float *mask = a->mask ? a->mask + b * a->mask_b + h * a->mask_h + i * a->mask_t : 0;
    for (long j = 0; j < a->s; j++) {
        float x = row[j] * a->scale;
        if (bias) x += bias[j];
        row[j] = mask && mask[j] != 0 ? NEG_INF : x;
    }
}

static void attention_forward(const struct tk_attention *a, long first_block, long end_block, const float *q, const float *k,
                              const float *v, float *p, float *o) {
    long s = a->s, t = a->t, sp = (s + W - 1) / W * W, group = a->heads / a->kv_heads;
    float *kt = malloc(sizeof(float) * (size_t)(a->dk * sp + 2 * sp));
    float *row = kt + a->dk * sp, *d = row + sp;
    long loaded = -1;
    for (long blk = first_block; blk < end_block; blk++) {
        long b = blk / a->heads, h = blk % a->heads, kv = b * a->kv_heads + h / group;
        const float *K = k + b * a->k_b + (h / group) * a->k_h, *V = v + b * a->v_b + (h / group) * a->v_h;
        if (kv != loaded) { attention_transpose(K, a->k_t, s, a->dk, sp, kt); loaded = kv; }
        for (long i = 0; i < t; i++) {
            const float *qi = q + b * a->q_b + h * a->q_h + i * a->q_t;
            float *pi = p + (blk * t + i) * s;
            attention_scores(a, b, h, i, qi, kt, sp, row);
            float m = row_max(row, s);
            if (m == NEG_INF) {
                for (long j = 0; j < s; j++) pi[j] = 0;
            } else {
                float sum = exp_sum(row, pi, s, m);
                row_affine(pi, pi, s, 1 / sum, 0);
            }
            const float *w = pi;
            if (a->keep < 1) {
                attention_dropout_row(d, s, a->seed, a->first + (uint64_t)((blk * t + i) * s), a->keep);
                for (long j = 0; j < s; j++) d[j] *= pi[j];
                w = d;
            }
            attention_weighted_rows(w, V, a->v_t, s, a->dv, o + b * a->o_b + h * a->o_h + i * a->o_t, 1);
        }
    }
    free(kt);
}

static void attention_backward(const struct tk_attention *a, long first_kv_block, long end_kv_block, const float *q,
                               const float *k, const float *v, const float *p, const float *dout, float *dq, float *dk,
                               float *dv) {
    long s = a->s, t = a->t, sp = (s + W - 1) / W * W, group = a->heads / a->kv_heads;
    float *vt = malloc(sizeof(float) * (size_t)(a->dv * sp + 3 * sp + a->dk));
    float *dp = vt + a->dv * sp, *d = dp + sp, *w = d + sp, *qs = w + sp;
    for (long kvb = first_kv_block; kvb < end_kv_block; kvb++) {
        long b = kvb / a->kv_heads, hk = kvb % a->kv_heads;
        const float *K = k + b * a->k_b + hk * a->k_h, *V = v + b * a->v_b + hk * a->v_h;
        float *dK = dk + b * a->k_b + hk * a->k_h, *dV = dv + b * a->v_b + hk * a->v_h;
        for (long j = 0; j < s; j++) {
            for (long c = 0; c < a->dk; c++) dK[j * a->k_t + c] = 0;
            for (long c = 0; c < a->dv; c++) dV[j * a->v_t + c] = 0;
        }
        attention_transpose(V, a->v_t, s, a->dv, sp, vt);
        for (long h = hk * group; h < (hk + 1) * group; h++) {
            long blk = b * a->heads + h;
            for (long i = 0; i < t; i++) {
                const float *pi = p + (blk * t + i) * s;
                const float *qi = q + b * a->q_b + h * a->q_h + i * a->q_t;
                const float *gi = dout + b * a->o_b + h * a->o_h + i * a->o_t;
                int dropped = a->keep < 1;
                if (dropped) attention_dropout_row(d, s, a->seed, a->first + (uint64_t)((blk * t + i) * s), a->keep);
                // dV += (P ⊙ D)ᵀ·dO (the weights that were used), then dP = (dO·Vᵀ) ⊙ D.
                for (long j = 0; j < s; j++) w[j] = dropped ? pi[j] * d[j] : pi[j];
                attention_rank1(w, gi, dV, a->v_t, s, a->dv);
                attention_row_dot(gi, vt, a->dv, sp, dp);
                if (dropped) for (long j = 0; j < s; j++) dp[j] *= d[j];
                float dot = 0;
                for (long j = 0; j < s; j++) dot += pi[j] * dp[j];
                for (long j = 0; j < s; j++) w[j] = pi[j] * (dp[j] - dot);   // dS
                attention_weighted_rows(w, K, a->k_t, s, a->dk, dq + b * a->q_b + h * a->q_h + i * a->q_t, a->scale);
                for (long c = 0; c < a->dk; c++) qs[c] = qi[c] * a->scale;
                attention_rank1(w, qs, dK, a->k_t, s, a->dk);
            }
        }
    }
    free(vt);
}
