// Public entry points of the row kernels: each forwards to the table for the CPU's SIMD level.
#include "RowKernels.h"
#include "CKernels.h"
#include "rowkernels_table.h"

static const struct tk_row_ops *table_for(int level) {
#if defined(__x86_64__)
    if (level >= 2) return &tk_row_ops_avx512;
    if (level == 1) return &tk_row_ops_avx2;
#endif
    (void)level;
    return &tk_row_ops_generic;
}

static const struct tk_row_ops *current;

static const struct tk_row_ops *ops(void) {
    const struct tk_row_ops *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    if (t) return t;
    tk_row_kernels_set_level(-1);
    return __atomic_load_n(&current, __ATOMIC_ACQUIRE);
}

int tk_row_kernels_set_level(int level) {
    int best = tk_simd_level();
    if (level < 0 || level > best) level = best;
    __atomic_store_n(&current, table_for(level), __ATOMIC_RELEASE);
    return level;
}

void tk_unary(int op, const float *x, float *y, long n) { ops()->unary(op, x, y, n); }

void tk_unary_backward(int op, const float *x, const float *dy, float *dx, long n) {
    ops()->unary_backward(op, x, dy, dx, n);
}

void tk_binary(int op, const float *a, const float *b, float *c, long n) { ops()->binary(op, a, b, c, n); }

void tk_softmax_rows(const float *x, float *y, long rows, long n, int log) { ops()->softmax_rows(x, y, rows, n, log); }

void tk_softmax_backward_rows(const float *y, const float *dy, float *dx, long rows, long n, int log) {
    ops()->softmax_backward_rows(y, dy, dx, rows, n, log);
}

void tk_norm_rows(const float *x, const float *gamma, const float *beta, float *y,
                  float *mean, float *rstd, long rows, long n, float eps) {
    ops()->norm_rows(x, gamma, beta, y, mean, rstd, rows, n, eps);
}

void tk_norm_backward_rows(const float *x, const float *gamma, const float *mean, const float *rstd,
                           const float *dy, float *dx, float *dgamma_acc, float *dbeta_acc, long rows, long n) {
    ops()->norm_backward_rows(x, gamma, mean, rstd, dy, dx, dgamma_acc, dbeta_acc, rows, n);
}

void tk_cross_entropy_rows(const float *logits, const int32_t *targets, float *lse, float *loss,
                           long rows, long v, float eps, int32_t ignore_index, int has_ignore) {
    ops()->cross_entropy_rows(logits, targets, lse, loss, rows, v, eps, ignore_index, has_ignore);
}

void tk_cross_entropy_backward_rows(const float *logits, const int32_t *targets, const float *lse, float *dx,
                                    long rows, long v, float eps, int32_t ignore_index, int has_ignore, float scale) {
    ops()->cross_entropy_backward_rows(logits, targets, lse, dx, rows, v, eps, ignore_index, has_ignore, scale);
}

void tk_dropout(const float *x, float *y, float *mask, long n, uint64_t seed, uint64_t first, float keep, float scale) {
    ops()->dropout(x, y, mask, n, seed, first, keep, scale);
}

void tk_adam(float *w, const float *g, float *m, float *v, long n, float b1, float b2, float eps, float step,
             float c2, float decay) {
    ops()->adam(w, g, m, v, n, b1, b2, eps, step, c2, decay);
}

void tk_log_sum_exp_rows(const float *x, float *lse, long rows, long n) { ops()->log_sum_exp_rows(x, lse, rows, n); }

long tk_top_k(const float *x, long n, long k, int32_t *ids, float *values) { return ops()->top_k(x, n, k, ids, values); }

void tk_dot_rows(const float *q, long rows, const float *keys, long count, long stride, long width, float *out) {
    ops()->dot_rows(q, rows, keys, count, stride, width, out);
}

void tk_weighted_sum_rows(const float *w, long rows, const float *values, long count, long stride, long width, float *out) {
    ops()->weighted_sum_rows(w, rows, values, count, stride, width, out);
}

void tk_attention_forward(const struct tk_attention *a, long first_block, long end_block, const float *q,
                          const float *k, const float *v, float *p, float *o) {
    ops()->attention_forward(a, first_block, end_block, q, k, v, p, o);
}

void tk_attention_backward(const struct tk_attention *a, long first_block, long end_block, const float *q,
                           const float *k, const float *v, const float *p, const float *dout, float *dq, float *dk,
                           float *dv) {
    ops()->attention_backward(a, first_block, end_block, q, k, v, p, dout, dq, dk, dv);
}

void tk_column_sums(const float *x, long rows, long cols, long stride, float *y) {
    ops()->column_sums(x, rows, cols, stride, y);
}
