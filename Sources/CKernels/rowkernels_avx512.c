// AVX-512 instantiation of the row kernels (one zmm per 16-float vector).
#if defined(__x86_64__)
#define TK_TABLE tk_row_ops_avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))), apply_to = function)
#include "rowkernels_body.h"
#pragma clang attribute pop
#endif
