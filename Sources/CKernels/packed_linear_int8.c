// Linear layers with int8 weights (a quarter of float32's bytes), as CTranslate2 and Marian run them
// on CPUs: weights quantized per output row and activations per row (token) at run time, both
// symmetric (scale = max|v|/127), integer dot products, then one float multiply-add for scale and
// bias. Panels of 64 outputs × groups of four inputs, the order vpdpbusd reads them in.
//   VNNI: vpdpbusd multiplies unsigned by signed bytes, so activations are stored shifted by +128
//         and the packed 128·Σw of each output is subtracted afterwards.
//   AVX-512BW, AVX2: vpmaddubsw of |x| and sign(x)·w (x unshifted on the fly) (at most 2·127·127, so its 16-bit sums never
//         saturate), vpmaddwd by ones to 32 bits.
//   Generic C: the same sums in plain integers.
// Every integer sum is exact, so all levels give the same results.
#include "packed_linear_impl.h"
#include <math.h>
#include <string.h>

static inline int8_t quantize(float v, float inv) {
    float r = rintf(v * inv);
    return (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
}

// max|x| and the row's scales: NaN or ±∞ anywhere makes the scale NaN (and the quantized row zero).
static void row_scales(float amax, int bad, float *scale, float *inv) {
    if (bad || !(amax <= 3.4028235e38f)) { *scale = __builtin_nanf(""); *inv = 0; }
    else if (amax == 0) { *scale = 0; *inv = 0; }
    else { *scale = amax / 127.0f; *inv = 127.0f / amax; }
}

// `flip` is 0 for int8 values or 0x80 for the same values + 128 as unsigned bytes.
static void quantize_rows_generic(const float *x, int64_t ldx, int64_t m, int64_t k, int8_t *q, int64_t ldq, float *scale,
                                  uint8_t flip) {
    for (int64_t i = 0; i < m; i++) {
        const float *xi = x + i * ldx;
        float amax = 0, inv;
        int bad = 0;
        for (int64_t p = 0; p < k; p++) {
            float a = fabsf(xi[p]);
            bad |= a != a;
            amax = a > amax ? a : amax;
        }
        row_scales(amax, bad, &scale[i], &inv);
        for (int64_t p = 0; p < ldq; p++) q[i * ldq + p] = (int8_t)((uint8_t)(p < k && inv != 0 ? quantize(xi[p], inv) : 0) ^ flip);
    }
}

#if defined(TK_X86)
// The same at AVX-512 width: vcvtps2dq rounds to nearest even as rintf does under the default mode.
TK_AVX512 static void quantize_rows_avx512(const float *x, int64_t ldx, int64_t m, int64_t k, int8_t *q, int64_t ldq,
                                           float *scale, uint8_t flip) {
    const __m512 lim = _mm512_set1_ps(127.0f), nlim = _mm512_set1_ps(-127.0f);
    for (int64_t i = 0; i < m; i++) {
        const float *xi = x + i * ldx;
        __m512 amax = _mm512_setzero_ps();
        __mmask16 bad = 0;
        for (int64_t p = 0; p < k; p += 16) {
            __m512 v = _mm512_abs_ps(_mm512_maskz_loadu_ps(tk_lanes16(k - p), xi + p));
            bad |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
            amax = _mm512_max_ps(amax, v);
        }
        float inv;
        row_scales(_mm512_reduce_max_ps(amax), bad != 0, &scale[i], &inv);
        if (inv == 0) {
            memset(q + i * ldq, flip, (size_t)ldq);
            continue;
        }
        __m512 vinv = _mm512_set1_ps(inv);
        for (int64_t p = 0; p < ldq; p += 16) {
            __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(tk_lanes16(k - p), xi + p), vinv);
            v = _mm512_min_ps(_mm512_max_ps(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), nlim), lim);
            __m128i bytes = _mm_xor_si128(_mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v)), _mm_set1_epi8((char)flip));
            _mm_mask_storeu_epi8(q + i * ldq + p, tk_lanes16(ldq - p), bytes);
        }
    }
}
#endif

