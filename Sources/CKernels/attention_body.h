// Fused scaled dot-product attention for training (the paper, §3.2.1), one (batch row, head)
// block at a time while it is in cache (included by rowkernels_body.h for its ISA dispatch;
// decodekernels_body.h reuses its weighted sums):
//   forward   P = softmax(scale·Q·Kᵀ + bias, masked → −∞),  O = (P ⊙ D)·V
//   backward  dV = (P⊙D)ᵀ·dO,  dP = (dO·Vᵀ) ⊙ D,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),
//             dQ = scale·dS·K,  dK = scale·dSᵀ·Q
// D is inverted dropout on the attention weights, drawn exactly as tk_dropout draws it for the
// [B, H, T, S] weight tensor (element e uses counter first + e), so it is regenerated in backward
// instead of stored; only P is kept. Formulas and layouts: include/Attention.h.
// Keys past a query row's last unmasked key (all of them in the upper triangle of a causal mask)
// have weight exactly 0: the loops stop before them, which halves a causal block's work without
// changing a bit of the result (every sum skips only terms that are +0 or −0, in the same order and
// the same accumulators).

/// Keys (or values) of one head transposed to [width][sp] (sp = s rounded up to W, zero tail),
/// so a query's scores are vectors over keys. Whole 16×16 blocks go through registers (the
/// element-by-element loop was ~8 % of the attention backward: a scalar load and store each).
static void attention_transpose(const float *rows, long row_stride, long s, long width, long sp, float *out) {
    long c0 = 0, full = s / W * W;
    for (; c0 + W <= width; c0 += W)
        for (long j0 = 0; j0 < full; j0 += W) {
            vf r[W];
            for (int i = 0; i < W; i++) r[i] = ld(rows + (j0 + i) * row_stride + c0);
            tk_transpose16(r);
            for (int i = 0; i < W; i++) st(out + (c0 + i) * sp + j0, r[i]);
        }
    for (long c = 0; c < width; c++) {
        float *o = out + c * sp;
        for (long j = c < c0 ? full : 0; j < s; j++) o[j] = rows[j * row_stride + c];
        for (long j = s; j < sp; j++) o[j] = 0;
    }
}

/// y[c] (+)= Σ_j w[j]·rows[j·stride + c] over c < width (vectors over the row).
INL void attention_weighted_rows(const float *w, const float *rows, long stride, long s, long width, float *y, float scale) {
    for (long c = 0; c < width; c += W) {
        long k = width - c < W ? width - c : W;
        // Four accumulators (keys j mod 4) so the sum is not one chain of dependent FMAs.
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        long j = 0;
        if (k == W) {
            for (; j + 4 <= s; j += 4) {
                a0 += w[j] * ld(rows + j * stride + c);
                a1 += w[j + 1] * ld(rows + (j + 1) * stride + c);
                a2 += w[j + 2] * ld(rows + (j + 2) * stride + c);
                a3 += w[j + 3] * ld(rows + (j + 3) * stride + c);
            }
            for (; j < s; j++) a0 += w[j] * ld(rows + j * stride + c);
        } else {
            for (; j < s; j++) a0 += w[j] * ldp(rows + j * stride + c, k, 0);
        }
        vf acc = ((a0 + a1) + (a2 + a3)) * scale;
        if (k == W) st(y + c, acc); else stp(y + c, acc, k);
    }
}

/// Lanes c..<c+W of a row with `left` = width − c floats left (a partial load for the last vector).
INL vf ld_left(const float *p, long left) { return left >= W ? ld(p) : ldp(p, left, 0); }
INL void st_left(float *p, vf v, long left) { if (left >= W) st(p, v); else stp(p, v, left); }
INL vf ld_left_fill(const float *p, long left, float fill) { return left >= W ? ld(p) : ldp(p, left, fill); }

