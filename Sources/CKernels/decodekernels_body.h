// Kernels of one decoding step (included by rowkernels_body.h, so they share its ISA dispatch):
// the short attention blocks of one new token over the KV cache, and the scores of the next
// token over the vocabulary. Formulas are in include/RowKernels.h. Every row is computed alone,
// in a fixed order, so a sentence's scores do not depend on the batch around it.

static void log_sum_exp_rows(const float *x, float *lse, long rows, long n) {
    for (long i = 0; i < rows; i++) {
        const float *p = x + i * n;
        float m = row_max(p, n);
        lse[i] = m == NEG_INF ? NEG_INF : m + s_log(exp_sum(p, 0, n, m));
    }
}

/// Inserts (j, v) into the best-first list of *count entries (at most k) if it ranks.
INL void top_insert(int32_t *ids, float *vals, long *count, long k, long j, float v) {
    long i = *count;
    while (i > 0 && v > vals[i - 1]) i--;
    if (i >= k) return;
    long last = *count < k ? *count : k - 1;
    for (long t = last; t > i; t--) { ids[t] = ids[t - 1]; vals[t] = vals[t - 1]; }
    ids[i] = (int32_t)j;
    vals[i] = v;
    if (*count < k) (*count)++;
}

static long top_k(const float *x, long n, long k, int32_t *ids, float *vals) {
    long count = 0, j = 0;
    if (k <= 0) return 0;
    // Fill the list, then skip whole vectors with nothing above the current k-th value.
    for (; j < n && count < k; j++) top_insert(ids, vals, &count, k, j, x[j]);
    for (; j + W <= n; j += W) {
        vi above = ld(x + j) > splat(vals[k - 1]);
        int any = 0;
        for (int l = 0; l < W; l++) any |= above[l];
        if (!any) continue;
        for (int l = 0; l < W; l++)
            if (x[j + l] > vals[k - 1]) top_insert(ids, vals, &count, k, j + l, x[j + l]);
    }
    for (; j < n; j++)
        if (x[j] > vals[k - 1]) top_insert(ids, vals, &count, k, j, x[j]);
    return count;
}

static void dot_rows(const float *q, long rows, const float *keys, long count, long stride, long width, float *out) {
    for (long r = 0; r < rows; r++) {
        const float *qr = q + r * width;
        for (long j = 0; j < count; j++) {
            const float *kj = keys + j * stride;
            vf a0 = splat(0), a1 = a0;
            long c = 0;
            for (; c + 2 * W <= width; c += 2 * W) { a0 += ld(qr + c) * ld(kj + c); a1 += ld(qr + c + W) * ld(kj + c + W); }
            for (; c + W <= width; c += W) a0 += ld(qr + c) * ld(kj + c);
            if (c < width) a1 += ldp(qr + c, width - c, 0) * ldp(kj + c, width - c, 0);
            out[r * count + j] = hsum(a0 + a1);
        }
    }
}

static void weighted_sum_rows(const float *w, long rows, const float *values, long count, long stride, long width,
                              float *out) {
    for (long r = 0; r < rows; r++) attention_weighted_rows(w + r * count, values, stride, count, width, out + r * width, 1);
}
