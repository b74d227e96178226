// C SIMD kernels for swift-transformer, with run-time CPU dispatch (no compiler flags needed).
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stdint.h>
#include "PackedLinear.h"

/// Highest SIMD level this CPU supports: 2 = AVX-512 (F, BW, VL, DQ), 1 = AVX2 + FMA, 0 = generic.
int tk_simd_level(void);

#endif
