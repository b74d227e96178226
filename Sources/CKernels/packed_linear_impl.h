// Private helpers shared by the packed linear kernels of the three precisions (not public).
#ifndef TK_PACKED_LINEAR_IMPL_H
#define TK_PACKED_LINEAR_IMPL_H
#include "PackedLinear.h"

/// The kernel level the packed linear layers use now (see tk_packed_linear_set_level).
int tk_packed_level(void);

/// y[c] = relu ? (y ≤ 0 ? 0 : y) : y, the row kernels' ReLU (NaN passes, −0 becomes 0).
static inline float tk_relu_if(float y, int relu) { return relu && y <= 0 ? 0.0f : y; }

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TK_X86 1
#define TK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define TK_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx512bf16")))
#define TK_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx512vnni")))
#define TK_AVX2 __attribute__((target("avx2,fma")))
#define TK_INLINE static inline __attribute__((always_inline))

TK_AVX512 TK_INLINE __mmask16 tk_lanes16(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

TK_AVX512 TK_INLINE __m512 tk_relu512(__m512 y, int relu) {
    return relu ? _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps()) : y;
}
#endif

/// Calls `block(rows, ...)` with a constant row count for every block of up to 6 rows of m, so the
/// inlined block keeps its accumulators in registers.
#define TK_FOR_ROW_BLOCKS(m, BLOCK, i, ...)                                        \
    do {                                                                           \
        int64_t i = 0;                                                             \
        for (; i + 6 <= (m); i += 6) BLOCK(6, __VA_ARGS__);                        \
        switch ((m) - i) {                                                         \
        case 5: BLOCK(5, __VA_ARGS__); break;                                      \
        case 4: BLOCK(4, __VA_ARGS__); break;                                      \
        case 3: BLOCK(3, __VA_ARGS__); break;                                      \
        case 2: BLOCK(2, __VA_ARGS__); break;                                      \
        case 1: BLOCK(1, __VA_ARGS__); break;                                      \
        default: break;                                                            \
        }                                                                          \
    } while (0)

#endif
