// AVX2 + FMA instantiation of the row kernels (two ymm per 16-float vector).
#if defined(__x86_64__)
#define TK_TABLE tk_row_ops_avx2
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "rowkernels_body.h"
#pragma clang attribute pop
#endif