static void quantize_rows(const float *x, int64_t ldx, int64_t m, int64_t k, int8_t *q, int64_t ldq, float *scale, uint8_t flip) {
#if defined(TK_X86)
    if (tk_packed_level() >= 2) { quantize_rows_avx512(x, ldx, m, k, q, ldq, scale, flip); return; }
#endif
    quantize_rows_generic(x, ldx, m, k, q, ldq, scale, flip);
}

void tk_quantize_rows_int8(const float *x, int64_t ldx, int64_t m, int64_t k, int8_t *q, int64_t ldq, float *scale) {
    quantize_rows(x, ldx, m, k, q, ldq, scale, 0);
}

void tk_quantize_rows_u8(const float *x, int64_t ldx, int64_t m, int64_t k, uint8_t *q, int64_t ldq, float *scale) {
    quantize_rows(x, ldx, m, k, (int8_t *)q, ldq, scale, 0x80);
}

void tk_pack_linear_int8(const int8_t *w, int64_t n, int64_t k, int8_t *panels, int32_t *sums) {
    int64_t k4 = (k + 3) & ~(int64_t)3;
    for (int64_t q = 0; q * TK_PANEL < n; q++) {
        int8_t *dst = panels + q * TK_PANEL * k4;
        for (int64_t c = 0; c < TK_PANEL; c++) {
            int64_t j = q * TK_PANEL + c;
            int32_t sum = 0;
            for (int64_t p = 0; p < k4; p++) {
                int8_t v = j < n && p < k ? w[j * k + p] : 0;
                dst[(p / 4) * 4 * TK_PANEL + 4 * c + (p & 3)] = v;
                sum += v;
            }
            sums[j] = 128 * sum;
        }
    }
}

void tk_packed_rows_int8(const int8_t *panels, const float *wscale, int64_t k, const int32_t *ids, int64_t count,
                         float *out) {
    int64_t k4 = (k + 3) & ~(int64_t)3;
    for (int64_t i = 0; i < count; i++) {
        int64_t j = ids[i];
        const int8_t *b = panels + (j / TK_PANEL) * TK_PANEL * k4 + 4 * (j % TK_PANEL);
        for (int64_t p = 0; p < k; p++) out[i * k + p] = (float)b[(p / 4) * 4 * TK_PANEL + (p & 3)] * wscale[j];
    }
}

/// The kernels' shared arguments: rows of quantized x, one panel, its scales, sums and bias.
struct panel_args {
    int64_t m, k4;
    const uint8_t *x;
    const float *xscale;
    const int8_t *b;
    const float *wscale;
    const int32_t *sums;
    const float *bias;
    float *y;
    int64_t ldy, width;
    int relu;
};

static inline float epilogue(int32_t dot, float xscale, float wscale, const float *bias, int64_t c, int relu) {
    return tk_relu_if(__builtin_fmaf((float)dot, xscale * wscale, bias ? bias[c] : 0.0f), relu);
}

static void panel_generic(const struct panel_args *a) {
    for (int64_t i = 0; i < a->m; i++) {
        const uint8_t *xi = a->x + i * a->k4;
        for (int64_t c = 0; c < a->width; c++) {
            int32_t dot = 0;
            for (int64_t s = 0; s < a->k4 / 4; s++)
                for (int e = 0; e < 4; e++) dot += ((int32_t)xi[4 * s + e] - 128) * a->b[s * 4 * TK_PANEL + 4 * c + e];
            a->y[i * a->ldy + c] = epilogue(dot, a->xscale[i], a->wscale[c], a->bias, c, a->relu);
        }
    }
}

