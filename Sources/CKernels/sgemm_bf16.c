// Mixed-precision GEMM for training: float32 operands rounded to bfloat16 as they are packed, their
// products summed in float32 a pair of k steps at a time in vdpbf16ps's order (step 2s+1, then
// 2s, each addition rounded). With AVX512_BF16 the packs hold the pairs as bfloat16 and vdpbf16ps
// multiplies them; every other level packs the rounded values as float32 with each pair's two steps
// swapped and runs the float32 SGEMM kernels, whose FMAs add the same exact products (a product of
// two bfloat16 fits a float32) in the same order: the same numbers on every level. By default the
// faster of the two runs where both exist (tk_sgemm_bf16_best_level).
#include <string.h>
#include <time.h>
#include "sgemm_impl.h"
#include "bf16.h"

static inline float rounded(float x) { return tk_bf16_widen(tk_bf16_from_float(x)); }

static inline int64_t even(int64_t kc) { return (kc + 1) & ~(int64_t)1; }

// Float packs: step t of a panel holds source step t^1 (zero past kc), panels even(kc) steps long.
static void pack_copy_swapped_generic(TK_PACK_ARGS) {
    int64_t kp = even(kc);
    for (int64_t q = 0; q * width < count; q++) {
        int64_t n = count - q * width < width ? count - q * width : width;
        for (int64_t t = 0; t < kp; t++) {
            float *d = dst + (q * kp + t) * width;
            int64_t p = t ^ 1;
            for (int64_t c = 0; c < width; c++) d[c] = p < kc && c < n ? rounded(src[p * ld + q * width + c]) : 0.0f;
        }
    }
}

static void pack_transpose_swapped_generic(TK_PACK_ARGS) {
    int64_t kp = even(kc);
    for (int64_t t = 0; t < kp; t++)
        for (int64_t i = 0; i < width; i++) {
            int64_t p = t ^ 1;
            dst[t * width + i] = i < count && p < kc ? rounded(src[i * ld + p]) : 0.0f;
        }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "transpose16.h"

#define TK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define TK_TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx512bf16")))

TK_TARGET static inline __mmask16 lanes(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

// tk_bf16_from_float on 16 lanes: the bfloat16 in each lane's low 16 bits.
TK_TARGET static inline __m512i round16(__m512 x) {
    __m512i b = _mm512_castps_si512(x), top = _mm512_srli_epi32(b, 16);
    __m512i r = _mm512_srli_epi32(
        _mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), _mm512_and_si512(top, _mm512_set1_epi32(1)))), 16);
    __mmask16 tiny = _mm512_testn_epi32_mask(b, _mm512_set1_epi32(0x7F800000));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    r = _mm512_mask_mov_epi32(r, tiny, _mm512_and_si512(top, _mm512_set1_epi32(0x8000)));
    return _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(top, _mm512_set1_epi32(0x0040)));
}

// The rounded values as float32.
TK_TARGET static inline __m512 widen16(__m512i r) { return _mm512_castsi512_ps(_mm512_slli_epi32(r, 16)); }

// Pairs: lane c = lo[c] | hi[c] << 16.
TK_TARGET static inline __m512i pair16(__m512i lo, __m512i hi) { return _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)); }

// Copy packs read steps 2s and 2s+1 (whole source rows) and write both steps of a pair: swapped
// float32 steps (pairs == 0) or one step of bfloat16 pairs (pairs == 1). Either way panel q starts
// at dst + q·even(kc)·width, where the float packs put it (pairs fill the first half). Four pairs
// at a time go to each panel in turn, the next four prefetched, as tk_pack_copy_avx512 does.
#define PACK_PAIRS 4
TK_TARGET static inline __attribute__((always_inline)) void pack_copy_avx512(TK_PACK_ARGS, int pairs) {
    int64_t kp = even(kc);
    for (int64_t s0 = 0; s0 < kp / 2; s0 += PACK_PAIRS) {
        int64_t s1 = s0 + PACK_PAIRS < kp / 2 ? s0 + PACK_PAIRS : kp / 2;
        for (int64_t p = 2 * s1; p < 2 * s1 + 2 * PACK_PAIRS && p < kc; p++)
            for (int64_t j = 0; j < count; j += 16) _mm_prefetch((const char *)(src + p * ld + j), _MM_HINT_T0);
        for (int64_t q = 0; q * width < count; q++) {
            float *d = dst + q * kp * width;
            int64_t left = count - q * width;
            for (int64_t h = 0; h < width; h += 16) {
                __mmask16 in = lanes(left - h) & lanes(width - h), out = lanes(width - h);
                for (int64_t s = s0; s < s1; s++) {
                    const float *r0 = src + 2 * s * ld + q * width + h;
                    __m512i lo = round16(_mm512_maskz_loadu_ps(in, r0));
                    __m512i hi = 2 * s + 1 < kc ? round16(_mm512_maskz_loadu_ps(in, r0 + ld)) : _mm512_setzero_si512();
                    if (pairs) {
                        _mm512_mask_storeu_epi32(d + s * width + h, out, pair16(lo, hi));
                    } else {
                        _mm512_mask_storeu_ps(d + 2 * s * width + h, out, widen16(hi));
                        _mm512_mask_storeu_ps(d + (2 * s + 1) * width + h, out, widen16(lo));
                    }
                }
            }
        }
    }
}

