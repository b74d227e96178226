// Linear layers with bfloat16 weights (half the bytes of float32, so twice the rate where decoding
// is bound by memory): panels of 64 outputs × pairs of inputs, the order vdpbf16ps reads them in.
// AVX512_BF16 multiplies pairs directly; AVX-512, AVX2 and portable C widen both sides to float32
// and add the two products in the instruction's order (odd, then even), so every level gives the
// same results.
#include "packed_linear_impl.h"
#include "bf16.h"
#include <string.h>

uint16_t tk_bf16_from_float(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    if ((b & 0x7F800000u) == 0) return (uint16_t)((b >> 16) & 0x8000u);        // ±0 and subnormals
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((b >> 16) | 0x0040u);  // NaN stays quiet NaN
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

void tk_round_rows_bf16(const float *x, int64_t ldx, int64_t m, int64_t k, uint16_t *xb) {
    int64_t k2 = (k + 1) & ~(int64_t)1;
    for (int64_t i = 0; i < m; i++) {
        for (int64_t p = 0; p < k; p++) xb[i * k2 + p] = tk_bf16_from_float(x[i * ldx + p]);
        if (k2 > k) xb[i * k2 + k] = 0;
    }
}

void tk_pack_linear_bf16(const uint16_t *w, int64_t n, int64_t k, uint16_t *panels) {
    int64_t k2 = (k + 1) & ~(int64_t)1;
    for (int64_t q = 0; q * TK_PANEL < n; q++) {
        uint16_t *dst = panels + q * TK_PANEL * k2;
        for (int64_t s = 0; s < k2 / 2; s++)
            for (int64_t c = 0; c < TK_PANEL; c++)
                for (int64_t e = 0; e < 2; e++) {
                    int64_t j = q * TK_PANEL + c, p = 2 * s + e;
                    uint16_t v = j < n && p < k ? w[j * k + p] : 0;
                    // Subnormals as zero, as the instruction reads them.
                    dst[s * 2 * TK_PANEL + 2 * c + e] = (v & 0x7F80u) == 0 ? (uint16_t)(v & 0x8000u) : v;
                }
    }
}

void tk_packed_rows_bf16(const uint16_t *panels, int64_t k, const int32_t *ids, int64_t count, float *out) {
    int64_t k2 = (k + 1) & ~(int64_t)1;
    for (int64_t i = 0; i < count; i++) {
        int64_t j = ids[i];
        const uint16_t *b = panels + (j / TK_PANEL) * TK_PANEL * k2 + 2 * (j % TK_PANEL);
        for (int64_t p = 0; p < k; p++) out[i * k + p] = tk_bf16_widen(b[(p / 2) * 2 * TK_PANEL + (p & 1)]);
    }
}

// One panel for rows [0, m): portable C, one row at a time.
static void panel_generic(int64_t m, int64_t k2, const uint16_t *x, const uint16_t *b, const float *bias, float *y,
                          int64_t ldy, int64_t width, int relu) {
    for (int64_t i = 0; i < m; i++) {
        float acc[TK_PANEL];
        for (int64_t c = 0; c < TK_PANEL; c++) acc[c] = bias && c < width ? bias[c] : 0.0f;
        const uint16_t *xi = x + i * k2;
        for (int64_t s = 0; s < k2 / 2; s++) {
            float x0 = tk_bf16_widen(xi[2 * s]), x1 = tk_bf16_widen(xi[2 * s + 1]);
            const uint16_t *bs = b + s * 2 * TK_PANEL;
            for (int64_t c = 0; c < TK_PANEL; c++)
                acc[c] = __builtin_fmaf(x0, tk_bf16_widen(bs[2 * c]), __builtin_fmaf(x1, tk_bf16_widen(bs[2 * c + 1]), acc[c]));
        }
        for (int64_t c = 0; c < width; c++) y[i * ldy + c] = tk_relu_if(acc[c], relu);
    }
}

#if defined(TK_X86)
static inline uint32_t pair_at(const uint16_t *x) {
    uint32_t v;
    memcpy(&v, x, 4);
    return v;
}

/// The kernels' shared arguments: rows of rounded x, one panel and its bias.
struct panel_args {
    int64_t m, k2;
    const uint16_t *x, *b;
    const float *bias;
    float *y;
    int64_t ldy, width;
    int relu;
};

TK_AVX512 TK_INLINE void load_acc(__m512 acc[6][4], int rows, const struct panel_args *a, const struct tk_chunk *ch) {
    TK_UNROLL for (int c = 0; c < 4; c++) {
        __m512 init = a->bias ? _mm512_maskz_loadu_ps(tk_lanes16(a->width - 16 * c), a->bias + 16 * c) : _mm512_setzero_ps();
        TK_UNROLL for (int r = 0; r < rows; r++)
            acc[r][c] = ch->s0 == 0 ? init : _mm512_loadu_ps((float *)ch->partial + r * TK_PANEL + 16 * c);
    }
}

TK_AVX512 TK_INLINE void save_acc(__m512 acc[6][4], int rows, const struct panel_args *a, const struct tk_chunk *ch) {
    int done = ch->s1 == a->k2 / 2;
    TK_UNROLL for (int r = 0; r < rows; r++)
        TK_UNROLL for (int c = 0; c < 4; c++) {
            if (done)
                _mm512_mask_storeu_ps(a->y + (ch->i + r) * a->ldy + 16 * c, tk_lanes16(a->width - 16 * c),
                                      tk_relu512(acc[r][c], a->relu));
            else
                _mm512_storeu_ps((float *)ch->partial + r * TK_PANEL + 16 * c, acc[r][c]);
        }
}

// Up to 6 rows × 64 outputs in 24 accumulators; one vdpbf16ps per row, 16 outputs and input pair.
TK_AVX512_BF16 TK_INLINE void block_bf16(int rows, const struct panel_args *a, const struct tk_chunk *ch) {
    __m512 acc[6][4];
    load_acc(acc, rows, a, ch);
    const uint16_t *x = a->x + ch->i * a->k2;
    for (int64_t s = ch->s0; s < ch->s1; s++) {
        const uint16_t *bs = a->b + s * 2 * TK_PANEL;
        if (ch->prefetch)
            TK_UNROLL for (int l = 0; l < 4; l++) _mm_prefetch((const char *)bs + TK_PREFETCH_BYTES + 64 * l, _MM_HINT_T0);
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(bs), b1 = (__m512bh)_mm512_loadu_si512(bs + 32);
        __m512bh b2 = (__m512bh)_mm512_loadu_si512(bs + 64), b3 = (__m512bh)_mm512_loadu_si512(bs + 96);
        TK_UNROLL for (int r = 0; r < rows; r++) {
            __m512bh v = (__m512bh)_mm512_broadcastd_epi32(_mm_loadu_si32(x + r * a->k2 + 2 * s));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], v, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], v, b1);
            acc[r][2] = _mm512_dpbf16_ps(acc[r][2], v, b2);
            acc[r][3] = _mm512_dpbf16_ps(acc[r][3], v, b3);
        }
    }
    save_acc(acc, rows, a, ch);
}