/// out[c] = scale · Σ_{g<group, i<t} w[(g·t + i)·s + j] · x[g·xg + i·xt + c] for c < width: one
/// key's gradient summed over every query row of the group, in registers, stored once. Rows before
/// `first` (even: rows keep their accumulator) have w = 0 in this column and are skipped.
INL void attention_column_sum(const float *w, long group, long t, long first, long s, long j, const float *x, long xg,
                              long xt, long width, float scale, float *out) {
    for (long c = 0; c < width; c += 2 * W) {
        long left = width - c;
        int two = left > W;
        // Even and odd query rows in separate accumulators: two independent FMA chains per vector.
        vf a0 = splat(0), a1 = a0, b0 = a0, b1 = a0;
        for (long g = 0; g < group; g++) {
            const float *wg = w + g * t * s + j, *xg0 = x + g * xg + c;
            long i = first;
            for (; i + 2 <= t; i += 2) {
                float w0 = wg[i * s], w1 = wg[(i + 1) * s];
                const float *x0 = xg0 + i * xt, *x1 = x0 + xt;
                a0 += w0 * ld_left(x0, left);
                b0 += w1 * ld_left(x1, left);
                if (two) { a1 += w0 * ld_left(x0 + W, left - W); b1 += w1 * ld_left(x1 + W, left - W); }
            }
            if (i < t) {
                float w0 = wg[i * s];
                a0 += w0 * ld_left(xg0 + i * xt, left);
                if (two) a1 += w0 * ld_left(xg0 + i * xt + W, left - W);
            }
        }
        st_left(out + c, (a0 + b0) * scale, left);
        if (two) st_left(out + c + W, (a1 + b1) * scale, left - W);
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

/// Row i of block (b, h) from q·kᵀ in row[0..<s] to scale·q·kᵀ + bias, −∞ where masked, for the
/// first s keys.
INL void attention_mask_row(const struct tk_attention *a, long b, long h, long i, float *row, long s) {
    const float *bias = a->bias ? a->bias + b * a->bias_b + h * a->bias_h + i * a->bias_t : 0;
    const float *mask = a->mask ? a->mask + b * a->mask_b + h * a->mask_h + i * a->mask_t : 0;
    // Separate loops per case: a vectorised `bias[j]` under a false condition still issues masked
    // loads from a null base, which take a slow fault-suppression path on some CPUs.
    long j = 0;
    if (bias && mask) {
        for (; j < s; j += W) st_left(row + j, sel(ld_left(mask + j, s - j) != 0, splat(NEG_INF), ld(row + j) * a->scale + ld_left(bias + j, s - j)), s - j);
    } else if (bias) {
        for (; j < s; j += W) st_left(row + j, ld(row + j) * a->scale + ld_left(bias + j, s - j), s - j);
    } else if (mask) {
        for (; j < s; j += W) st_left(row + j, sel(ld_left(mask + j, s - j) != 0, splat(NEG_INF), ld(row + j) * a->scale), s - j);
    } else {
        for (; j < s; j += W) st_left(row + j, ld(row + j) * a->scale, s - j);
    }
}

/// One past the last key query row i of block (b, h) may see (0: none; s without a mask): every
/// key from there on is masked.
INL long attention_row_keys(const struct tk_attention *a, long b, long h, long i) {
    if (!a->mask) return a->s;
    const float *mask = a->mask + b * a->mask_b + h * a->mask_h + i * a->mask_t;
    long n = a->s;
    while (n > 0 && mask[n - 1] != 0) n--;
    return n;
}

/// P's row pi[0..<s] = softmax of the masked scores row[0..<n] (n = attention_row_keys; zero from
/// n on). The exponentials are summed into the accumulators exp_sum gives them for the whole row
/// of s (vector j/W alternately into s0 and s1; a partial last vector of s into s1), so the sum has
/// the same bits as over all s keys.
INL void attention_softmax_row(const struct tk_attention *a, long b, long h, long i, float *row, long n, float *pi) {
    long s = a->s;
    attention_mask_row(a, b, h, i, row, n);
    float m = row_max(row, n);
    if (m == NEG_INF) {
        for (long j = 0; j < s; j++) pi[j] = 0;
        return;
    }
    vf s0 = splat(0), s1 = s0;
    long partial = s % W ? s / W : -1;
    for (long j = 0; j < n; j += W) {
        vf e = v_exp(ld_left_fill(row + j, n - j, NEG_INF) - m);
        st_left(pi + j, e, s - j);
        if ((j / W) % 2 == 1 || j / W == partial) s1 += e; else s0 += e;
    }
    float sum = hsum(s0 + s1);
    long done = (n + W - 1) / W * W;
    row_affine(pi, pi, done < s ? done : s, 1 / sum, 0);
    for (long j = done; j < s; j++) pi[j] = 0;
}

/// rows[r·sp + j] = Σ_c q_r[c]·kt[c·sp + j] for j < n (a multiple of W, at most sp) for four query
/// rows at once (each key vector loaded once).
INL void attention_dot4(const float *const q[4], const float *kt, long width, long sp, long n, float *rows) {
    for (long j = 0; j < n; j += W) {
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (long c = 0; c < width; c++) {
            vf kv = ld(kt + c * sp + j);
            a0 += q[0][c] * kv; a1 += q[1][c] * kv; a2 += q[2][c] * kv; a3 += q[3][c] * kv;
        }
        st(rows + j, a0); st(rows + sp + j, a1); st(rows + 2 * sp + j, a2); st(rows + 3 * sp + j, a3);
    }
}

/// out_r[c] = scale·Σ_j w_r[j]·value_j[c] for four weight rows at once (each value vector loaded
/// once); only the first `n` outputs are stored.
INL void attention_weighted4(const float *const w[4], const float *values, long stride, long s, long width,
                             float *const out[4], long n, float scale) {
    for (long c = 0; c < width; c += W) {
        long left = width - c;
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (long j = 0; j < s; j++) {
            vf vv = ld_left(values + j * stride + c, left);
            a0 += w[0][j] * vv; a1 += w[1][j] * vv; a2 += w[2][j] * vv; a3 += w[3][j] * vv;
        }
        vf acc[4] = {a0 * scale, a1 * scale, a2 * scale, a3 * scale};
        for (long r = 0; r < n; r++) st_left(out[r] + c, acc[r], left);
    }
}

static void attention_forward(const struct tk_attention *a, long first_block, long end_block, const float *q, const float *k,
                              const float *v, float *p, float *o) {
    long s = a->s, t = a->t, sp = (s + W - 1) / W * W, group = a->heads / a->kv_heads;
    // Kᵀ, four score rows, four dropped-out weight rows.
    float *kt = malloc(sizeof(float) * (size_t)(a->dk * sp + 8 * sp));
    float *rows = kt + a->dk * sp, *drop = rows + 4 * sp;
    long loaded = -1;
    for (long blk = first_block; blk < end_block; blk++) {
        long b = blk / a->heads, h = blk % a->heads, kv = b * a->kv_heads + h / group;
        const float *K = k + b * a->k_b + (h / group) * a->k_h, *V = v + b * a->v_b + (h / group) * a->v_h;
        if (kv != loaded) { attention_transpose(K, a->k_t, s, a->dk, sp, kt); loaded = kv; }
        // Query rows four at a time; a short last group repeats its last row and stores only the real ones.
        for (long i0 = 0; i0 < t; i0 += 4) {
            long n = t - i0 < 4 ? t - i0 : 4;
            const float *qr[4];
            const float *w[4];
            float *out[4];
            long keys[4], most = 0;
            for (long r = 0; r < 4; r++) {
                long i = i0 + (r < n ? r : n - 1);
                qr[r] = q + b * a->q_b + h * a->q_h + i * a->q_t;
                out[r] = o + b * a->o_b + h * a->o_h + i * a->o_t;
                keys[r] = attention_row_keys(a, b, h, i);
                if (keys[r] > most) most = keys[r];
            }
            attention_dot4(qr, kt, a->dk, sp, (most + W - 1) / W * W, rows);
            for (long r = 0; r < n; r++) {
                long i = i0 + r;
                float *pi = p + (blk * t + i) * s;
                attention_softmax_row(a, b, h, i, rows + r * sp, keys[r], pi);
                w[r] = pi;
                if (a->keep < 1) {
                    float *d = drop + r * sp;
                    attention_dropout_row(d, most, a->seed, a->first + (uint64_t)((blk * t + i) * s), a->keep);
                    for (long j = 0; j < most; j++) d[j] *= pi[j];
                    w[r] = d;
                }
            }
            for (long r = n; r < 4; r++) w[r] = w[n - 1];
            attention_weighted4(w, V, a->v_t, most, a->dv, out, n, 1);
        }
    }
    free(kt);
}

static void attention_backward(const struct tk_attention *a, long first_kv_block, long end_kv_block, const float *q,
                               const float *k, const float *v, const float *p, const float *dout, float *dq, float *dk,
                               float *dv) {
    long s = a->s, t = a->t, sp = (s + W - 1) / W * W, group = a->heads / a->kv_heads;
    long rows = group * t;
    // Vᵀ, four dP rows, a dropout row, then per query row of the group: the weights used (P ⊙ D)
    // and dS, for the key pass.
    // … and the group's first row that sees each key (see attention_column_sum).
    float *vt = malloc(sizeof(float) * (size_t)(a->dv * sp + 5 * sp + 2 * rows * s) + sizeof(long) * (size_t)s);
    float *dp = vt + a->dv * sp, *d = dp + 4 * sp, *used = d + sp, *ds = used + rows * s;
    long *first = (long *)(ds + rows * s);
    int dropped = a->keep < 1;
    for (long kvb = first_kv_block; kvb < end_kv_block; kvb++) {
        long b = kvb / a->kv_heads, hk = kvb % a->kv_heads, h0 = hk * group;
        const float *K = k + b * a->k_b + hk * a->k_h, *V = v + b * a->v_b + hk * a->v_h;
        attention_transpose(V, a->v_t, s, a->dv, sp, vt);
        for (long j = 0; j < s; j++) first[j] = t;
        // Query rows four at a time (each value and key vector loaded once for the four):
        // dP = (dO·Vᵀ) ⊙ D, dS = P ⊙ (dP − Σ P⊙dP), dQ = scale·dS·K. A short last group repeats
        // its last row and stores only the real ones.
        for (long g = 0; g < group; g++) {
            long blk = b * a->heads + h0 + g;
            for (long i0 = 0; i0 < t; i0 += 4) {
                long n = t - i0 < 4 ? t - i0 : 4;
                const float *gr[4], *sr[4];
                float *dqr[4];
                long keys[4], most = 0;
                for (long r = 0; r < 4; r++) {
                    long i = i0 + (r < n ? r : n - 1);
                    gr[r] = dout + b * a->o_b + (h0 + g) * a->o_h + i * a->o_t;
                    dqr[r] = dq + b * a->q_b + (h0 + g) * a->q_h + i * a->q_t;
                    sr[r] = ds + (g * t + i) * s;
                    keys[r] = attention_row_keys(a, b, h0 + g, i);
                    if (keys[r] > most) most = keys[r];
                }
                attention_dot4(gr, vt, a->dv, sp, (most + W - 1) / W * W, dp);
                for (long r = 0; r < n; r++) {
                    long i = i0 + r;
                    const float *pi = p + (blk * t + i) * s;
                    float *ui = used + (g * t + i) * s, *si = ds + (g * t + i) * s, *dpi = dp + r * sp;
                    // Vectors of keys this row sees (dP was computed for them); zero after them.
                    long seen = (keys[r] + W - 1) / W * W, upto = seen < s ? seen : s;
                    for (long j = 0; j < keys[r]; j++) if (first[j] > i) first[j] = i;
                    if (dropped) attention_dropout_row(d, upto, a->seed, a->first + (uint64_t)((blk * t + i) * s), a->keep);
                    // dP row sp wide (zero past s); P, D, and the rows written, s wide.
                    vf acc = splat(0);
                    for (long j = 0; j < seen; j += W) {
                        vf pj = ld_left(pi + j, s - j), gj = ld(dpi + j);
                        if (dropped) {
                            vf dj = ld_left(d + j, s - j);
                            st_left(ui + j, pj * dj, s - j);
                            gj *= dj;
                            st(dpi + j, gj);
                        } else {
                            st_left(ui + j, pj, s - j);
                        }
                        acc += pj * gj;
                    }
                    float dot = hsum(acc);
                    for (long j = 0; j < seen; j += W) st_left(si + j, ld_left(pi + j, s - j) * (ld(dpi + j) - dot), s - j);
                    for (long j = upto; j < s; j++) ui[j] = si[j] = 0;
                }
                attention_weighted4(sr, K, a->k_t, most, a->dk, dqr, n, a->scale);
            }
        }
        // Keys: dV_j = Σ_rows (P ⊙ D)_j·dO_row,  dK_j = scale·Σ_rows dS_j·Q_row.
        const float *Q = q + b * a->q_b + h0 * a->q_h, *G = dout + b * a->o_b + h0 * a->o_h;
        for (long j = 0; j < s; j++) {
            long from = first[j] & ~1L;
            attention_column_sum(used, group, t, from, s, j, G, a->o_h, a->o_t, a->dv, 1, dv + b * a->v_b + hk * a->v_h + j * a->v_t);
            attention_column_sum(ds, group, t, from, s, j, Q, a->q_h, a->q_t, a->dk, a->scale,
                                 dk + b * a->k_b + hk * a->k_h + j * a->k_t);
        }
    }
    free(vt);
}