#if defined(TK_X86)
/// Dequantizes `rows` rows of 4 × 16 integer sums (less the +128 correction when `shifted`) into y.
TK_AVX512 TK_INLINE void store_rows512(__m512i acc[6][4], int rows, const struct panel_args *a, int64_t i, int shifted) {
    TK_UNROLL for (int c = 0; c < 4; c++) {
        __mmask16 lanes = tk_lanes16(a->width - 16 * c);
        __m512 ws = _mm512_loadu_ps(a->wscale + 16 * c);
        __m512i sums = shifted ? _mm512_loadu_si512(a->sums + 16 * c) : _mm512_setzero_si512();
        __m512 bias = a->bias ? _mm512_maskz_loadu_ps(lanes, a->bias + 16 * c) : _mm512_setzero_ps();
        TK_UNROLL for (int r = 0; r < rows; r++) {
            __m512 dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][c], sums));
            __m512 y = _mm512_fmadd_ps(dot, _mm512_mul_ps(_mm512_set1_ps(a->xscale[i + r]), ws), bias);
            _mm512_mask_storeu_ps(a->y + (i + r) * a->ldy + 16 * c, lanes, tk_relu512(y, a->relu));
        }
    }
}

TK_AVX512 TK_INLINE void load_acc(__m512i acc[6][4], int rows, const struct tk_chunk *ch) {
    TK_UNROLL for (int r = 0; r < rows; r++)
        TK_UNROLL for (int c = 0; c < 4; c++)
            acc[r][c] = ch->s0 == 0 ? _mm512_setzero_si512() : _mm512_loadu_si512((int32_t *)ch->partial + r * TK_PANEL + 16 * c);
}

TK_AVX512 TK_INLINE void save_acc(__m512i acc[6][4], int rows, const struct panel_args *a, const struct tk_chunk *ch, int shifted) {
    if (ch->s1 == a->k4 / 4) { store_rows512(acc, rows, a, ch->i, shifted); return; }
    TK_UNROLL for (int r = 0; r < rows; r++)
        TK_UNROLL for (int c = 0; c < 4; c++) _mm512_storeu_si512((int32_t *)ch->partial + r * TK_PANEL + 16 * c, acc[r][c]);
}

// Up to 6 rows × 64 outputs in 24 accumulators; one vpdpbusd per row, 16 outputs and input group.
TK_AVX512_VNNI TK_INLINE void block_vnni(int rows, const struct panel_args *a, const struct tk_chunk *ch) {
    __m512i acc[6][4];
    load_acc(acc, rows, ch);
    const uint8_t *x = a->x + ch->i * a->k4;
    for (int64_t s = ch->s0; s < ch->s1; s++) {
        const int8_t *bs = a->b + s * 4 * TK_PANEL;
        if (ch->prefetch)
            TK_UNROLL for (int l = 0; l < 4; l++) _mm_prefetch((const char *)(bs + TK_PREFETCH_BYTES + 64 * l), _MM_HINT_T0);
        __m512i b0 = _mm512_loadu_si512(bs), b1 = _mm512_loadu_si512(bs + 64);
        __m512i b2 = _mm512_loadu_si512(bs + 128), b3 = _mm512_loadu_si512(bs + 192);
        TK_UNROLL for (int r = 0; r < rows; r++) {
            __m512i u = _mm512_broadcastd_epi32(_mm_loadu_si32(x + r * a->k4 + 4 * s));
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], u, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], u, b1);
            acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], u, b2);
            acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], u, b3);
        }
    }
    save_acc(acc, rows, a, ch, 1);
}

// AVX-512BW: |x|·(sign(x)·w) by vpmaddubsw, then vpmaddwd by ones.
TK_AVX512 TK_INLINE void block_bw(int rows, const struct panel_args *a, const struct tk_chunk *ch) {
    __m512i acc[6][4];
    load_acc(acc, rows, ch);
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512(), flip = _mm512_set1_epi8((char)0x80);
    const uint8_t *x = a->x + ch->i * a->k4;
    for (int64_t s = ch->s0; s < ch->s1; s++) {
        const int8_t *bs = a->b + s * 4 * TK_PANEL;
        if (ch->prefetch)
            TK_UNROLL for (int l = 0; l < 4; l++) _mm_prefetch((const char *)(bs + TK_PREFETCH_BYTES + 64 * l), _MM_HINT_T0);
        __m512i b[4] = {_mm512_loadu_si512(bs), _mm512_loadu_si512(bs + 64), _mm512_loadu_si512(bs + 128),
                        _mm512_loadu_si512(bs + 192)};
        TK_UNROLL for (int r = 0; r < rows; r++) {
            __m512i v = _mm512_xor_si512(_mm512_broadcastd_epi32(_mm_loadu_si32(x + r * a->k4 + 4 * s)), flip);
            __m512i magnitude = _mm512_abs_epi8(v);
            __mmask64 negative = _mm512_movepi8_mask(v);
            TK_UNROLL for (int c = 0; c < 4; c++) {
                __m512i signed_w = _mm512_mask_sub_epi8(b[c], negative, zero, b[c]);
                __m512i pairs = _mm512_maddubs_epi16(magnitude, signed_w);
                acc[r][c] = _mm512_add_epi32(acc[r][c], _mm512_madd_epi16(pairs, ones));
            }
        }
    }
    save_acc(acc, rows, a, ch, 0);
}

