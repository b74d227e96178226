// AVX-512 SGEMM micro-kernel (14×32 register tile) and GEMV kernels.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "sgemm_impl.h"
#include "transpose16.h"

#define TK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define MR TK_AVX512_MR
#define C_FETCH_STEPS 64

// Lanes 0..<n of a 16-lane vector (n clamped to 0...16).
TK_TARGET static inline __mmask16 lanes(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

// alpha·acc + bias + beta·C into C under mask; C is not read when beta == 0.
TK_TARGET static inline void store_tile(float *c, __m512 acc, __m512 bias, __mmask16 m, __m512 va, __m512 vb, int read) {
    __m512 r = _mm512_fmadd_ps(acc, va, bias);
    if (read) r = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, c), vb, r);
    _mm512_mask_storeu_ps(c, m, r);
}

TK_TARGET void tk_sgemm_avx512(TK_SGEMM_ARGS) {
    __m512 acc0[MR], acc1[MR];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
    int read = beta != 0.0f;
    // Non-temporal stores need whole 64-byte lines: a full tile on line-aligned rows.
    int whole = stream && mr == MR && nr == 32 && (((uintptr_t)c | (uintptr_t)(ldc * 4)) & 63) == 0;
    // C's tile is fetched near the end: fetched at the start, it was evicted again by the A and B
    // streams before the stores (a row-block-major walk ran ~10 % slower that way). Streamed
    // stores that do not read C need no fetch.
    int64_t c_fetch = whole && !read ? -1 : kc > C_FETCH_STEPS ? kc - C_FETCH_STEPS : 0;
    // Step p fetches line p/16 of source row p%16: every line of the next strip, one per step.
    // Into L1: fetched into L2 only (T1), packing still waited on it (4096×512×2048, one
    // thread: T0 ~1.5–4 % faster than T1, alternated in one process; two threads: even).
#define STEP()                                                                                                \
    do {                                                                                                      \
        if ((p & 15) < pf_rows) _mm_prefetch((const char *)(pf + (p & 15) * pf_ld + (p & ~(int64_t)15)), _MM_HINT_T0); \
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);                                        \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < MR; i++) {                                     \
            __m512 ai = _mm512_set1_ps(a[i]);                                                                 \
            acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);                                                       \
            acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);                                                       \
        }                                                                                                     \
        a += MR;                                                                                              \
        b += 32;                                                                                              \
    } while (0)
    // Two loops around the C fetch, so the loop itself keeps nothing but its operands in registers
    // (with C's pointers live in it too, the compiler kept kc on the stack).
    int64_t p = 0;
    for (; p < (c_fetch < 0 ? kc : c_fetch); p++) STEP();
    if (c_fetch >= 0)
        for (int64_t i = 0; i < mr; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_ET0),
                                        _mm_prefetch((const char *)(c + i * ldc + 31), _MM_HINT_ET0);
    for (; p < kc; p++) STEP();
#undef STEP
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __mmask16 m0 = lanes(nr), m1 = lanes(nr - 16);
    // alpha·acc + bias in one FMA. Without a bias it adds −0, which changes no value (not even
    // the sign of a zero), so that is exactly alpha·acc.
    __m512 none = _mm512_set1_ps(-0.0f);
    __m512 bias0 = bias ? _mm512_mask_loadu_ps(none, m0, bias) : none;
    __m512 bias1 = bias ? _mm512_mask_loadu_ps(none, m1, bias + 16) : none;
    if (whole) {
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512 r0 = _mm512_fmadd_ps(acc0[i], va, bias0), r1 = _mm512_fmadd_ps(acc1[i], va, bias1);
            if (read) {
                r0 = _mm512_fmadd_ps(_mm512_load_ps(c + i * ldc), vb, r0);
                r1 = _mm512_fmadd_ps(_mm512_load_ps(c + i * ldc + 16), vb, r1);
            }
            _mm512_stream_ps(c + i * ldc, r0);
            _mm512_stream_ps(c + i * ldc + 16, r1);
        }
        // Weakly ordered stores: make them visible before whoever waits on this thread reads C.
        _mm_sfence();
        return;
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        if (i < mr) {
            store_tile(c + i * ldc, acc0[i], bias0, m0, va, vb, read);
            store_tile(c + i * ldc + 16, acc1[i], bias1, m1, va, vb, read);
        }
    }
}

