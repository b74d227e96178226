// Memory-bound row kernels (softmax, norms, cross-entropy, activations, dropout) over contiguous
// rows, with run-time dispatch to AVX-512, AVX2+FMA or generic code (see tk_simd_level).
// Every kernel treats its rows independently, so callers may split rows over threads freely.
#ifndef ROWKERNELS_H
#define ROWKERNELS_H
#include <stdint.h>

/// Picks the implementation: 2 = AVX-512, 1 = AVX2+FMA, 0 = generic, −1 = the best this CPU has
/// (levels the CPU lacks are lowered to the best). Returns the level now in use. For tests.
int tk_row_kernels_set_level(int level);

/// Unary ops on n contiguous floats (TK_ERF is for tests of the erf used by GELU; TK_RELU passes NaN on;
/// TK_GELU_TANH is GELU's tanh approximation, GPT-2's "gelu_new").
enum { TK_EXP = 0, TK_LOG = 1, TK_TANH = 2, TK_SIGMOID = 3, TK_GELU = 4, TK_SILU = 5, TK_ERF = 6, TK_RELU = 7, TK_GELU_TANH = 8 };

/// y = op(x).
void tk_unary(int op, const float *x, float *y, long n);
/// dx = dy·op'(x) for TK_GELU, TK_GELU_TANH, TK_SILU and TK_RELU (dy where x > 0, else 0).
void tk_unary_backward(int op, const float *x, const float *dy, float *dx, long n);

/// Binary ops on n contiguous floats: c = a op b.
enum { TK_ADD = 0, TK_SUB = 1, TK_MUL = 2, TK_DIV = 3 };
void tk_binary(int op, const float *a, const float *b, float *c, long n);

/// Softmax (log = 0) or log-softmax (log = 1) of each row of n floats. An all −∞ row gives
/// zeros (softmax) or −∞ (log-softmax).
void tk_softmax_rows(const float *x, float *y, long rows, long n, int log);
/// dx from the forward output y: softmax dx = y⊙(dy − Σdy⊙y); log-softmax dx = dy − exp(y)·Σdy.
void tk_softmax_backward_rows(const float *y, const float *dy, float *dx, long rows, long n, int log);

/// LayerNorm (mean != NULL) or RMSNorm (mean == NULL) of each row: y = (x − μ)·r·γ + β with
/// r = 1/√(var + eps); gamma and beta may be NULL. Writes mean[i] (LayerNorm) and rstd[i].
void tk_norm_rows(const float *x, const float *gamma, const float *beta, float *y,
                  float *mean, float *rstd, long rows, long n, float eps);
/// dx for the rows; when non-NULL, adds Σ_rows dy⊙x̂ to dgamma_acc and Σ_rows dy to dbeta_acc.
void tk_norm_backward_rows(const float *x, const float *gamma, const float *mean, const float *rstd,
                           const float *dy, float *dx, float *dgamma_acc, float *dbeta_acc, long rows, long n);

/// Label-smoothed cross-entropy per row: lse[i] = log Σ exp(x), loss[i] = lse − (1−eps)·x_t − eps/V·Σx
/// (loss 0 where targets[i] == ignore_index and has_ignore).
void tk_cross_entropy_rows(const float *logits, const int32_t *targets, float *lse, float *loss,
                           long rows, long v, float eps, int32_t ignore_index, int has_ignore);
/// dlogits = (softmax − q)·scale with q = (1−eps)·onehot(t) + eps/V; zero rows for ignored targets.
void tk_cross_entropy_backward_rows(const float *logits, const int32_t *targets, const float *lse, float *dx,
                                    long rows, long v, float eps, int32_t ignore_index, int has_ignore, float scale);

/// y[c] = Σ_r x[r·stride + c] for c < cols (a bias gradient): each column summed from 0 over the
/// rows in order, so splitting the columns over threads does not change any result.
void tk_column_sums(const float *x, long rows, long cols, long stride, float *y);

/// Inverted dropout of n elements starting at stream position `first` (element i uses counter
/// first + i of SplitMix64(seed)): mask = u < keep ? scale : 0, y = x·mask.
void tk_dropout(const float *x, float *y, float *mask, long n, uint64_t seed, uint64_t first, float keep, float scale);

/// One Adam/AdamW update of n parameters (Training/Adam.swift has the formula):
/// m = b1·m + (1 − b1)·g, v = b2·v + (1 − b2)·g², w = w·decay − step·m / (√v / c2 + eps).
void tk_adam(float *w, const float *g, float *m, float *v, long n, float b1, float b2, float eps, float step,
             float c2, float decay);

// Decoding step: the attention of a few new queries over the KV cache, and next-token scores.

/// lse[i] = log Σ_j exp(x[i, j]) over each row of n floats (−∞ for an all −∞ row).
void tk_log_sum_exp_rows(const float *x, float *lse, long rows, long n);
/// The k largest of x[0..<n], best first, the lower index first among equals: writes ids and
/// values and returns how many (fewer than k only when n < k).
long tk_top_k(const float *x, long n, long k, int32_t *ids, float *values);
/// out[r·count + j] = q_r · key_j for `rows` queries of `width` floats and `count` keys `stride` floats apart.
void tk_dot_rows(const float *q, long rows, const float *keys, long count, long stride, long width, float *out);
/// out[r·width + c] = Σ_j w[r·count + j]·value_j[c] for `count` values `stride` floats apart.
void tk_weighted_sum_rows(const float *w, long rows, const float *values, long count, long stride, long width, float *out);

#endif
