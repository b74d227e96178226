// bfloat16 bits → float32: the 16 bits become the top half of the float (exact), shared by the
// inference (packed_linear_bf16.c) and training (sgemm_bf16.c) kernels.
#ifndef TK_BF16_H
#define TK_BF16_H
#include <stdint.h>
#include <string.h>

static inline float tk_bf16_widen(uint16_t h) {
    uint32_t b = (uint32_t)h << 16;
    float x;
    memcpy(&x, &b, 4);
    return x;
}

#endif