// alpha·acc + beta·y for lanes 0..<n of y.
TK_TARGET static inline void store_y(float *y, __m512 acc, int64_t n, float alpha, float beta) {
    __mmask16 m = lanes(n);
    __m512 r = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
    if (beta != 0.0f) r = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, y), _mm512_set1_ps(beta), r);
    _mm512_mask_storeu_ps(y, m, r);
}

TK_TARGET void tk_sgemv_rows_avx512(TK_SGEMV_ARGS) {
    // 256 outputs stay in registers while the k rows stream past, 1 KB of each row at a time.
    for (int64_t j = 0; j < n; j += 256) {
        int64_t w = n - j;
        __m512 acc[16];
        __mmask16 mk[16];
#pragma clang loop unroll(full)
        for (int v = 0; v < 16; v++) {
            acc[v] = _mm512_setzero_ps();
            mk[v] = lanes(w - 16 * v);
        }
        const float *row = m + j;
        for (int64_t p = 0; p < k; p++, row += ldm) {
            __m512 xp = _mm512_set1_ps(x[p]);
#pragma clang loop unroll(full)
            for (int v = 0; v < 16; v++)
                acc[v] = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(mk[v], row + 16 * v), acc[v]);
        }
#pragma clang loop unroll(full)
        for (int v = 0; v < 16; v++) store_y(y + j + 16 * v, acc[v], w - 16 * v, alpha, beta);
    }
}

// Four dot products at a time share each load of x; every output's sum has the same order.
TK_TARGET void tk_sgemv_dots_avx512(TK_SGEMV_ARGS) {
    for (int64_t j = 0; j < n; j += 4) {
        int64_t rows = n - j < 4 ? n - j : 4;
        const float *r[4];
        for (int v = 0; v < 4; v++) r[v] = m + (j + (v < rows ? v : 0)) * ldm;
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t p = 0; p < k; p += 16) {
            __mmask16 mk = lanes(k - p);
            __m512 xv = _mm512_maskz_loadu_ps(mk, x + p);
#pragma clang loop unroll(full)
            for (int v = 0; v < 4; v++)
                acc[v] = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(mk, r[v] + p), acc[v]);
        }
        for (int v = 0; v < rows; v++) {
            float s = _mm512_reduce_add_ps(acc[v]) * alpha;
            y[j + v] = beta != 0.0f ? s + beta * y[j + v] : s;
        }
    }
}

// Step p of every micro-panel comes from one contiguous source row, read front to back.
// Eight source steps at a time, each micro-panel's eight rows written in one contiguous run, with
// the next eight steps prefetched. Writing one step of every micro-panel before the next step (the
// obvious loop) ran 3× slower in cache and 4–6× slower from memory: each step's stores went to
// count/width places kc·width floats apart, and nothing fetched the strided rows ahead.
#define PACK_STEPS 8
TK_TARGET void tk_pack_copy_avx512(TK_PACK_ARGS) {
    for (int64_t p0 = 0; p0 < kc; p0 += PACK_STEPS) {
        int64_t end = p0 + PACK_STEPS < kc ? p0 + PACK_STEPS : kc;
        int64_t ahead = end + PACK_STEPS < kc ? end + PACK_STEPS : kc;
        for (int64_t p = end; p < ahead; p++)
            for (int64_t j = 0; j < count; j += 16) _mm_prefetch((const char *)(src + p * ld + j), _MM_HINT_T0);
        for (int64_t q = 0; q * width < count; q++) {
            const float *s = src + q * width;
            float *d = dst + q * kc * width;
            int64_t left = count - q * width;
            __mmask16 in0 = lanes(left) & lanes(width), out0 = lanes(width);
            if (width > 16) {
                __mmask16 in1 = lanes(left - 16) & lanes(width - 16), out1 = lanes(width - 16);
                for (int64_t p = p0; p < end; p++) {
                    __m512 v0 = _mm512_maskz_loadu_ps(in0, s + p * ld), v1 = _mm512_maskz_loadu_ps(in1, s + p * ld + 16);
                    _mm512_mask_storeu_ps(d + p * width, out0, v0);
                    _mm512_mask_storeu_ps(d + p * width + 16, out1, v1);
                }
            } else {
                for (int64_t p = p0; p < end; p++)
                    _mm512_mask_storeu_ps(d + p * width, out0, _mm512_maskz_loadu_ps(in0, s + p * ld));
            }
        }
    }
}

