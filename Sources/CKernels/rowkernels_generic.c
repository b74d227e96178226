// Baseline instantiation of the row kernels (SSE2 on x86-64; whatever the target has elsewhere).
#define TK_TABLE tk_row_ops_generic
#include "rowkernels_body.h"
