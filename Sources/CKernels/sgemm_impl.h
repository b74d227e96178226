// Private declarations shared by the SGEMM kernel files (not part of the public header).
#ifndef TK_SGEMM_IMPL_H
#define TK_SGEMM_IMPL_H
#include "CKernels.h"

#define TK_AVX512_MR 14
#define TK_AVX512_NR 32
#define TK_AVX2_MR 6
#define TK_AVX2_NR 16
#define TK_GENERIC_MR 4
#define TK_GENERIC_NR 8

#define TK_SGEMM_ARGS int64_t kc, const float *a, const float *b, float *c, int64_t ldc, \
                      int64_t mr, int64_t nr, float alpha, float beta, const float *bias, \
                      const float *pf, int64_t pf_ld, int64_t pf_rows, int64_t stream
#define TK_SGEMV_ARGS int64_t n, int64_t k, const float *x, const float *m, int64_t ldm, \
                      float *y, float alpha, float beta
#define TK_PACK_ARGS const float *src, int64_t ld, int64_t count, int64_t kc, int64_t width, float *dst

void tk_pack_copy_generic(TK_PACK_ARGS);
void tk_pack_transpose_generic(TK_PACK_ARGS);
void tk_sgemm_generic(TK_SGEMM_ARGS);
void tk_sgemv_rows_generic(TK_SGEMV_ARGS);
void tk_sgemv_dots_generic(TK_SGEMV_ARGS);
#if defined(__x86_64__) || defined(__i386__)
void tk_sgemm_avx2(TK_SGEMM_ARGS);
void tk_sgemv_rows_avx2(TK_SGEMV_ARGS);
void tk_sgemv_dots_avx2(TK_SGEMV_ARGS);
void tk_pack_copy_avx512(TK_PACK_ARGS);
void tk_pack_transpose_avx512(TK_PACK_ARGS);
void tk_sgemm_avx512(TK_SGEMM_ARGS);
void tk_sgemv_rows_avx512(TK_SGEMV_ARGS);
void tk_sgemv_dots_avx512(TK_SGEMV_ARGS);
#endif
#endif
