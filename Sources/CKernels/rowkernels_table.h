// The row kernels of one ISA as a table of function pointers; rowkernels.c picks a table at run time.
#ifndef ROWKERNELS_TABLE_H
#define ROWKERNELS_TABLE_H
#include "RowKernels.h"
#include "Attention.h"
#include <stdlib.h>

struct tk_row_ops {
    void (*unary)(int, const float *, float *, long);
    void (*unary_backward)(int, const float *, const float *, float *, long);
    void (*binary)(int, const float *, const float *, float *, long);
    void (*softmax_rows)(const float *, float *, long, long, int);
    void (*softmax_backward_rows)(const float *, const float *, float *, long, long, int);
    void (*norm_rows)(const float *, const float *, const float *, float *, float *, float *, long, long, float);
    void (*norm_backward_rows)(const float *, const float *, const float *, const float *, const float *, float *,
                               float *, float *, long, long);
    void (*cross_entropy_rows)(const float *, const int32_t *, float *, float *, long, long, float, int32_t, int);
    void (*cross_entropy_backward_rows)(const float *, const int32_t *, const float *, float *, long, long, float,
                                        int32_t, int, float);
    void (*dropout)(const float *, float *, float *, long, uint64_t, uint64_t, float, float);
    void (*adam)(float *, const float *, float *, float *, long, float, float, float, float, float, float);
    void (*log_sum_exp_rows)(const float *, float *, long, long);
    long (*top_k)(const float *, long, long, int32_t *, float *);
    void (*dot_rows)(const float *, long, const float *, long, long, long, float *);
    void (*weighted_sum_rows)(const float *, long, const float *, long, long, long, float *);
    void (*attention_forward)(const struct tk_attention *, long, long, const float *, const float *, const float *,
                              float *, float *);
    void (*attention_backward)(const struct tk_attention *, long, long, const float *, const float *, const float *,
                               const float *, const float *, float *, float *, float *);
    void (*column_sums)(const float *, long, long, long, float *);
};

extern const struct tk_row_ops tk_row_ops_generic;
#if defined(__x86_64__)
extern const struct tk_row_ops tk_row_ops_avx2, tk_row_ops_avx512;
#endif

#endif
