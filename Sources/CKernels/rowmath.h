// Vector math for the row kernels: 16-float vectors (clang vector extensions, lowered to one zmm,
// two ymm or four xmm registers by the including file's target) and exp, log, tanh, erf on them.
//   exp(x) = 2^n·e^r, n = round(x/ln2), |r| ≤ ln2/2, e^r by a degree-7 polynomial (Cephes expf)
//   log(x) = e·ln2 + log(m), m ∈ [√½, √2), log(1+f) by a degree-9 polynomial (Cephes logf)
//   erf(x) = x·P(x²)/Q(x²) on [−4, 4] (Eigen's and XLA's float erf): one division, no exp;
//            abs error vs erf < 5e-7, relative error < 3e-7 for |x| < 0.5.
// Included by each rowkernels_<isa>.c inside its target pragma; everything here is static inline.
#ifndef ROWMATH_H
#define ROWMATH_H
#include <stdint.h>

// The helpers below pass 64-byte vectors by value but are always inlined, so no call ABI applies.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef float vfu __attribute__((vector_size(64), aligned(4), may_alias));
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
#define W 16
#define INL static inline __attribute__((always_inline))

INL vf splat(float s) { vf v; for (int i = 0; i < W; i++) v[i] = s; return v; }
INL vi splati(int32_t s) { vi v; for (int i = 0; i < W; i++) v[i] = s; return v; }
INL vf ld(const float *p) { return *(const vfu *)p; }
INL void st(float *p, vf v) { *(vfu *)p = v; }
/// The first k (< W) floats at p; the other lanes hold `fill`.
INL vf ldp(const float *p, long k, float fill) {
    vf v = splat(fill);
    for (long i = 0; i < k; i++) v[i] = p[i];
    return v;
}
INL void stp(float *p, vf v, long k) { for (long i = 0; i < k; i++) p[i] = v[i]; }
/// m ? a : b lane by lane (m lanes are all ones or all zeros, as comparisons give).
INL vf sel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
INL vf vmax(vf a, vf b) { return sel(a > b, a, b); }
INL vf vmin(vf a, vf b) { return sel(a < b, a, b); }
INL vf vabs(vf a) { return (vf)((vi)a & 0x7fffffff); }
INL vf copysign_v(vf mag, vf sgn) { return (vf)(((vi)mag & 0x7fffffff) | ((vi)sgn & ~0x7fffffff)); }

/// Fixed-order horizontal reductions (the same order on every ISA and thread count).
INL float hsum(vf v) {
    v8f a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    v4f b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}
INL float hmax(vf v) {
    float m = v[0];
    for (int i = 1; i < W; i++) m = v[i] > m ? v[i] : m;
    return m;
}

INL vf v_exp(vf x) {
    // Clamp so 2^n stays in [−150, 128]: below, the result rounds to 0; above, to +∞.
    vf xc = vmin(vmax(x, splat(-104.0f)), splat(89.0f));
    vf t = xc * 1.44269504088896341f + 12582912.0f;       // round to nearest via 1.5·2^23
    vf n = t - 12582912.0f;
    vi ni = (vi)t - 0x4B400000;
    vf r = xc - n * 0.693359375f;                           // ln2 in two parts: n·C1 is exact
    r = r - n * -2.12194440e-4f;
    vf p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    // 2^n as two normal factors so results near overflow and in the subnormal range are right.
    vi n1 = ni >> 1, n2 = ni - n1;
    p = p * (vf)((n1 + 127) << 23) * (vf)((n2 + 127) << 23);
    return sel(x != x, x, p);
}

INL vf v_log(vf x) {
    vi sub = x < 1.17549435e-38f;                           // subnormals: scale into the normal range
    vf xs = sel(sub, x * 8388608.0f, x);
    vi bits = (vi)xs;
    vi e = ((bits >> 23) & 0xff) - 126 - (sub & 23);
    vf m = (vf)((bits & 0x007fffff) | 0x3f000000);          // m ∈ [0.5, 1)
    vi low = m < 0.707106781186547524f;
    vf ef = __builtin_convertvector(e + low, vf);           // low lanes are −1: e − 1
    m = sel(low, m + m, m) - 1.0f;
    vf z = m * m;
    vf y = splat(7.0376836292e-2f);
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y = y + ef * -2.12194440e-4f;
    y = y - 0.5f * z;
    vf r = m + y + ef * 0.693359375f;
    r = sel(x == 0.0f, splat(-__builtin_inff()), r);
    r = sel(x < 0.0f, splat(__builtin_nanf("")), r);
    r = sel(x == __builtin_inff(), x, r);
    return sel(x != x, x, r);
}

INL vf v_tanh(vf x) {
    vf a = vabs(x);
    vf big = 1.0f - 2.0f / (v_exp(a + a) + 1.0f);           // no cancellation for |x| ≥ 0.625
    vf z = x * x;
    vf p = splat(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    return sel(a < 0.625f, x + x * z * p, copysign_v(big, x));
}

INL vf v_sigmoid(vf x) { return 1.0f / (1.0f + v_exp(-x)); }

INL vf v_erf(vf x) {
    // Odd/even rational approximation on [−4, 4] (erf is ±1 in float beyond), as in Eigen and XLA.
    vf xc = vmin(vmax(x, splat(-4.0f)), splat(4.0f)), z = xc * xc;
    vf p = splat(-2.72614225801306e-10f);
    p = p * z + 2.77068142495902e-08f;
    p = p * z - 2.10102402082508e-06f;
    p = p * z - 5.69250639462346e-05f;
    p = p * z - 7.34990630326855e-04f;
    p = p * z - 2.95459980854025e-03f;
    p = p * z - 1.60960333262415e-02f;
    vf q = splat(-1.45660718464996e-05f);
    q = q * z - 2.13374055278905e-04f;
    q = q * z - 1.68282697438203e-03f;
    q = q * z - 7.37332916720468e-03f;
    q = q * z - 1.42647390514189e-02f;
    return sel(x != x, x, xc * p / q);
}

INL vf v_gelu(vf x) { return 0.5f * x * (1.0f + v_erf(x * 0.70710678118654752f)); }

/// d/dx x·Φ(x) = Φ(x) + x·φ(x).
INL vf v_gelu_grad(vf x) {
    vf cdf = 0.5f * (1.0f + v_erf(x * 0.70710678118654752f));
    return cdf + x * 0.39894228040143268f * v_exp(-0.5f * x * x);
}

/// GELU's tanh approximation (GPT-2's "gelu_new"): ½·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
INL vf v_gelu_tanh(vf x) {
    vf u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + v_tanh(u));
}

/// ½·(1 + tanh u) + ½·x·(1 − tanh² u)·du/dx; beyond |x| = 10⁴ the second term is 0 (tanh is ±1 there,
/// and x·x² would overflow into 0·∞).
INL vf v_gelu_tanh_grad(vf x) {
    vf x2 = x * x;
    vf t = v_tanh(0.79788456080286536f * (x + 0.044715f * x2 * x));
    vf slope = 0.5f * x * (1.0f - t * t) * (0.79788456080286536f * (1.0f + 0.134145f * x2));
    return 0.5f * (1.0f + t) + sel(vabs(x) < 1e4f, slope, splat(0));
}

#endif