TK_AVX512_VNNI static void rows_vnni(int rows, const void *a, const struct tk_chunk *ch) {
    TK_ROWS_SWITCH(block_vnni, rows, (const struct panel_args *)a, ch)
}

TK_AVX512 static void rows_bw(int rows, const void *a, const struct tk_chunk *ch) {
    TK_ROWS_SWITCH(block_bw, rows, (const struct panel_args *)a, ch)
}

static void panel_vnni(const struct panel_args *a) { tk_run_chunked(a->m, a->k4 / 4, rows_vnni, a); }

static void panel_bw(const struct panel_args *a) { tk_run_chunked(a->m, a->k4 / 4, rows_bw, a); }

// AVX2: one row × 64 outputs in 8 accumulators; vpsignb gives sign(x)·w in one instruction.
TK_AVX2 static void panel_avx2(const struct panel_args *a) {
    const __m256i ones = _mm256_set1_epi16(1), flip = _mm256_set1_epi8((char)0x80);
    for (int64_t i = 0; i < a->m; i++) {
        __m256i acc[8];
        for (int c = 0; c < 8; c++) acc[c] = _mm256_setzero_si256();
        const uint8_t *xi = a->x + i * a->k4;
        for (int64_t s = 0; s < a->k4 / 4; s++) {
            __m256i v = _mm256_xor_si256(_mm256_set1_epi32(*(const int32_t *)(const void *)(xi + 4 * s)), flip);
            __m256i magnitude = _mm256_abs_epi8(v);
            const int8_t *bs = a->b + s * 4 * TK_PANEL;
            for (int c = 0; c < 8; c++) {
                __m256i w = _mm256_loadu_si256((const __m256i *)(bs + 32 * c));
                __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w, v));
                acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(pairs, ones));
            }
        }
        int32_t dots[TK_PANEL];
        for (int c = 0; c < 8; c++) _mm256_storeu_si256((__m256i *)(dots + 8 * c), acc[c]);
        for (int64_t c = 0; c < a->width; c++)
            a->y[i * a->ldy + c] = epilogue(dots[c], a->xscale[i], a->wscale[c], a->bias, c, a->relu);
    }
}
#endif

typedef void (*panel_fn)(const struct panel_args *);

static panel_fn panel_kernel(void) {
    int level = tk_packed_level();
#if defined(TK_X86)
    if (level >= 3 && tk_cpu_has_avx512_vnni()) return panel_vnni;
    if (level >= 2) return panel_bw;
    if (level == 1) return panel_avx2;
#endif
    (void)level;
    return panel_generic;
}

void tk_packed_linear_int8(int64_t m, int64_t n, int64_t k, const uint8_t *xq, const float *xscale,
                           const int8_t *panels, const float *wscale, const int32_t *sums, const float *bias,
                           float *y, int64_t ldy, int64_t first, int64_t last, int relu) {
    panel_fn kernel = panel_kernel();
    int64_t k4 = (k + 3) & ~(int64_t)3;
    for (int64_t q = first; q < last; q++) {
        int64_t start = q * TK_PANEL;
        struct panel_args a = {m, k4, xq, xscale, panels + start * k4, wscale + start, sums + start,
                               bias ? bias + start : 0, y + start, ldy, n - start < TK_PANEL ? n - start : TK_PANEL, relu};
        kernel(&a);
    }
}
