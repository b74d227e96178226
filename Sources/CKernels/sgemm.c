// Run-time selection of the SGEMM/GEMV kernel family for a SIMD level.
#include "CKernels.h"
#include "sgemm_impl.h"

tk_sgemm_kernels tk_sgemm_kernels_for_level(int level) {
    int supported = tk_simd_level();
    if (level > supported) level = supported;
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2) return (tk_sgemm_kernels){tk_sgemm_avx512, tk_sgemv_rows_avx512, tk_sgemv_dots_avx512,
                                              tk_pack_copy_avx512, tk_pack_transpose_avx512,
                                              TK_AVX512_MR, TK_AVX512_NR, 2};
    if (level == 1) return (tk_sgemm_kernels){tk_sgemm_avx2, tk_sgemv_rows_avx2, tk_sgemv_dots_avx2,
                                              tk_pack_copy_generic, tk_pack_transpose_generic,
                                              TK_AVX2_MR, TK_AVX2_NR, 1};
#endif
    return (tk_sgemm_kernels){tk_sgemm_generic, tk_sgemv_rows_generic, tk_sgemv_dots_generic,
                              tk_pack_copy_generic, tk_pack_transpose_generic,
                              TK_GENERIC_MR, TK_GENERIC_NR, 0};
}