// Transpose packs take 16 vectors × 32 steps at a time: each vector's 32 steps rounded, made into
// 16 pairs or 2×16 swapped floats, transposed in registers and stored a step (of ≤ 16 lanes) at a
// time.
TK_TARGET static inline __attribute__((always_inline)) void pack_transpose_avx512(TK_PACK_ARGS, int pairs) {
    int64_t kp = even(kc);
    for (int64_t i0 = 0; i0 < width; i0 += 16) {
        __mmask16 out = lanes(width - i0);
        int64_t rows = count - i0 < 16 ? count - i0 : 16;
        for (int64_t p0 = 0; p0 < kp; p0 += 32) {
            tk_v16 r0[16], r1[16];
            __mmask16 in0 = lanes(kc - p0), in1 = lanes(kc - p0 - 16);
            for (int i = 0; i < 16; i++) {
                __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
                if (i < rows) {
                    const float *s = src + (i0 + i) * ld + p0;
                    _mm_prefetch((const char *)(s + 64), _MM_HINT_T0);
                    a = round16(_mm512_maskz_loadu_ps(in0, s));
                    b = round16(_mm512_maskz_loadu_ps(in1, s + 16));
                }
                if (pairs) {
                    // Steps 2j and 2j+1 sit in lanes 2j and 2j+1 of a|b: narrowed to 16 bits they
                    // make word pairs.
                    __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(a)), _mm512_cvtepi32_epi16(b), 1);
                    r0[i] = (tk_v16)_mm512_castsi512_ps(w);
                } else {
                    r0[i] = (tk_v16)_mm512_permute_ps(widen16(a), 0xB1);
                    r1[i] = (tk_v16)_mm512_permute_ps(widen16(b), 0xB1);
                }
            }
            float *d = dst + i0;
            if (pairs) {
                tk_transpose16(r0);
                int64_t steps = (kp - p0) / 2 < 16 ? (kp - p0) / 2 : 16;
                for (int64_t t = 0; t < steps; t++) _mm512_mask_storeu_ps(d + (p0 / 2 + t) * width, out, (__m512)r0[t]);
            } else {
                tk_transpose16(r0);
                tk_transpose16(r1);
                int64_t steps = kp - p0 < 32 ? kp - p0 : 32;
                for (int64_t t = 0; t < steps; t++)
                    _mm512_mask_storeu_ps(d + (p0 + t) * width, out, (__m512)(t < 16 ? r0[t] : r1[t - 16]));
            }
        }
    }
}

TK_TARGET static void pack_copy_swapped_avx512(TK_PACK_ARGS) { pack_copy_avx512(src, ld, count, kc, width, dst, 0); }
TK_TARGET static void pack_transpose_swapped_avx512(TK_PACK_ARGS) { pack_transpose_avx512(src, ld, count, kc, width, dst, 0); }
TK_TARGET static void pack_copy_pairs_avx512(TK_PACK_ARGS) { pack_copy_avx512(src, ld, count, kc, width, dst, 1); }
TK_TARGET static void pack_transpose_pairs_avx512(TK_PACK_ARGS) { pack_transpose_avx512(src, ld, count, kc, width, dst, 1); }

#define MR TK_AVX512_MR

// alpha·acc + bias + beta·C into C under mask; C is not read when beta == 0.
TK_TARGET static inline void store_tile(float *c, __m512 acc, __m512 bias, __mmask16 m, __m512 va, __m512 vb, int read) {
    __m512 r = _mm512_fmadd_ps(acc, va, bias);
    if (read) r = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, c), vb, r);
    _mm512_mask_storeu_ps(c, m, r);
}

