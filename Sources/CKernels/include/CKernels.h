// C SIMD kernels for swift-transformer, with run-time CPU dispatch (no compiler flags needed).
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stdint.h>
#include "PackedLinear.h"

/// Highest SIMD level this CPU supports: 2 = AVX-512 (F, BW, VL, DQ), 1 = AVX2 + FMA, 0 = generic.
int tk_simd_level(void);

/// SGEMM micro-kernel: one mr×nr tile (mr ≤ MR, nr ≤ NR) of C from a packed A micro-panel
/// (kc steps of MR floats, zero-padded) and a packed B micro-panel (kc steps of NR floats):
/// C = alpha·A·B + bias + beta·C, where bias (NULL: none) holds nr floats added to every row (a
/// linear layer's bias, on the first pass over k only); with beta == 0, C is only written (garbage
/// such as NaN is overwritten).
/// While it computes, the kernel prefetches rows 0..<pf_rows (≤ 16) of the kc floats at pf + r·pf_ld:
/// the unpacked source of the A strip the caller packs next, so that packing reads cache, not memory
/// (pf_rows = 0: nothing). `stream` != 0 asks for non-temporal stores of C (kernels may ignore it):
/// for the last pass over a C too large to stay in cache, whose lines would only evict others.
typedef void (*tk_sgemm_kernel_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                                   int64_t mr, int64_t nr, float alpha, float beta, const float *bias,
                                   const float *pf, int64_t pf_ld, int64_t pf_rows, int64_t stream);

/// GEMV kernel writing n contiguous outputs y[j] = alpha·(Σ_p x[p]·M(p, j)) + beta·y[j]
/// (y only written when beta == 0). "rows" kernels read M(p, j) = m[p·ldm + j] (x times a row-major
/// k×n matrix); "dots" kernels read M(p, j) = m[j·ldm + p] (one dot product per row of m).
typedef void (*tk_sgemv_kernel_fn)(int64_t n, int64_t k, const float *x, const float *m, int64_t ldm,
                                   float *y, float alpha, float beta);

/// Packing routine: writes kc steps of `width` floats (a zero-padded micro-panel) from `count` source
/// vectors. "copy" packs read step p at src[p·ld ..< p·ld + count], and columns past `width` go on into
/// the following micro-panels (at dst + kc·width, ...); "transpose" packs take count ≤ width vectors,
/// vector i at src[i·ld ..< i·ld + kc] (so step p takes element p of every vector). `width` is at
/// most 32 (the widest register tile); nothing past the micro-panels is written.
typedef void (*tk_pack_fn)(const float *src, int64_t ld, int64_t count, int64_t kc, int64_t width, float *dst);

/// The kernels of one SIMD level and the register tile their packing must match.
typedef struct {
    tk_sgemm_kernel_fn sgemm;
    tk_sgemv_kernel_fn sgemv_rows;
    tk_sgemv_kernel_fn sgemv_dots;
    tk_pack_fn pack_copy;
    tk_pack_fn pack_transpose;
    int32_t mr;
    int32_t nr;
    int32_t level;
    /// 1 for the bfloat16 kernels: packs round to bfloat16 and pad the depth to even (pairs of k
    /// steps), panel q at dst + q·even(kc)·width, and the kernel runs on that padded depth.
    int32_t even_depth;
} tk_sgemm_kernels;

/// Kernels for `level`, lowered to the highest level this CPU supports.
tk_sgemm_kernels tk_sgemm_kernels_for_level(int level);

/// Mixed-precision kernels (sgemm_bf16.c, no GEMV): operands rounded to bfloat16 while packed,
/// products summed in float32 a pair of k steps at a time as vdpbf16ps sums them. Levels: 3 =
/// AVX512_BF16 (vdpbf16ps), 2 = AVX-512, 1 = AVX2, 0 = portable C, all with the same results;
/// lowered to the highest level this CPU has.
tk_sgemm_kernels tk_sgemm_bf16_kernels_for_level(int level);

/// The fastest bfloat16 level here: 3 where the CPU has AVX512_BF16 and vdpbf16ps outpaces float32
/// FMAs (timed once), else the float32 kernels' level.
int tk_sgemm_bf16_best_level(void);

#endif
