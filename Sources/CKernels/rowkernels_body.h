// Row kernels written once over 16-float vectors; each rowkernels_<isa>.c includes this under its
// own target pragma and exports the table TK_TABLE. Formulas are in include/RowKernels.h.
// Reductions use fixed lane assignments and a fixed final order, so a row's result depends only
// on its contents and length.
#include "rowmath.h"
#include "transpose16.h"
#include "rowkernels_table.h"

#define NEG_INF (-__builtin_inff())

/// The largest of p[0..<n], or NaN when any is NaN: a comparison alone would skip NaNs, and a row
/// of NaN scores would then look like a fully masked one (−∞), whose softmax is zeros.
static float row_max(const float *p, long n) {
    vf a0 = splat(NEG_INF), a1 = a0, a2 = a0, a3 = a0;
    vi nan = splati(0);
    long j = 0;
    for (; j + 4 * W <= n; j += 4 * W) {
        vf x0 = ld(p + j), x1 = ld(p + j + W), x2 = ld(p + j + 2 * W), x3 = ld(p + j + 3 * W);
        a0 = vmax(x0, a0); a1 = vmax(x1, a1); a2 = vmax(x2, a2); a3 = vmax(x3, a3);
        nan |= (x0 != x0) | (x1 != x1) | (x2 != x2) | (x3 != x3);
    }
    for (; j + W <= n; j += W) { vf x = ld(p + j); a0 = vmax(x, a0); nan |= x != x; }
    if (j < n) { vf x = ldp(p + j, n - j, NEG_INF); a1 = vmax(x, a1); nan |= x != x; }
    for (int i = 0; i < W; i++) if (nan[i]) return __builtin_nanf("");
    return hmax(vmax(vmax(a0, a1), vmax(a2, a3)));
}

/// Σ p[j] (and Σ p[j]·q[j] when q is given), four accumulators.
static float row_sum(const float *p, const float *q, long n) {
    vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
    long j = 0;
    if (q) {
        for (; j + 4 * W <= n; j += 4 * W) {
            a0 += ld(p + j) * ld(q + j); a1 += ld(p + j + W) * ld(q + j + W);
            a2 += ld(p + j + 2 * W) * ld(q + j + 2 * W); a3 += ld(p + j + 3 * W) * ld(q + j + 3 * W);
        }
        for (; j + W <= n; j += W) a0 += ld(p + j) * ld(q + j);
        if (j < n) a1 += ldp(p + j, n - j, 0) * ldp(q + j, n - j, 0);
    } else {
        for (; j + 4 * W <= n; j += 4 * W) {
            a0 += ld(p + j); a1 += ld(p + j + W); a2 += ld(p + j + 2 * W); a3 += ld(p + j + 3 * W);
        }
        for (; j + W <= n; j += W) a0 += ld(p + j);
        if (j < n) a1 += ldp(p + j, n - j, 0);
    }
    return hsum((a0 + a1) + (a2 + a3));
}

/// Σ exp(p[j] − m), also storing the terms to q when q is given.
static float exp_sum(const float *p, float *q, long n, float m) {
    vf s0 = splat(0), s1 = s0;
    long j = 0;
    for (; j + 2 * W <= n; j += 2 * W) {
        vf e0 = v_exp(ld(p + j) - m), e1 = v_exp(ld(p + j + W) - m);
        if (q) { st(q + j, e0); st(q + j + W, e1); }
        s0 += e0; s1 += e1;
    }
    for (; j + W <= n; j += W) {
        vf e = v_exp(ld(p + j) - m);
        if (q) st(q + j, e);
        s0 += e;
    }
    if (j < n) {
        vf e = v_exp(ldp(p + j, n - j, NEG_INF) - m);
        if (q) stp(q + j, e, n - j);
        s1 += e;
    }
    return hsum(s0 + s1);
}

