// Portable packing of GEMM operands into zero-padded micro-panels (see tk_pack_fn).
#include <string.h>
#include "sgemm_impl.h"

// Eight source steps at a time with each micro-panel's rows written contiguously: writing one step
// of every micro-panel in turn scatters the stores kc·width floats apart (see tk_pack_copy_avx512).
void tk_pack_copy_generic(TK_PACK_ARGS) {
    for (int64_t p0 = 0; p0 < kc; p0 += 8) {
        int64_t end = p0 + 8 < kc ? p0 + 8 : kc;
        for (int64_t q = 0; q * width < count; q++) {
            int64_t n = count - q * width < width ? count - q * width : width;
            for (int64_t p = p0; p < end; p++) {
                float *d = dst + (q * kc + p) * width;
                memcpy(d, src + p * ld + q * width, (size_t)n * sizeof(float));
                memset(d + n, 0, (size_t)(width - n) * sizeof(float));
            }
        }
    }
}

void tk_pack_transpose_generic(TK_PACK_ARGS) {
    // Eight vectors at a time keep the writes within a few cache lines.
    for (int64_t i0 = 0; i0 < width; i0 += 8) {
        int64_t n = width - i0 < 8 ? width - i0 : 8;
        for (int64_t p = 0; p < kc; p++)
            for (int64_t i = 0; i < n; i++)
                dst[p * width + i0 + i] = i0 + i < count ? src[(i0 + i) * ld + p] : 0.0f;
    }
}
