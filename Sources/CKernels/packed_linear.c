// Decoding's linear layers, y = x·Wᵀ + b for a few rows x (one per sentence or beam): W is packed
// once into panels of 64 outputs, so every step streams it in order with no per-call packing;
// each row block of the panel keeps its outputs in registers while p runs over k. Float32 kernels
// for AVX-512, AVX2+FMA and portable C, and the level choice that the bfloat16 and int8 kernels
// (packed_linear_bf16.c, packed_linear_int8.c) share.
#include "packed_linear_impl.h"
#include "CKernels.h"

// Feature bits, found once: 1 = BF16, 2 = VNNI, 4 = found.
static int features(void) {
    static int found = 0;
    int f = __atomic_load_n(&found, __ATOMIC_RELAXED);
    if (f) return f;
    f = 4;
#if defined(TK_X86)
    __builtin_cpu_init();
    if (tk_simd_level() >= 2 && __builtin_cpu_supports("avx512bf16")) f |= 1;
    if (tk_simd_level() >= 2 && __builtin_cpu_supports("avx512vnni")) f |= 2;
#endif
    __atomic_store_n(&found, f, __ATOMIC_RELAXED);
    return f;
}

int tk_cpu_has_avx512_bf16(void) { return (features() & 1) != 0; }

int tk_cpu_has_avx512_vnni(void) { return (features() & 2) != 0; }

static int best_level(void) {
    int level = tk_simd_level();
    return level >= 2 && (tk_cpu_has_avx512_bf16() || tk_cpu_has_avx512_vnni()) ? 3 : level;
}

static int current_level = -1;

int tk_packed_linear_set_level(int level) {
    int best = best_level();
    if (level < 0 || level > best) level = best;
    __atomic_store_n(&current_level, level, __ATOMIC_RELAXED);
    return level;
}

int tk_packed_level(void) {
    int level = __atomic_load_n(&current_level, __ATOMIC_RELAXED);
    return level >= 0 ? level : tk_packed_linear_set_level(-1);
}

void tk_pack_linear_panels(const float *w, int64_t n, int64_t k, float *panels) {
    for (int64_t q = 0; q * TK_PANEL < n; q++) {
        float *dst = panels + q * TK_PANEL * k;
        for (int64_t p = 0; p < k; p++)
            for (int64_t c = 0; c < TK_PANEL; c++) {
                int64_t j = q * TK_PANEL + c;
                dst[p * TK_PANEL + c] = j < n ? w[j * k + p] : 0.0f;
            }
    }
}

// One panel for rows [0, m): portable C, one row at a time.
static void panel_generic(int64_t m, int64_t k, const float *x, int64_t ldx, const float *b,
                          const float *bias, float *y, int64_t ldy, int64_t width, int relu) {
    for (int64_t i = 0; i < m; i++) {
        float acc[TK_PANEL];
        for (int64_t c = 0; c < TK_PANEL; c++) acc[c] = bias && c < width ? bias[c] : 0.0f;
        const float *xi = x + i * ldx;
        for (int64_t p = 0; p < k; p++)
            for (int64_t c = 0; c < TK_PANEL; c++) acc[c] = __builtin_fmaf(xi[p], b[p * TK_PANEL + c], acc[c]);
        for (int64_t c = 0; c < width; c++) y[i * ldy + c] = tk_relu_if(acc[c], relu);
    }
}

#if defined(TK_X86)
// Up to 6 rows × 64 outputs in 24 accumulators; `rows` is a constant where it is inlined.
TK_AVX512 TK_INLINE void block_avx512(int rows, int64_t k, const float *x, int64_t ldx, const float *b,
                                      const float *bias, float *y, int64_t ldy, int64_t width, int relu) {
    __m512 acc[6][4];
    for (int c = 0; c < 4; c++) {
        __m512 init = bias ? _mm512_maskz_loadu_ps(tk_lanes16(width - 16 * c), bias + 16 * c) : _mm512_setzero_ps();
        for (int r = 0; r < rows; r++) acc[r][c] = init;
    }
    for (int64_t p = 0; p < k; p++) {
        const float *bp = b + p * TK_PANEL;
        __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
        __m512 b2 = _mm512_loadu_ps(bp + 32), b3 = _mm512_loadu_ps(bp + 48);
        for (int r = 0; r < rows; r++) {
            __m512 a = _mm512_set1_ps(x[r * ldx + p]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(a, b3, acc[r][3]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < 4; c++)
            _mm512_mask_storeu_ps(y + r * ldy + 16 * c, tk_lanes16(width - 16 * c), tk_relu512(acc[r][c], relu));
}

#define BLOCK_AVX512(rows, i) block_avx512(rows, k, x + (i) * ldx, ldx, b, bias, y + (i) * ldy, ldy, width, relu)

TK_AVX512 static void panel_avx512(int64_t m, int64_t k, const float *x, int64_t ldx, const float *b,
                                   const float *bias, float *y, int64_t ldy, int64_t width, int relu) {
    int64_t i = 0;
    for (; i + 6 <= m; i += 6) BLOCK_AVX512(6, i);
    if (i < m) TK_ROWS_SWITCH(BLOCK_AVX512, (int)(m - i), i)
}

// One row × 64 outputs in 8 accumulators.
TK_AVX2 static void panel_avx2(int64_t m, int64_t k, const float *x, int64_t ldx, const float *b,
                               const float *bias, float *y, int64_t ldy, int64_t width, int relu) {
    for (int64_t i = 0; i < m; i++) {
        float init[TK_PANEL], out[TK_PANEL];
        for (int64_t c = 0; c < TK_PANEL; c++) init[c] = bias && c < width ? bias[c] : 0.0f;
        __m256 acc[8];
        for (int c = 0; c < 8; c++) acc[c] = _mm256_loadu_ps(init + 8 * c);
        const float *xi = x + i * ldx;
        for (int64_t p = 0; p < k; p++) {
            __m256 a = _mm256_set1_ps(xi[p]);
            for (int c = 0; c < 8; c++) acc[c] = _mm256_fmadd_ps(a, _mm256_loadu_ps(b + p * TK_PANEL + 8 * c), acc[c]);
        }
        for (int c = 0; c < 8; c++) _mm256_storeu_ps(out + 8 * c, acc[c]);
        for (int64_t c = 0; c < width; c++) y[i * ldy + c] = tk_relu_if(out[c], relu);
    }
}
#endif

typedef void (*panel_fn)(int64_t, int64_t, const float *, int64_t, const float *, const float *, float *, int64_t,
                         int64_t, int);

static panel_fn panel_kernel(void) {
    int level = tk_packed_level();
#if defined(TK_X86)
    if (level >= 2) return panel_avx512;
    if (level == 1) return panel_avx2;
#endif
    (void)level;
    return panel_generic;
}

void tk_packed_linear(int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx, const float *panels,
                      const float *bias, float *y, int64_t ldy, int64_t first, int64_t last, int relu) {
    panel_fn kernel = panel_kernel();
    for (int64_t q = first; q < last; q++) {
        int64_t start = q * TK_PANEL;
        int64_t width = n - start < TK_PANEL ? n - start : TK_PANEL;
        kernel(m, k, x, ldx, panels + start * k, bias ? bias + start : 0, y + start, ldy, width, relu);
    }
}