/// y[c] = Σ_r x[r·stride + c] for c < cols: each column one sum from 0 over the rows in order, so
/// a column's result does not depend on how the columns are split. Rows stream front to back with
/// the running sums in y (callers keep cols within L1).
static void column_sums(const float *x, long rows, long cols, long stride, float *y) {
    long c = 0;
    for (; c + W <= cols; c += W) st(y + c, splat(0));
    if (c < cols) stp(y + c, splat(0), cols - c);
    for (long r = 0; r < rows; r++) {
        const float *p = x + r * stride;
        c = 0;
        for (; c + 4 * W <= cols; c += 4 * W) {
            st(y + c, ld(y + c) + ld(p + c));
            st(y + c + W, ld(y + c + W) + ld(p + c + W));
            st(y + c + 2 * W, ld(y + c + 2 * W) + ld(p + c + 2 * W));
            st(y + c + 3 * W, ld(y + c + 3 * W) + ld(p + c + 3 * W));
        }
        for (; c + W <= cols; c += W) st(y + c, ld(y + c) + ld(p + c));
        if (c < cols) stp(y + c, ldp(y + c, cols - c, 0) + ldp(p + c, cols - c, 0), cols - c);
    }
}

/// q[j] = p[j]·a + b.
static void row_affine(const float *p, float *q, long n, float a, float b) {
    long j = 0;
    for (; j + W <= n; j += W) st(q + j, ld(p + j) * a + b);
    if (j < n) stp(q + j, ldp(p + j, n - j, 0) * a + b, n - j);
}

static float s_log(float x) { return v_log(splat(x))[0]; }

static void softmax_rows(const float *x, float *y, long rows, long n, int log) {
    for (long i = 0; i < rows; i++) {
        const float *src = x + i * n;
        float *dst = y + i * n;
        float m = row_max(src, n);
        if (m == NEG_INF) {        // an all −∞ row: softmax 0, log-softmax −∞, never NaN
            for (long j = 0; j < n; j++) dst[j] = log ? NEG_INF : 0;
            continue;
        }
        if (log) {
            // (x − m) − log s, not x − (m + log s): exact where x = m even when |m| is huge.
            float ls = s_log(exp_sum(src, 0, n, m));
            long j = 0;
            for (; j + W <= n; j += W) st(dst + j, (ld(src + j) - m) - ls);
            if (j < n) stp(dst + j, (ldp(src + j, n - j, 0) - m) - ls, n - j);
        } else {
            float s = exp_sum(src, dst, n, m);
            row_affine(dst, dst, n, s > 0 ? 1 / s : 0, 0);
        }
    }
}

static void softmax_backward_rows(const float *y, const float *dy, float *dx, long rows, long n, int log) {
    for (long i = 0; i < rows; i++) {
        const float *yy = y + i * n, *g = dy + i * n;
        float *d = dx + i * n;
        long j = 0;
        if (log) {
            float s = row_sum(g, 0, n);
            for (; j + W <= n; j += W) st(d + j, ld(g + j) - v_exp(ld(yy + j)) * s);
            if (j < n) stp(d + j, ldp(g + j, n - j, 0) - v_exp(ldp(yy + j, n - j, 0)) * s, n - j);
        } else {
            float dot = row_sum(g, yy, n);
            for (; j + W <= n; j += W) st(d + j, ld(yy + j) * (ld(g + j) - dot));
            if (j < n) stp(d + j, ldp(yy + j, n - j, 0) * (ldp(g + j, n - j, 0) - dot), n - j);
        }
    }
}

/// Loads lane block j of an optional per-column vector (NULL reads as `dflt`).
INL vf ldo(const float *p, long j, long k, float dflt) {
    if (!p) return splat(dflt);
    return k == W ? ld(p + j) : ldp(p + j, k, dflt);
}