// 14×32 tile over kc/2 steps of bfloat16 pairs (A: 14 pair words a step, B: 32); kc is even.
TK_TARGET_BF16 static void sgemm_bf16_pairs(TK_SGEMM_ARGS) {
    (void)stream;
    __m512 acc0[MR], acc1[MR];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
    const uint32_t *ap = (const uint32_t *)(const void *)a, *bp = (const uint32_t *)(const void *)b;
    for (int64_t s = 0; s < kc / 2; s++) {
        // Two lines of the next A strip's source a step, as the float32 kernel fetches one.
        for (int64_t e = 2 * s; e < 2 * s + 2; e++)
            if ((e & 15) < pf_rows) _mm_prefetch((const char *)(pf + (e & 15) * pf_ld + (e & ~(int64_t)15)), _MM_HINT_T0);
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(bp), b1 = (__m512bh)_mm512_loadu_si512(bp + 16);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_broadcastd_epi32(_mm_loadu_si32(ap + i));
            acc0[i] = _mm512_dpbf16_ps(acc0[i], ai, b0);
            acc1[i] = _mm512_dpbf16_ps(acc1[i], ai, b1);
        }
        ap += MR;
        bp += 32;
    }
    int read = beta != 0.0f;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __mmask16 m0 = lanes(nr), m1 = lanes(nr - 16);
    __m512 none = _mm512_set1_ps(-0.0f);
    __m512 bias0 = bias ? _mm512_mask_loadu_ps(none, m0, bias) : none;
    __m512 bias1 = bias ? _mm512_mask_loadu_ps(none, m1, bias + 16) : none;
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        if (i < mr) {
            store_tile(c + i * ldc, acc0[i], bias0, m0, va, vb, read);
            store_tile(c + i * ldc + 16, acc1[i], bias1, m1, va, vb, read);
        }
    }
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define CHAINS 24
#define ROUNDS 2000

// Register-only loops of CHAINS independent accumulators: ROUNDS·CHAINS vdpbf16ps (32 multiply-adds
// each) or FMAs (16 each). The asm keeps the compiler from folding the loop.
TK_TARGET_BF16 static float dot_loop(void) {
    __m512 acc[CHAINS];
    __m512bh x = (__m512bh)_mm512_set1_epi32(0x3F803F80);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_setzero_ps();
    for (int r = 0; r < ROUNDS; r++) {
        __asm__ volatile("" : "+v"(x));
#pragma clang loop unroll(full)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, x);
    }
    for (int i = 1; i < CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    return _mm512_reduce_add_ps(acc[0]);
}

TK_TARGET static float fma_loop(void) {
    __m512 acc[CHAINS], x = _mm512_set1_ps(1.0f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_setzero_ps();
    for (int r = 0; r < ROUNDS; r++) {
        __asm__ volatile("" : "+v"(x));
#pragma clang loop unroll(full)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(x, x, acc[i]);
    }
    for (int i = 1; i < CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    return _mm512_reduce_add_ps(acc[0]);
}

// Whether vdpbf16ps does more multiply-adds per second than float32 FMAs on this CPU. It varies:
// about twice as many on AMD Zen 5 (DESIGN.md), half as many on the Intel Xeon (family 6, model
// 207) measured on 2026-12-03 (a vdpbf16ps took four FMAs' time). Timed once, best of 7 runs of
// ~50k instructions each (a few hundred µs). Every level gives the same results, so this choice
// sets only the speed.
static int dot_pays(void) {
    double dot = 1e30, fma = 1e30;
    volatile float sink = 0;
    for (int run = 0; run < 7; run++) {
        double t0 = seconds();
        sink += dot_loop();
        double t1 = seconds();
        sink += fma_loop();
        double t2 = seconds();
        if (t1 - t0 < dot) dot = t1 - t0;
        if (t2 - t1 < fma) fma = t2 - t1;
    }
    (void)sink;
    return dot < 2 * fma;
}
#endif

int tk_sgemm_bf16_best_level(void) {
    static int best = -1;
    int level = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (level >= 0) return level;
    level = tk_simd_level();
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2 && tk_cpu_has_avx512_bf16() && dot_pays()) level = 3;
#endif
    __atomic_store_n(&best, level, __ATOMIC_RELAXED);
    return level;
}

tk_sgemm_kernels tk_sgemm_bf16_kernels_for_level(int level) {
    int supported = tk_simd_level();
#if defined(__x86_64__) || defined(__i386__)
    if (supported >= 2 && tk_cpu_has_avx512_bf16()) supported = 3;
    if (level > supported) level = supported;
    if (level >= 3) return (tk_sgemm_kernels){sgemm_bf16_pairs, 0, 0, pack_copy_pairs_avx512, pack_transpose_pairs_avx512,
                                              TK_AVX512_MR, TK_AVX512_NR, 3, 1};
    if (level == 2) return (tk_sgemm_kernels){tk_sgemm_avx512, 0, 0, pack_copy_swapped_avx512, pack_transpose_swapped_avx512,
                                              TK_AVX512_MR, TK_AVX512_NR, 2, 1};
    if (level == 1) return (tk_sgemm_kernels){tk_sgemm_avx2, 0, 0, pack_copy_swapped_generic, pack_transpose_swapped_generic,
                                              TK_AVX2_MR, TK_AVX2_NR, 1, 1};
#else
    (void)level, (void)supported;
#endif
    return (tk_sgemm_kernels){tk_sgemm_generic, 0, 0, pack_copy_swapped_generic, pack_transpose_swapped_generic,
                              TK_GENERIC_MR, TK_GENERIC_NR, 0, 1};
}