// One 16×16 block: `rows` source vectors of 16 steps (zeros past them) loaded, transposed, and
// stored as `steps` steps of `width` floats, lanes under `out`. Steps before `spill` store all 16
// lanes: those past `width` land on the next steps, whose own stores then overwrite them. Every
// index into r is a constant after unrolling: a loop over a run-time step count made the compiler
// keep r on the stack, which with masked stores of 14 lanes at a 56-byte stride ran the packing at
// half speed.
TK_TARGET static inline __attribute__((always_inline)) void transpose_block(
    const float *s, int64_t ld, int64_t rows, __mmask16 in, const float *next,
    float *d, int64_t width, __mmask16 out, int64_t steps, int64_t spill) {
    __m512 r[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) {
        if (i < rows) {
            // Callers pack consecutive panels while computing on the last one: fetch the same
            // place of the next panel's vectors so its misses overlap that work. And four blocks
            // ahead in this panel into L1: fourteen rows at once are more streams than the
            // hardware follows (4096×512×2048: +0.5 %, alternated in one process).
            _mm_prefetch((const char *)(next + i * ld), _MM_HINT_T1);
            _mm_prefetch((const char *)(s + i * ld + 64), _MM_HINT_T0);
            r[i] = in == 0xFFFF ? _mm512_loadu_ps(s + i * ld) : _mm512_maskz_loadu_ps(in, s + i * ld);
        } else {
            r[i] = _mm512_setzero_ps();
        }
    }
    tk_transpose16(r);
#pragma clang loop unroll(full)
    for (int q = 0; q < 16; q++) {
        if (q < steps) {
            if (q < spill) _mm512_storeu_ps(d + q * width, r[q]);
            else _mm512_mask_storeu_ps(d + q * width, out, r[q]);
        }
    }
}

// 16×16 blocks of 16 vectors × 16 steps. The usual blocks (whole, from 16 or 14 vectors) get
// their own inlined copies, with no run-time counts left in them.
TK_TARGET void tk_pack_transpose_avx512(TK_PACK_ARGS) {
    for (int64_t i0 = 0; i0 < width; i0 += 16) {
        __mmask16 out = lanes(width - i0);
        int64_t rows = count - i0 < 16 ? count - i0 : 16;
        // Steps stored with all 16 lanes: all of a full 16-lane group; of a panel narrower than 16,
        // those whose 16 lanes end within the panel (all but the last for widths 8 to 15).
        int64_t spill = width - i0 >= 16 ? kc : width < 16 && kc * width >= 16 ? (kc * width - 16) / width + 1 : 0;
        for (int64_t p0 = 0; p0 < kc; p0 += 16) {
            const float *s = src + i0 * ld + p0, *next = s + width * ld;
            float *d = dst + p0 * width + i0;
            int64_t steps = kc - p0 < 16 ? kc - p0 : 16, whole = spill - p0;
            if (steps == 16 && whole >= 16 && rows == 16)
                transpose_block(s, ld, 16, 0xFFFF, next, d, width, out, 16, 16);
            else if (steps == 16 && whole >= 16 && rows == 14)
                transpose_block(s, ld, 14, 0xFFFF, next, d, width, out, 16, 16);
            else
                transpose_block(s, ld, rows, lanes(steps), next, d, width, out, steps, whole);
        }
    }
}
#endif