static void norm_rows(const float *x, const float *gamma, const float *beta, float *y,
                      float *mean, float *rstd, long rows, long n, float eps) {
    for (long i = 0; i < rows; i++) {
        const float *src = x + i * n;
        float *dst = y + i * n;
        float mu = mean ? row_sum(src, 0, n) / (float)n : 0;
        // Two passes (mean, then Σ(x − μ)²) for accuracy; the row is in cache for the second.
        vf v0 = splat(0), v1 = v0;
        long j = 0;
        for (; j + 2 * W <= n; j += 2 * W) {
            vf c0 = ld(src + j) - mu, c1 = ld(src + j + W) - mu;
            v0 += c0 * c0; v1 += c1 * c1;
        }
        for (; j + W <= n; j += W) { vf c = ld(src + j) - mu; v0 += c * c; }
        if (j < n) { vf c = ldp(src + j, n - j, mu) - mu; v1 += c * c; }
        float r = 1 / __builtin_sqrtf(hsum(v0 + v1) / (float)n + eps);
        if (mean) mean[i] = mu;
        rstd[i] = r;
        for (j = 0; j < n; j += W) {
            long k = n - j < W ? n - j : W;
            vf o = (ldo(src, j, k, 0) - mu) * r;
            o = o * ldo(gamma, j, k, 1) + ldo(beta, j, k, 0);
            if (k == W) st(dst + j, o); else stp(dst + j, o, k);
        }
    }
}

static void norm_backward_rows(const float *x, const float *gamma, const float *mean, const float *rstd,
                               const float *dy, float *dx, float *accG, float *accB, long rows, long n) {
    for (long i = 0; i < rows; i++) {
        const float *xs = x + i * n, *gs = dy + i * n;
        float *out = dx + i * n;
        float r = rstd[i], mu = mean ? mean[i] : 0;
        vf sg = splat(0), sgx = sg;
        for (long j = 0; j < n; j += W) {
            long k = n - j < W ? n - j : W;
            vf xh = (ldo(xs, j, k, 0) - mu) * r, d = ldo(gs, j, k, 0);
            vf g = d * ldo(gamma, j, k, 1);
            sg += g; sgx += g * xh;
            if (accG) { vf a = ldo(accG, j, k, 0) + d * xh; if (k == W) st(accG + j, a); else stp(accG + j, a, k); }
            if (accB) { vf a = ldo(accB, j, k, 0) + d; if (k == W) st(accB + j, a); else stp(accB + j, a, k); }
        }
        float mg = mean ? hsum(sg) / (float)n : 0, mgx = hsum(sgx) / (float)n;
        for (long j = 0; j < n; j += W) {
            long k = n - j < W ? n - j : W;
            vf xh = (ldo(xs, j, k, 0) - mu) * r;
            vf o = r * (ldo(gs, j, k, 0) * ldo(gamma, j, k, 1) - mg - xh * mgx);
            if (k == W) st(out + j, o); else stp(out + j, o, k);
        }
    }
}

static void cross_entropy_rows(const float *logits, const int32_t *targets, float *lse, float *loss,
                               long rows, long v, float eps, int32_t ignore, int has_ignore) {
    for (long i = 0; i < rows; i++) {
        const float *row = logits + i * v;
        float m = row_max(row, v), total = row_sum(row, 0, v);
        float l = m + s_log(exp_sum(row, 0, v, m));
        lse[i] = l;
        if (has_ignore && targets[i] == ignore) { loss[i] = 0; continue; }
        loss[i] = l - (1 - eps) * row[targets[i]] - eps / (float)v * total;
    }
}