// The same on AVX-512 without BF16: each pair vector splits into its odd and even halves as
// float32 (a bfloat16 is the top half of a float32), two FMAs in vdpbf16ps's order.
TK_AVX512 TK_INLINE void block_widen512(int rows, const struct panel_args *a, const struct tk_chunk *ch) {
    __m512 acc[6][4];
    load_acc(acc, rows, a, ch);
    const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
    const uint16_t *x = a->x + ch->i * a->k2;
    for (int64_t s = ch->s0; s < ch->s1; s++) {
        const uint16_t *bs = a->b + s * 2 * TK_PANEL;
        if (ch->prefetch)
            TK_UNROLL for (int l = 0; l < 4; l++) _mm_prefetch((const char *)bs + TK_PREFETCH_BYTES + 64 * l, _MM_HINT_T0);
        TK_UNROLL for (int c = 0; c < 4; c++) {
            __m512i w = _mm512_loadu_si512(bs + 32 * c);
            __m512 odd = _mm512_castsi512_ps(_mm512_and_si512(w, high));
            __m512 even = _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
            TK_UNROLL for (int r = 0; r < rows; r++) {
                __m512i v = _mm512_broadcastd_epi32(_mm_loadu_si32(x + r * a->k2 + 2 * s));
                acc[r][c] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v, high)), odd, acc[r][c]);
                acc[r][c] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v, 16)), even, acc[r][c]);
            }
        }
    }
    save_acc(acc, rows, a, ch);
}

