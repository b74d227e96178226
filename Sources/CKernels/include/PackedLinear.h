// Linear layers with weights packed once, for inference: y = x·Wᵀ + b in float32, bfloat16 or int8
// weights (packed_linear.c, packed_linear_bf16.c, packed_linear_int8.c).
#ifndef TK_PACKED_LINEAR_H
#define TK_PACKED_LINEAR_H
#include <stdint.h>

/// Outputs per panel of a packed weight.
#define TK_PANEL 64

/// Picks the kernels of every precision: 3 = AVX-512 with its dot-product extensions (VNNI for int8,
/// BF16 for bfloat16, each used where the CPU has it), 2 = AVX-512 (F, BW, VL, DQ), 1 = AVX2 + FMA,
/// 0 = generic; −1 = the best this CPU has. Levels the CPU lacks are lowered. Returns the level now
/// in use. For tests.
int tk_packed_linear_set_level(int level);

/// Whether this CPU has AVX512_BF16 (vdpbf16ps) and AVX512_VNNI (vpdpbusd).
int tk_cpu_has_avx512_bf16(void);
int tk_cpu_has_avx512_vnni(void);

/// Packs W [n, k] (row j = output j, PyTorch's Linear layout) into ceil(n/64) panels; panel q holds
/// k steps of 64 floats, W[64q + c, p] at q·64k + 64p + c, zero past n.
void tk_pack_linear_panels(const float *w, int64_t n, int64_t k, float *panels);

/// y[i, j] = bias[j] + Σ_p x[i, p]·W[j, p] for rows i < m and outputs j of panels [first, last).
/// Each y[i, j] is summed in the order p = 0, 1, …, whatever m, the panel range or the SIMD level
/// of the CPU's kernel, so a row's result never depends on the other rows. bias may be NULL; relu != 0
/// applies max(0, ·) as the row kernels' ReLU does (NaN passes).
void tk_packed_linear(int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx, const float *panels,
                      const float *bias, float *y, int64_t ldy, int64_t first, int64_t last, int relu);

// bfloat16: weights and activations rounded to bfloat16 (nearest, ties to even; values below
// 2^-126 flushed to zero, as the BF16 instructions treat them), products accumulated in float32.
// Pairs of inputs are the unit: k2 = k rounded up to even.

/// bfloat16 bits of x, rounded to nearest even; subnormals become signed zero, NaN stays NaN.
uint16_t tk_bf16_from_float(float x);

/// x rows [m, k] (row i at x + i·ldx) → bfloat16 rows [m, k2], zero-padded.
void tk_round_rows_bf16(const float *x, int64_t ldx, int64_t m, int64_t k, uint16_t *xb);

/// Packs bfloat16 W [n, k] (bits, row-major) into ceil(n/64) panels of k2/2 steps; step s holds
/// outputs c < 64 as pairs: W[64q + c, 2s + e] at q·64·k2 + 128s + 2c + e, zero past n and k.
void tk_pack_linear_bf16(const uint16_t *w, int64_t n, int64_t k, uint16_t *panels);

/// y[i, j] = act(bias[j] + Σ_s (x[i, 2s+1]·W[j, 2s+1] + x[i, 2s]·W[j, 2s])) with xb from
/// tk_round_rows_bf16: every step adds the odd product, then the even one, each rounded to float32,
/// as vdpbf16ps does; kernels without it widen to float32 and give the same results. relu != 0
/// applies max(0, ·) (NaN passes). bias may be NULL.
void tk_packed_linear_bf16(int64_t m, int64_t n, int64_t k, const uint16_t *xb, const uint16_t *panels,
                           const float *bias, float *y, int64_t ldy, int64_t first, int64_t last, int relu);

/// Rows `ids[0..<count]` of a packed bfloat16 W as float32: out[i·k + p] = W[ids[i], p].
void tk_packed_rows_bf16(const uint16_t *panels, int64_t k, const int32_t *ids, int64_t count, float *out);

// int8: symmetric quantization per row, scale = max|row| / 127, q = round(v / scale) in [−127, 127];
// integer dot products (exact), then y = Σq_x·q_w · (scale_x·scale_w) + bias. Groups of four inputs
// are the unit: k4 = k rounded up to a multiple of 4. k ≤ TK_INT8_MAX_K keeps every int32 sum exact.
#define TK_INT8_MAX_K 65536

/// Quantizes rows [m, k] (row i at x + i·ldx) into q [m, ldq] (columns k..<ldq zero) and scale[m].
/// A zero row has scale 0; a row holding NaN or ±∞ gets scale NaN (its outputs become NaN).
void tk_quantize_rows_int8(const float *x, int64_t ldx, int64_t m, int64_t k, int8_t *q, int64_t ldq, float *scale);
/// The same values + 128 as unsigned bytes (128 past k): activations as tk_packed_linear_int8 reads them.
void tk_quantize_rows_u8(const float *x, int64_t ldx, int64_t m, int64_t k, uint8_t *q, int64_t ldq, float *scale);

/// Packs int8 W [n, k] (row-major, values in [−127, 127]) into ceil(n/64) panels of k4/4 steps; step s
/// holds outputs c < 64 as groups of four: W[64q + c, 4s + e] at q·64·k4 + 256s + 4c + e, zero past n
/// and k. Writes sums[j] = 128·Σ_p W[j, p] for j < 64·ceil(n/64) (zero past n): VNNI multiplies
/// unsigned bytes, so activations are shifted by +128 and this is taken off again.
void tk_pack_linear_int8(const int8_t *w, int64_t n, int64_t k, int8_t *panels, int32_t *sums);

/// y[i, j] = act(fma((float)Σ_p (xq[i, p] − 128)·W[j, p], xscale[i]·wscale[j], bias[j])) with xq [m, k4]
/// from tk_quantize_rows_u8; the integer sum is exact, so every kernel level gives the same results.
/// wscale and sums cover 64·ceil(n/64) outputs. relu != 0 applies max(0, ·) (NaN passes); bias may be NULL.
void tk_packed_linear_int8(int64_t m, int64_t n, int64_t k, const uint8_t *xq, const float *xscale,
                           const int8_t *panels, const float *wscale, const int32_t *sums, const float *bias,
                           float *y, int64_t ldy, int64_t first, int64_t last, int relu);

/// Rows `ids[0..<count]` of a packed int8 W, dequantized: out[i·k + p] = W[ids[i], p]·wscale[ids[i]].
void tk_packed_rows_int8(const int8_t *panels, const float *wscale, int64_t k, const int32_t *ids, int64_t count,
                         float *out);

#endif