static void cross_entropy_backward_rows(const float *logits, const int32_t *targets, const float *lse, float *dx,
                                        long rows, long v, float eps, int32_t ignore, int has_ignore, float scale) {
    float smooth = eps / (float)v;
    for (long i = 0; i < rows; i++) {
        const float *row = logits + i * v;
        float *out = dx + i * v;
        long j = 0;
        if (has_ignore && targets[i] == ignore) {
            for (; j < v; j++) out[j] = 0;
            continue;
        }
        float l = lse[i];
        for (; j + W <= v; j += W) st(out + j, (v_exp(ld(row + j) - l) - smooth) * scale);
        if (j < v) stp(out + j, (v_exp(ldp(row + j, v - j, 0) - l) - smooth) * scale, v - j);
        out[targets[i]] -= (1 - eps) * scale;
    }
}

INL vf unary_op(int op, vf x) {
    switch (op) {
    case TK_EXP: return v_exp(x);
    case TK_LOG: return v_log(x);
    case TK_TANH: return v_tanh(x);
    case TK_SIGMOID: return v_sigmoid(x);
    case TK_GELU: return v_gelu(x);
    case TK_GELU_TANH: return v_gelu_tanh(x);
    case TK_SILU: return x * v_sigmoid(x);
    case TK_RELU: return sel(x <= 0, splat(0), x);
    default: return v_erf(x);
    }
}

/// One loop per op so the switch is outside the loop.
#define UNARY_LOOP(OP) \
    for (; j + W <= n; j += W) st(y + j, unary_op(OP, ld(x + j))); \
    if (j < n) stp(y + j, unary_op(OP, ldp(x + j, n - j, 1)), n - j); \
    return;

static void unary(int op, const float *x, float *y, long n) {
    long j = 0;
    switch (op) {
    case TK_EXP: UNARY_LOOP(TK_EXP)
    case TK_LOG: UNARY_LOOP(TK_LOG)
    case TK_TANH: UNARY_LOOP(TK_TANH)
    case TK_SIGMOID: UNARY_LOOP(TK_SIGMOID)
    case TK_GELU: UNARY_LOOP(TK_GELU)
    case TK_GELU_TANH: UNARY_LOOP(TK_GELU_TANH)
    case TK_SILU: UNARY_LOOP(TK_SILU)
    case TK_RELU: UNARY_LOOP(TK_RELU)
    default: UNARY_LOOP(TK_ERF)
    }
}

INL vf unary_grad(int op, vf x) {
    if (op == TK_GELU) return v_gelu_grad(x);
    if (op == TK_GELU_TANH) return v_gelu_tanh_grad(x);
    vf s = v_sigmoid(x);                                    // silu' = s·(1 + x·(1 − s))
    return s * (1.0f + x * (1.0f - s));
}

static void unary_backward(int op, const float *x, const float *dy, float *dx, long n) {
    long j = 0;
    if (op == TK_RELU) {
        for (; j + W <= n; j += W) st(dx + j, sel(ld(x + j) > 0, ld(dy + j), splat(0)));
        if (j < n) stp(dx + j, sel(ldp(x + j, n - j, 0) > 0, ldp(dy + j, n - j, 0), splat(0)), n - j);
    } else if (op == TK_GELU) {
        for (; j + W <= n; j += W) st(dx + j, ld(dy + j) * unary_grad(TK_GELU, ld(x + j)));
        if (j < n) stp(dx + j, ldp(dy + j, n - j, 0) * unary_grad(TK_GELU, ldp(x + j, n - j, 0)), n - j);
    } else if (op == TK_GELU_TANH) {
        for (; j + W <= n; j += W) st(dx + j, ld(dy + j) * unary_grad(TK_GELU_TANH, ld(x + j)));
        if (j < n) stp(dx + j, ldp(dy + j, n - j, 0) * unary_grad(TK_GELU_TANH, ldp(x + j, n - j, 0)), n - j);
    } else {
        for (; j + W <= n; j += W) st(dx + j, ld(dy + j) * unary_grad(TK_SILU, ld(x + j)));
        if (j < n) stp(dx + j, ldp(dy + j, n - j, 0) * unary_grad(TK_SILU, ldp(x + j, n - j, 0)), n - j);
    }
}

