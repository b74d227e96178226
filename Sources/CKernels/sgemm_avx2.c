// AVX2+FMA SGEMM micro-kernel (6×16 register tile) and GEMV kernels.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "sgemm_impl.h"

#define TK_TARGET __attribute__((target("avx2,fma")))
#define MR TK_AVX2_MR
#define NR TK_AVX2_NR

// alpha·acc (+ bias) + beta·C; C is not read when beta == 0.
TK_TARGET static inline __m256 blend(__m256 acc, const float *bias, const float *c, float alpha, float beta) {
    // One FMA; without a bias it adds −0, which changes no value, so that is exactly alpha·acc.
    __m256 r = _mm256_fmadd_ps(acc, _mm256_set1_ps(alpha), bias ? _mm256_loadu_ps(bias) : _mm256_set1_ps(-0.0f));
    return beta != 0.0f ? _mm256_fmadd_ps(_mm256_loadu_ps(c), _mm256_set1_ps(beta), r) : r;
}

TK_TARGET void tk_sgemm_avx2(TK_SGEMM_ARGS) {
    (void)pf, (void)pf_ld, (void)pf_rows, (void)stream;
    __m256 acc0[MR], acc1[MR];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
    }
    for (int64_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
        }
        a += MR;
        b += NR;
    }
    if (mr == MR && nr == NR) {
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc;
            _mm256_storeu_ps(ci, blend(acc0[i], bias, ci, alpha, beta));
            _mm256_storeu_ps(ci + 8, blend(acc1[i], bias ? bias + 8 : 0, ci + 8, alpha, beta));
        }
        return;
    }
    // Edge tile: go through a full-size scratch tile so no lane past nr is touched.
    float t[MR][NR];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        _mm256_storeu_ps(t[i], acc0[i]);
        _mm256_storeu_ps(t[i] + 8, acc1[i]);
    }
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++) {
            float s = bias ? __builtin_fmaf(alpha, t[i][j], bias[j]) : alpha * t[i][j];  // as blend
            c[i * ldc + j] = beta != 0.0f ? s + beta * c[i * ldc + j] : s;
        }
}

TK_TARGET static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TK_TARGET void tk_sgemv_rows_avx2(TK_SGEMV_ARGS) {
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        const float *row = m + j;
        for (int64_t p = 0; p < k; p++, row += ldm) {
            __m256 xp = _mm256_broadcast_ss(x + p);
#pragma clang loop unroll(full)
            for (int v = 0; v < 4; v++) acc[v] = _mm256_fmadd_ps(xp, _mm256_loadu_ps(row + 8 * v), acc[v]);
        }
#pragma clang loop unroll(full)
        for (int v = 0; v < 4; v++) _mm256_storeu_ps(y + j + 8 * v, blend(acc[v], 0, y + j + 8 * v, alpha, beta));
    }
    // Remaining columns: one scalar sum each, in the same p order.
    for (; j < n; j++) {
        float s = 0;
        for (int64_t p = 0; p < k; p++) s = __builtin_fmaf(x[p], m[p * ldm + j], s);
        s *= alpha;
        y[j] = beta != 0.0f ? s + beta * y[j] : s;
    }
}

TK_TARGET void tk_sgemv_dots_avx2(TK_SGEMV_ARGS) {
    for (int64_t j = 0; j < n; j++) {
        const float *r = m + j * ldm;
        __m256 acc = _mm256_setzero_ps();
        int64_t p = 0;
        for (; p + 8 <= k; p += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(r + p), acc);
        float s = hsum(acc);
        for (; p < k; p++) s = __builtin_fmaf(x[p], r[p], s);
        s *= alpha;
        y[j] = beta != 0.0f ? s + beta * y[j] : s;
    }
}
#endif