TK_AVX512_BF16 static void rows_bf16(int rows, const void *a, const struct tk_chunk *ch) {
    TK_ROWS_SWITCH(block_bf16, rows, (const struct panel_args *)a, ch)
}

TK_AVX512 static void rows_widen512(int rows, const void *a, const struct tk_chunk *ch) {
    TK_ROWS_SWITCH(block_widen512, rows, (const struct panel_args *)a, ch)
}

static void panel_bf16(int64_t m, int64_t k2, const uint16_t *x, const uint16_t *b, const float *bias, float *y,
                       int64_t ldy, int64_t width, int relu) {
    struct panel_args a = {m, k2, x, b, bias, y, ldy, width, relu};
    tk_run_chunked(m, k2 / 2, rows_bf16, &a);
}

static void panel_widen512(int64_t m, int64_t k2, const uint16_t *x, const uint16_t *b, const float *bias, float *y,
                           int64_t ldy, int64_t width, int relu) {
    struct panel_args a = {m, k2, x, b, bias, y, ldy, width, relu};
    tk_run_chunked(m, k2 / 2, rows_widen512, &a);
}

// AVX2: one row × 64 outputs in 8 accumulators, widened as above.
TK_AVX2 static void panel_widen256(int64_t m, int64_t k2, const uint16_t *x, const uint16_t *b, const float *bias,
                                   float *y, int64_t ldy, int64_t width, int relu) {
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    for (int64_t i = 0; i < m; i++) {
        float init[TK_PANEL], out[TK_PANEL];
        for (int64_t c = 0; c < TK_PANEL; c++) init[c] = bias && c < width ? bias[c] : 0.0f;
        __m256 acc[8];
        for (int c = 0; c < 8; c++) acc[c] = _mm256_loadu_ps(init + 8 * c);
        const uint16_t *xi = x + i * k2;
        for (int64_t s = 0; s < k2 / 2; s++) {
            __m256i a = _mm256_set1_epi32((int)pair_at(xi + 2 * s));
            __m256 ao = _mm256_castsi256_ps(_mm256_and_si256(a, high));
            __m256 ae = _mm256_castsi256_ps(_mm256_slli_epi32(a, 16));
            const uint16_t *bs = b + s * 2 * TK_PANEL;
            for (int c = 0; c < 8; c++) {
                __m256i v = _mm256_loadu_si256((const __m256i *)(bs + 16 * c));
                acc[c] = _mm256_fmadd_ps(ao, _mm256_castsi256_ps(_mm256_and_si256(v, high)), acc[c]);
                acc[c] = _mm256_fmadd_ps(ae, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), acc[c]);
            }
        }
        for (int c = 0; c < 8; c++) _mm256_storeu_ps(out + 8 * c, acc[c]);
        for (int64_t c = 0; c < width; c++) y[i * ldy + c] = tk_relu_if(out[c], relu);
    }
}
#endif

typedef void (*panel_fn)(int64_t, int64_t, const uint16_t *, const uint16_t *, const float *, float *, int64_t,
                         int64_t, int);

static panel_fn panel_kernel(void) {
    int level = tk_packed_level();
#if defined(TK_X86)
    if (level >= 3 && tk_cpu_has_avx512_bf16()) return panel_bf16;
    if (level >= 2) return panel_widen512;
    if (level == 1) return panel_widen256;
#endif
    (void)level;
    return panel_generic;
}

void tk_packed_linear_bf16(int64_t m, int64_t n, int64_t k, const uint16_t *xb, const uint16_t *panels,
                           const float *bias, float *y, int64_t ldy, int64_t first, int64_t last, int relu) {
    panel_fn kernel = panel_kernel();
    int64_t k2 = (k + 1) & ~(int64_t)1;
    for (int64_t q = first; q < last; q++) {
        int64_t start = q * TK_PANEL;
        int64_t width = n - start < TK_PANEL ? n - start : TK_PANEL;
        kernel(m, k2, xb, panels + start * k2, bias ? bias + start : 0, y + start, ldy, width, relu);
    }
}