INL vf binary_op(int op, vf a, vf b) {
    switch (op) {
    case TK_ADD: return a + b;
    case TK_SUB: return a - b;
    case TK_MUL: return a * b;
    default: return a / b;
    }
}

#define BINARY_LOOP(OP) \
    for (; j + 2 * W <= n; j += 2 * W) { \
        st(c + j, binary_op(OP, ld(a + j), ld(b + j))); \
        st(c + j + W, binary_op(OP, ld(a + j + W), ld(b + j + W))); \
    } \
    for (; j < n; j++) c[j] = binary_op(OP, splat(a[j]), splat(b[j]))[0]; \
    return;

static void binary(int op, const float *a, const float *b, float *c, long n) {
    long j = 0;
    switch (op) {
    case TK_ADD: BINARY_LOOP(TK_ADD)
    case TK_SUB: BINARY_LOOP(TK_SUB)
    case TK_MUL: BINARY_LOOP(TK_MUL)
    default: BINARY_LOOP(TK_DIV)
    }
}

typedef uint64_t vu64 __attribute__((vector_size(64)));
typedef int32_t v8i __attribute__((vector_size(32)));

/// u = top 24 bits of SplitMix64(seed + c·golden) / 2^24 for 8 consecutive counters from c0.
INL v8f uniform8(uint64_t seed, uint64_t c0) {
    vu64 c = {0, 1, 2, 3, 4, 5, 6, 7};
    vu64 z = seed + (c + c0) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    return __builtin_convertvector(__builtin_convertvector(z >> 40, v8i), v8f) * (1.0f / 16777216.0f);
}

static void dropout(const float *x, float *y, float *mask, long n, uint64_t seed, uint64_t first, float keep, float scale) {
    for (long j = 0; j < n; j += W) {
        v8f u0 = uniform8(seed, first + (uint64_t)j), u1 = uniform8(seed, first + (uint64_t)j + 8);
        vf u = __builtin_shufflevector(u0, u1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        vf m = sel(u < keep, splat(scale), splat(0));
        long k = n - j < W ? n - j : W;
        if (k == W) { st(mask + j, m); st(y + j, ld(x + j) * m); }
        else { stp(mask + j, m, k); stp(y + j, ldp(x + j, k, 0) * m, k); }
    }
}

INL vf adam_step(vf w, vf g, vf *m, vf *v, float b1, float b2, float eps, float step, float c2, float decay) {
    *m = b1 * *m + (1 - b1) * g;
    *v = b2 * *v + (1 - b2) * g * g;
    return w * decay - step * *m / (__builtin_elementwise_sqrt(*v) / c2 + eps);
}

static void adam(float *w, const float *g, float *m, float *v, long n, float b1, float b2, float eps, float step,
                 float c2, float decay) {
    long j = 0;
    for (; j + W <= n; j += W) {
        vf mj = ld(m + j), vj = ld(v + j);
        st(w + j, adam_step(ld(w + j), ld(g + j), &mj, &vj, b1, b2, eps, step, c2, decay));
        st(m + j, mj); st(v + j, vj);
    }
    if (j < n) {
        long k = n - j;
        vf mj = ldp(m + j, k, 0), vj = ldp(v + j, k, 0);
        stp(w + j, adam_step(ldp(w + j, k, 0), ldp(g + j, k, 0), &mj, &vj, b1, b2, eps, step, c2, decay), k);
        stp(m + j, mj, k); stp(v + j, vj, k);
    }
}

#include "attention_body.h"
#include "decodekernels_body.h"

const struct tk_row_ops TK_TABLE = {
    unary, unary_backward, binary, softmax_rows, softmax_backward_rows, norm_rows, norm_backward_rows,
    cross_entropy_rows, cross_entropy_backward_rows, dropout, adam,
    log_sum_exp_rows, top_k, dot_rows, weighted_sum_rows, attention_forward, attention_backward, column_sums,
};
