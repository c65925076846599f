// Float building blocks shared by the kernels: error-free transforms that carry the
// rounding error of a product or a sum, stable sigmoid and exp pieces, and a compensated
// sum. Everything computes in float; the extra terms are what keeps the kernels within
// 1–2 ULP of the double reference (docs/conventions.md says how that is measured).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

namespace actlab::kernels::detail {

inline constexpr float kInfF = std::numeric_limits<float>::infinity();

// ---------------------------------------------------------------- error-free transforms

// The rounding error of p = fl(a·b): a·b = p + product_error(a, b, p) exactly (a fused
// multiply-add; Highway's MulSub in the SIMD version). Zero when the product is exact.
inline float product_error(float a, float b, float p) { return std::fma(a, b, -p); }

// The rounding error of s = fl(a + b) for |a| ≥ |b| (Dekker's fast two-sum).
inline float fast_sum_error(float a, float b, float s) { return b - (s - a); }

// The rounding error of s = fl(a + b) for any a, b (Knuth's two-sum).
inline float sum_error(float a, float b, float s) {
  const float bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

// A correction term is only meaningful where the main term is finite; at ±inf (or after an
// overflow) the error-free transforms give inf − inf = NaN, which must not leak out.
inline float finite_or_zero(float v) { return std::fabs(v) < kInfF ? v : 0.0f; }

// p plus a correction c (the rounding error of p, or a tiny higher-order term). A zero p is
// returned as is: −0 + (+0) would be +0, and c is then below what the result can hold.
inline float add_correction(float p, float c) { return p == 0 ? p : p + finite_or_zero(c); }

// (p + p_lo)/(d + d_lo) for small lo parts, rounded about once: q = p/d, plus the exact
// remainder p − q·d (by fma) and the lo parts, divided by d. A zero q is returned as is
// (adding a +0 correction would turn −0 into +0).
inline float divide_pairs(float p, float p_lo, float d, float d_lo) {
  const float q = p / d;
  if (q == 0) return q;
  const float r = -product_error(q, d, p);
  return q + finite_or_zero((r + p_lo - q * d_lo) / d);
}

// ---------------------------------------------------------------- sigmoid pieces

// σ(v) from e = e^(−|v|) ∈ [0, 1]: 1/(1 + e) for v ≥ 0, e/(1 + e) for v < 0. No overflow
// and no 1 − σ cancellation; one division. Used where a derivative needs σ beside e.
inline float sigmoid_from_exp(float v, float e) { return (v < 0 ? e : 1.0f) / (1.0f + e); }

// (m + m_lo)·e^(v + v_lo), for small corrections m_lo and v_lo, rounded once. Where e^v is
// denormal (v < −87.3) m·e^v may still be normal (|m| up to 150 in silu(x) = x·σ(x)), and
// the denormal has lost bits before the product. So below v = −64 it is computed as
// (m·e^(v + 44.375))·(e^(−44.375)·2^64)·2^-64: v + 44.375 is exact (both on v's 2^-17
// grid, the sum below 2^7 in size), e^(v + 44.375) is normal, the product with the
// constant (split hi + lo) stays near 1·m·e^(v + 44.375), so its error terms are exact,
// and the one rounding is the final, exact-or-denormal scaling by 2^-64.
inline constexpr float kExpTail = -64;
inline constexpr float kExpShift = 44.375f;
inline constexpr double kExpShiftScaled =
    5.347888766186028184624078e-20 * 0x1p64;  // e^(−44.375)·2^64
inline constexpr float kExpShiftScaledHi = static_cast<float>(kExpShiftScaled);
inline constexpr float kExpShiftScaledLo = static_cast<float>(kExpShiftScaled - kExpShiftScaledHi);
inline float times_exp(float m, float v, float m_lo = 0, float v_lo = 0) {
  if (v < kExpTail) {
    const float e = std::exp(v + kExpShift);
    const float p = m * e;
    const float p_lo = product_error(m, e, p) + m_lo * e;
    const float u = p * kExpShiftScaledHi;
    const float u_lo = product_error(p, kExpShiftScaledHi, u) +
                       (p_lo * kExpShiftScaledHi + p * kExpShiftScaledLo) + u * v_lo;
    return add_correction(u, u_lo) * 0x1p-64f;
  }
  const float e = std::exp(v);
  const float p = m * e;
  return add_correction(p, product_error(m, e, p) + m_lo * e + p * v_lo);
}

// m·σ(v + v_lo) = m·n/(1 + e), e = e^(−|v|), n = e for v < 0 and 1 otherwise, with 1 + e
// and m·n carried exactly: the result is rounded about once after e (x·σ(x) rounded at
// each step is 2.7 ULP off). Below v = −64, σ(v) = e^v to float precision and times_exp
// applies.
inline float times_sigmoid(float m, float v, float v_lo) {
  if (m == 0) return m;  // ±0·σ = ±0, sign kept
  if (v < kExpTail) return times_exp(m, v, 0.0f, v_lo);
  const float e = std::exp(-std::fabs(v));
  const float s = 1 + e;
  const float s_lo = fast_sum_error(1.0f, e, s);
  const float n = v < 0 ? e : 1.0f;
  const float p = m * n;
  // σ(v + v_lo) ≈ σ(v)·(1 + (1 − σ(v))·v_lo), 1 − σ(v) = (v < 0 ? 1 : e)/(1 + e)
  const float shift = p * ((v < 0 ? 1.0f : e) / s) * v_lo;
  return divide_pairs(p, finite_or_zero(product_error(m, n, p) + shift), s, s_lo);
}

// ---------------------------------------------------------------- compensated sum

// Neumaier's compensated sum: the result is as if summed in twice the precision, then
// rounded once (error ≈ 2^-24 relative instead of n·2^-24 for n terms).
struct CompensatedSum {
  float sum = 0;
  float compensation = 0;
  void add(float v) {
    const float s = sum + v;
    compensation +=
        std::fabs(sum) >= std::fabs(v) ? fast_sum_error(sum, v, s) : fast_sum_error(v, sum, s);
    sum = s;
  }
  float value() const { return sum + compensation; }
  // The sum as hi + lo (hi = value()), for a division that keeps the extra precision.
  float value_lo() const { return sum_error(sum, compensation, value()); }
};

}  // namespace actlab::kernels::detail
