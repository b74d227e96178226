// Portable C SGEMM micro-kernel (4×8 tile) and GEMV kernels, for CPUs without AVX2.
#include "sgemm_impl.h"

#define MR TK_GENERIC_MR
#define NR TK_GENERIC_NR

void tk_sgemm_generic(TK_SGEMM_ARGS) {
    (void)pf, (void)pf_ld, (void)pf_rows, (void)stream;
    float t[MR][NR] = {{0}};
    for (int64_t p = 0; p < kc; p++, a += MR, b += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) t[i][j] += a[i] * b[j];
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++) {
            float s = alpha * t[i][j];
            if (bias) s += bias[j];
            c[i * ldc + j] = beta != 0.0f ? s + beta * c[i * ldc + j] : s;
        }
}

void tk_sgemv_rows_generic(TK_SGEMV_ARGS) {
    // 64 sums at a time, so each row of m is read front to back.
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
        int64_t w = n - j0 < 64 ? n - j0 : 64;
        float t[64] = {0};
        for (int64_t p = 0; p < k; p++)
            for (int64_t j = 0; j < w; j++) t[j] += x[p] * m[p * ldm + j0 + j];
        for (int64_t j = 0; j < w; j++) {
            float s = alpha * t[j];
            y[j0 + j] = beta != 0.0f ? s + beta * y[j0 + j] : s;
        }
    }
}

void tk_sgemv_dots_generic(TK_SGEMV_ARGS) {
    for (int64_t j = 0; j < n; j++) {
        const float *r = m + j * ldm;
        float s = 0;
        for (int64_t p = 0; p < k; p++) s += x[p] * r[p];
        s *= alpha;
        y[j] = beta != 0.0f ? s + beta * y[j] : s;
    }
}
