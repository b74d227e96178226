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
/// Loops over the accumulators must unroll fully, or the accumulator array lives in memory.
#define TK_UNROLL _Pragma("clang loop unroll(full)")

TK_AVX512 TK_INLINE __mmask16 tk_lanes16(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

TK_AVX512 TK_INLINE __m512 tk_relu512(__m512 y, int relu) {
    return relu ? _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps()) : y;
}
#endif

/// Steps of a panel that every block of rows computes before the next chunk (16 KB of bfloat16 or
/// int8 weights, which stay in L1 meanwhile): a panel streams from memory once whatever m, and
/// each output is still summed in step order, its partial sum parked between chunks.
#define TK_CHUNK_STEPS 64
/// Rows whose partial sums are parked at once (48 rows × 64 outputs × 4 bytes on the stack).
#define TK_ROW_GROUP 48
/// How far ahead of the weights in use the kernels prefetch, in bytes: the core's own prefetchers
/// leave DRAM bandwidth unused when the loop between loads is long.
#define TK_PREFETCH_BYTES 4096

/// One block of rows [i, i + rows) over steps [s0, s1) of a panel: its sums start fresh (s0 = 0) or
/// from `partial` (4-byte sums, rows × 64), and end in y (s1 = the last step) or back in `partial`.
struct tk_chunk {
    int64_t i, s0, s1;
    void *partial;
    int prefetch;
};

typedef void (*tk_rows_fn)(int rows, const void *args, const struct tk_chunk *chunk);

/// Runs a panel of `steps` steps for m rows in blocks of up to 6; beyond one block, in chunks of
/// TK_CHUNK_STEPS steps, every block taking a chunk before the next. The first block prefetches.
static inline void tk_run_chunked(int64_t m, int64_t steps, tk_rows_fn rows_fn, const void *args) {
    int32_t partial[TK_ROW_GROUP * TK_PANEL];
    for (int64_t g = 0; g < m; g += TK_ROW_GROUP) {
        int64_t count = m - g < TK_ROW_GROUP ? m - g : TK_ROW_GROUP;
        int64_t chunk = count <= 6 ? steps : TK_CHUNK_STEPS, s0 = 0;
        do {
            int64_t s1 = s0 + chunk < steps ? s0 + chunk : steps;
            for (int64_t i = 0; i < count; i += 6) {
                struct tk_chunk ch = {g + i, s0, s1, partial + i * TK_PANEL, i == 0};
                rows_fn(count - i < 6 ? (int)(count - i) : 6, args, &ch);
            }
            s0 = s1;
        } while (s0 < steps);
    }
}

/// Calls BLOCK(rows, ...) with rows a constant 1...6, so the inlined block keeps its sums in registers.
#define TK_ROWS_SWITCH(BLOCK, rows, ...)                                                           \
    switch (rows) {                                                                                \
    case 6: BLOCK(6, __VA_ARGS__); break;                                                          \
    case 5: BLOCK(5, __VA_ARGS__); break;                                                          \
    case 4: BLOCK(4, __VA_ARGS__); break;                                                          \
    case 3: BLOCK(3, __VA_ARGS__); break;                                                          \
    case 2: BLOCK(2, __VA_ARGS__); break;                                                          \
    default: BLOCK(1, __VA_ARGS__); break;                                                         \
    }

#endif
