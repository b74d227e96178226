// Fused scaled dot-product attention for training: softmax(scale·Q·Kᵀ + bias, masked)·V with
// dropout on the weights, forward and backward, one (batch row, head) block at a time, with the
// CPU's SIMD level chosen at run time (as the row kernels). Q, K, V, O are addressed by strides,
// so [B, H, T, d] tensors and [B, T, H·d] projections are read in place.
#ifndef ATTENTION_H
#define ATTENTION_H
#include <stdint.h>

struct tk_attention {
    long batch, heads, kv_heads, t, s, dk, dv;   // heads is a multiple of kv_heads (GQA, MQA)
    long q_b, q_h, q_t;   // Q, dQ: element (b, h, i, c) at q[b·q_b + h·q_h + i·q_t + c]
    long k_b, k_h, k_t;   // K, dK: (b, key/value head, j, c)
    long v_b, v_h, v_t;   // V, dV
    long o_b, o_h, o_t;   // O, dO: (b, h, i, c)
    const float *mask;    // non-zero = masked, at mask[b·mask_b + h·mask_h + i·mask_t + j]; NULL: none
    long mask_b, mask_h, mask_t;
    const float *bias;    // added to the scaled scores (ALiBi), strides as the mask; NULL: none
    long bias_b, bias_h, bias_t;
    float scale;          // 1/√d_k
    float keep;           // 1 − dropout probability (1: no dropout)
    uint64_t seed, first; // dropout stream: weight (b, h, i, j) uses counter first + ((b·heads + h)·t + i)·s + j
};

/// Blocks b·heads + h in [first_block, end_block): writes the weights P ([B, heads, t, s],
/// contiguous, before dropout; all-masked rows are zero) and O.
void tk_attention_forward(const struct tk_attention *a, long first_block, long end_block, const float *q,
                          const float *k, const float *v, float *p, float *o);
/// Key/value blocks b·kv_heads + g in [first_block, end_block): writes dQ for the group's query
/// heads and dK, dV (overwritten, not accumulated) from P of the forward and dO.
void tk_attention_backward(const struct tk_attention *a, long first_block, long end_block, const float *q,
                           const float *k, const float *v, const float *p, const float *dout, float *dq, float *dk,
                           float *dv);

#endif
