// Linear layers with weights packed once, for decoding (see packed_linear.c).
#ifndef TK_PACKED_LINEAR_H
#define TK_PACKED_LINEAR_H
#include <stdint.h>

/// Outputs per panel of a packed weight.
#define TK_PANEL 64

/// Packs W [n, k] (row j = output j, PyTorch's Linear layout) into ceil(n/64) panels; panel q holds
/// k steps of 64 floats, W[64q + c, p] at q·64k + 64p + c, zero past n.
void tk_pack_linear_panels(const float *w, int64_t n, int64_t k, float *panels);

/// y[i, j] = bias[j] + Σ_p x[i, p]·W[j, p] for rows i < m and outputs j of panels [first, last).
/// Each y[i, j] is summed in the order p = 0, 1, …, whatever m, the panel range or the SIMD level
/// of the CPU's kernel, so a row's result never depends on the other rows. bias may be NULL.
void tk_packed_linear(int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx, const float *panels,
                      const float *bias, float *y, int64_t ldy, int64_t first, int64_t last);

#endif
