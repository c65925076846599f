// The scalar float math of every elementwise activation: one struct per row of
// activations.def, forward(x) beside derivative(saved), grouped by family as the table is.
// `saved` is the input x, or the forward's output y where kBackwardFrom says kOutput
// (checked against the table by a static_assert in elementwise.cpp).
//
// The loops in elementwise.cpp handle NaN once (NaN in gives NaN out, forward and
// backward), so the math here never sees NaN; it does see ±inf, −0 and denormals, and
// gives the limits (gelu(−inf) = −0, not NaN). Conventions at kinks follow PyTorch 1.13;
// docs/conventions.md has the table. Where a form carries rounding errors explicitly
// (hi + lo pairs, float_math.hpp), its comment says what the plain form would lose; the
// table's .ulp holds the bound that tests/kernel_test.cpp checks.
#pragma once

#include <cmath>

#include "actlab/activation.hpp"
#include "kernels/float_math.hpp"

namespace actlab::kernels::ops {

using detail::finite_or_zero;
using detail::product_error;
using detail::sigmoid_from_exp;
using detail::times_exp;
using detail::times_sigmoid;

// slope·x on the negative side of the ReLU family; a zero slope gives 0 even at x = −inf
// (the limit), where the product is NaN. (Both computed, then selected: see the loops in
// elementwise.cpp.)
inline float scaled(float slope, float x) {
  const float p = slope * x;
  return slope == 0 ? 0.0f : p;
}

// A value as hi + lo, lo the rounding error of hi (or a small correction to it).
struct Pair {
  float hi;
  float lo;
};

// ---------------------------------------------------------------- tanh pieces

// x − tanh x = x³·(1/3 − (2/15)·s + s²·R(s)), s = x², for 0 ≤ x < 1: R fitted to the
// rest at 8 Chebyshev nodes on s ∈ [0, 1] (scripts in docs/conventions.md; max relative
// error 5e-9 with these float coefficients). 1/3 and −2/15 are hi + lo pairs, and x³ and
// the sums are carried with their errors, so the result is rounded about once (2.9 ULP
// near 0 when each step rounds, float(1/3) alone being 0.5 ULP off).
inline float tanhshrink_series(float a) {
  static constexpr float kR[] = {5.396825448e-02f,  -2.186945081e-02f, 8.862440474e-03f,
                                 -3.585567698e-03f, 1.428668504e-03f,  -5.267356755e-04f,
                                 1.516902848e-04f,  -2.345459689e-05f};
  constexpr float kThirdHi = 3.333333433e-01f, kThirdLo = -9.934107759e-09f;
  constexpr float kQ0Hi = -1.333333403e-01f, kQ0Lo = 6.953875253e-09f;
  const float s = a * a;
  const float s_lo = product_error(a, a, s);
  float r = kR[7];
  for (int k = 6; k >= 0; --k) r = r * s + kR[k];
  // inner = −2/15 + s·r, rest = s·inner, p = 1/3 + rest: each with its error
  const float sr = s * r;
  const float inner = kQ0Hi + sr;
  const float inner_lo = detail::fast_sum_error(kQ0Hi, sr, inner) + product_error(s, r, sr) + kQ0Lo;
  const float rest = s * inner;
  const float rest_lo = product_error(s, inner, rest) + (s * inner_lo + s_lo * inner);
  const float p = kThirdHi + rest;
  const float p_lo = detail::fast_sum_error(kThirdHi, rest, p) + rest_lo + kThirdLo;
  const float c = a * s;  // a³
  const float c_lo = product_error(a, s, c) + a * s_lo;
  const float y = c * p;
  return y + (product_error(c, p, y) + (c_lo * p + c * p_lo));
}

// 1 − tanh a = 2e/(1 + e), e = e^(−2a), for a ≥ 1 (≤ 0.24 there), with 1 + e carried
// exactly so that it rounds once after e.
inline float tanh_gap(float a) {
  const float e = std::exp(-2 * a);
  const float d = 1 + e;
  return detail::divide_pairs(2 * e, 0.0f, d, detail::fast_sum_error(1.0f, e, d));
}

// tanh a for a = |x| as hi + lo: a − series(a) below 1, 1 − gap(a) above. The subtracted
// part is at most 0.31 of the result, so its own error shrinks: within 1 ULP, where glibc's
// tanhf is up to 2.1 ULP off.
inline Pair tanh_pair(float a) {
  if (a < 1) {
    const float g = tanhshrink_series(a);
    const float t = a - g;
    return {t, detail::fast_sum_error(a, -g, t)};
  }
  const float q = tanh_gap(a);
  const float t = 1 - q;
  return {t, detail::fast_sum_error(1.0f, -q, t)};
}

// ---------------------------------------------------------------- step and linear

struct BinaryStep {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float threshold;
  float forward(float x) const { return x < threshold ? 0.0f : 1.0f; }
  float derivative(float) const { return 0.0f; }
};

struct Identity {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float forward(float x) const { return x; }
  float derivative(float) const { return 1.0f; }
};

// ---------------------------------------------------------------- sigmoid family

struct Sigmoid {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kOutput;
  // 1·σ(x) with 1 + e carried exactly (1.8 ULP when rounded at each step).
  float forward(float x) const { return times_sigmoid(1.0f, x, 0.0f); }
  // y·(1 − y): 1 − y is exact for y ≥ 1/2 (Sterbenz), so no cancellation.
  float derivative(float y) const { return y * (1.0f - y); }
};

struct HardSigmoid {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float forward(float x) const {
    const float mid = (x + 3) / 6;
    return x <= -3 ? 0.0f : x >= 3 ? 1.0f : mid;
  }
  // 0 at both ends, as PyTorch's hardsigmoid_backward.
  float derivative(float x) const { return x > -3 && x < 3 ? 1.0f / 6 : 0.0f; }
};

struct LogSigmoid {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // min(x, 0) − log1p(e^(−|x|)): the two terms never have opposite signs.
  float forward(float x) const { return (x < 0 ? x : 0.0f) - std::log1p(std::exp(-std::fabs(x))); }
  float derivative(float x) const { return times_sigmoid(1.0f, -x, 0.0f); }
};

struct Tanh {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kOutput;
  float forward(float x) const { return std::copysign(tanh_pair(std::fabs(x)).hi, x); }
  // 1 − y² as (1 − y)(1 + y): one factor is exact where |y| ≥ 1/2, no cancellation.
  float derivative(float y) const { return (1.0f - y) * (1.0f + y); }
};

struct HardTanh {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float min_val;
  float max_val;
  float forward(float x) const { return x < min_val ? min_val : x > max_val ? max_val : x; }
  float derivative(float x) const { return x > min_val && x < max_val ? 1.0f : 0.0f; }
};

// ---------------------------------------------------------------- ReLU family

struct Relu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kOutput;
  float forward(float x) const { return x > 0 ? x : 0.0f; }  // relu(−0) = +0
  // y > 0 exactly when x > 0, so the output decides as well as the input; relu'(0) = 0.
  float derivative(float y) const { return y > 0 ? 1.0f : 0.0f; }
};

struct Relu6 {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float forward(float x) const { return x <= 0 ? 0.0f : x >= 6 ? 6.0f : x; }
  float derivative(float x) const { return x > 0 && x < 6 ? 1.0f : 0.0f; }
};

// leaky_relu, prelu (one scalar slope) and rrelu in evaluation mode share this form.
struct LeakyRelu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float slope;
  float forward(float x) const {
    const float negative = scaled(slope, x);
    return x > 0 ? x : negative;
  }
  float derivative(float x) const { return x > 0 ? 1.0f : slope; }  // slope at 0
};

// rrelu in evaluation mode: the mean slope (lower + upper)/2 as a pair hi + lo, so that
// slope·x is rounded once (the float slope alone is 0.5 ULP off, 1.1 ULP after the product).
struct RreluEval {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float slope;
  float slope_lo;
  float forward(float x) const {
    if (x > 0) return x;
    if (slope == 0) return 0.0f;
    const float p = slope * x;
    return detail::add_correction(p, product_error(slope, x, p) + slope_lo * x);
  }
  float derivative(float x) const { return x > 0 ? 1.0f : slope; }
};

struct Threshold {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float threshold;
  float value;
  float forward(float x) const { return x > threshold ? x : value; }
  float derivative(float x) const { return x > threshold ? 1.0f : 0.0f; }
};

// ---------------------------------------------------------------- exponential family

struct Elu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float alpha;
  // expm1 keeps elu(−1e−30) = −1e−30 (e^x − 1 gives 0 there).
  float forward(float x) const { return x > 0 ? x : alpha * std::expm1(x); }
  float derivative(float x) const { return x > 0 ? 1.0f : times_exp(alpha, x); }
};

struct Celu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float alpha;
  // alpha·expm1(u + u_lo), u = fl(x/alpha): expm1(u + u_lo) ≈ m + (m + 1)·u_lo.
  float forward(float x) const {
    if (x > 0) return x;
    const float u = x / alpha;
    const float u_lo = finite_or_zero(-product_error(u, alpha, x) / alpha);
    const float m = std::expm1(u);
    const float p = alpha * m;
    return detail::add_correction(p, product_error(alpha, m, p) + alpha * ((m + 1) * u_lo));
  }
  // e^(x/alpha): the rounding error of u = fl(x/alpha) is amplified by |u| in e^u, so it
  // is carried (u_lo = (x − u·alpha)/alpha, exact remainder by fma) and added back.
  float derivative(float x) const {
    if (x > 0) return 1.0f;
    const float u = x / alpha;
    const float u_lo = finite_or_zero(-product_error(u, alpha, x) / alpha);
    const float e = std::exp(u);
    return e + e * u_lo;
  }
};

struct Selu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // Klambauer et al. 2017, as PyTorch writes them; scale·alpha is multiplied in double
  // before rounding, as PyTorch's negcoef.
  static constexpr double kAlpha = 1.6732632423543772848170429916717;
  static constexpr double kScale = 1.0507009873554804934193349852946;
  static constexpr float kScaleF = static_cast<float>(kScale);
  static constexpr float kScaleLo = static_cast<float>(kScale - kScaleF);
  static constexpr float kScaleAlphaF = static_cast<float>(kScale * kAlpha);
  static constexpr float kScaleAlphaLo = static_cast<float>(kScale * kAlpha - kScaleAlphaF);
  // c·v with the constant c = hi + lo, rounded once.
  static float times_constant(float hi, float lo, float v) {
    const float p = hi * v;
    return detail::add_correction(p, product_error(hi, v, p) + lo * v);
  }
  float forward(float x) const {
    return x > 0 ? times_constant(kScaleF, kScaleLo, x)
                 : times_constant(kScaleAlphaF, kScaleAlphaLo, std::expm1(x));
  }
  float derivative(float x) const {
    return x > 0 ? kScaleF : times_exp(kScaleAlphaF, x, kScaleAlphaLo);
  }
};

struct Exponential {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kOutput;
  float forward(float x) const { return std::exp(x); }
  float derivative(float y) const { return y; }
};

// ---------------------------------------------------------------- smooth ReLUs

struct Gelu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  static constexpr double kInvSqrt2 = 0.70710678118654752440;
  static constexpr float kInvSqrt2Hi = static_cast<float>(kInvSqrt2);
  static constexpr float kInvSqrt2Lo = static_cast<float>(kInvSqrt2 - kInvSqrt2Hi);
  static constexpr float kTwoOverSqrtPi = static_cast<float>(1.12837916709551257390);
  static constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/√(2π)
  static constexpr float kInvSqrt2PiHi = static_cast<float>(kInvSqrt2Pi);
  static constexpr float kInvSqrt2PiLo = static_cast<float>(kInvSqrt2Pi - kInvSqrt2PiHi);

  // Below x = −7: x·Φ(x) = −φ(x)·S(w), S the asymptotic (Mills ratio) series
  // 1 − w + 3w² − 15w³ + … in w = 1/x², through (2k − 1)!!·w^k for 2k − 1 = 35 (the next
  // term is below 1.3e-10 at x = −7). There glibc's erfcf is up to 2.7 ULP off, it turns
  // denormal below x ≈ −13 while gelu(x) does not, and e^(−x²/2) needs x² to more than
  // float precision (its rounding is amplified by x²/2 ≈ 25–100).
  static constexpr float kTailBelow = -7;
  static constexpr int kTailTerms = 35;
  static float tail(float x) {
    const float w = 1 / (x * x);
    float inner = 1;  // S = 1 − w·inner, inner = 1 − 3w·(1 − 5w·(…·(1 − 15w)))
    for (int k = kTailTerms; k >= 3; k -= 2) inner = 1 - static_cast<float>(k) * w * inner;
    const float t = w * inner;
    const float series = 1 - t;
    const float series_lo = detail::fast_sum_error(1.0f, -t, series) - product_error(w, inner, t);
    // y = −K·e^(−(s + s_lo)/2), K = S/√(2π) as hi + lo, s + s_lo = x²
    const float s = x * x;
    const float s_lo = finite_or_zero(product_error(x, x, s));
    const float k = series * kInvSqrt2PiHi;
    const float k_lo = product_error(series, kInvSqrt2PiHi, k) +
                       (series * kInvSqrt2PiLo + series_lo * kInvSqrt2PiHi);
    return -times_exp(k, -0.5f * s, k_lo, -0.5f * s_lo);
  }
  // 0.5·x·erfc(−x/√2): erfc keeps the tail (1 + erf cancels to 0 below x ≈ −6). There
  // erfc(z) falls like e^(−z²), so the rounding error of z = fl(−x/√2) is amplified by
  // 2z² (up to 50 ULP at x = −7); z is carried as z + z_lo and erfc corrected by its
  // slope. What remains is glibc's erfcf (up to 2.7 ULP; the table's bound is 4).
  float forward(float x) const {
    if (std::isinf(x)) return x > 0 ? x : -0.0f;
    if (x < kTailBelow) return tail(x);
    const float p = x * kInvSqrt2Hi;
    const float p_lo = finite_or_zero(product_error(x, kInvSqrt2Hi, p) + x * kInvSqrt2Lo);
    const float z = -p;  // z + z_lo = −x/√2, z_lo = −p_lo
    // erfc(z + z_lo) ≈ erfc(z) − (2/√π)·e^(−z²)·z_lo
    const float correction = kTwoOverSqrtPi * std::exp(-z * z) * p_lo;
    return (0.5f * x) * (std::erfc(z) + correction);
  }
  // Φ(x) + x·φ(x). It crosses 0 near x = −0.75 (backward_floor = 1 in the table).
  float derivative(float x) const {
    if (std::isinf(x)) return x > 0 ? 1.0f : 0.0f;
    return 0.5f * std::erfc(-x * kInvSqrt2Hi) + x * kInvSqrt2PiHi * std::exp(-0.5f * x * x);
  }
};

struct GeluTanh {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // v = 2u = a·x + b·x³, a = 2·√(2/π), b = 2·√(2/π)·0.044715 (Hendrycks & Gimpel 2016).
  static constexpr double kA = 1.59576912160573071176;
  static constexpr double kB = kA * 0.044715;
  static constexpr float kAHi = static_cast<float>(kA);
  static constexpr float kALo = static_cast<float>(kA - kAHi);
  static constexpr float kBHi = static_cast<float>(kB);
  static constexpr float kBLo = static_cast<float>(kB - kBHi);

  // v as hi + lo: σ(v) ≈ e^v for v ≪ 0 amplifies v's error by |v| (≈ 87 at x = −10).
  static Pair argument(float x) {
    const float x2 = x * x;
    const float x2_lo = product_error(x, x, x2);
    const float x3 = x2 * x;
    const float x3_lo = product_error(x2, x, x3) + x2_lo * x;
    const float t1 = kAHi * x;
    const float t1_lo = product_error(kAHi, x, t1) + kALo * x;
    const float t3 = kBHi * x3;
    const float t3_lo = product_error(kBHi, x3, t3) + (kBLo * x3 + kBHi * x3_lo);
    const float v = t1 + t3;  // same signs: no cancellation
    const float v_lo = detail::sum_error(t1, t3, v) + (t1_lo + t3_lo);
    return {v, finite_or_zero(v_lo)};
  }
  // 0.5·x·(1 + tanh u) = x·σ(2u): no cancellation of 1 + tanh u for x < 0.
  float forward(float x) const {
    if (std::isinf(x)) return x > 0 ? x : -0.0f;
    const Pair v = argument(x);
    return times_sigmoid(x, v.hi, v.lo);
  }
  // σ(v) + x·σ'(v)·v', σ' = e/(1 + e)², v' = a + 3b·x²; 0 far out, where x·v' overflows.
  float derivative(float x) const {
    if (std::isinf(x)) return x > 0 ? 1.0f : 0.0f;
    const float v = kAHi * x + kBHi * (x * x * x);
    const float e = std::exp(-std::fabs(v));
    const float slope = e / ((1 + e) * (1 + e));
    const float dv = kAHi + 3 * kBHi * (x * x);
    return sigmoid_from_exp(v, e) + (slope == 0 ? 0.0f : x * slope * dv);
  }
};

struct Silu {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float beta;
  // x·σ(β·x), with the rounding error of β·x carried into σ (40 ULP at β·x ≈ −80 without).
  float forward(float x) const {
    if (std::isinf(x)) return x > 0 ? x : -0.0f;
    const float v = beta * x;
    const float v_lo = finite_or_zero(product_error(beta, x, v));
    return times_sigmoid(x, v, v_lo);
  }
  // s + β·x·s·(1 − s), s = σ(β·x); crosses 0 at β·x ≈ −1.2785 (backward_floor = 1).
  float derivative(float x) const {
    if (std::isinf(x)) return x > 0 ? 1.0f : 0.0f;
    const float v = beta * x;
    const float e = std::exp(-std::fabs(v));
    const float slope = e / ((1 + e) * (1 + e));
    return sigmoid_from_exp(v, e) + (slope == 0 ? 0.0f : v * slope);
  }
};

struct Hardswish {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // x·(x + 3)/6 with x + 3 and the product carried exactly, one rounding at the division
  // (three roundings reach 1.9 ULP).
  float forward(float x) const {
    if (x <= -3) return 0.0f;
    if (x >= 3) return x;
    const float u = x + 3;
    const float p = x * u;
    const float p_lo = product_error(x, u, p) + x * detail::sum_error(x, 3.0f, u);
    return detail::divide_pairs(p, p_lo, 6.0f, 0.0f);
  }
  // (2x + 3)/6 on the closed [−3, 3]: PyTorch's hardswish_backward.
  float derivative(float x) const {
    const float mid = (2 * x + 3) / 6;
    return x < -3 ? 0.0f : x <= 3 ? mid : 1.0f;
  }
};

struct Mish {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // tanh(softplus(x)) without log or tanh: with e = e^x, (1 + e)² = n + 1 and
  // tanh(log(1 + e)) = n/(n + 2), n = e·(e + 2); for x > 0 the same in e = e^(−x), so
  // nothing overflows. `one_minus` is 1 − tanh(sp) without cancellation, `sig` = σ(x).
  struct Parts {
    float tanh_sp;
    float one_minus;
    float sig;
  };
  static Parts parts(float x) {
    if (x <= 0) {
      const float e = std::exp(x);
      const float n = e * (e + 2);
      return {n / (n + 2), 2 / (n + 2), e / (1 + e)};
    }
    const float e = std::exp(-x);
    const float d = (1 + 2 * e) + 2 * (e * e);
    return {(1 + 2 * e) / d, 2 * (e * e) / d, 1 / (1 + e)};
  }
  // x·tanh(sp) = x·N/D with N, D carried as hi + lo pairs and one division at the end
  // (3.6 ULP when each step rounds): x ≤ 0: N = n = 2e + e², D = n + 2, e = e^x;
  // x > 0: N = 1 + 2e, D = 1 + 2e + 2e², e = e^(−x).
  float forward(float x) const {
    if (std::isinf(x)) return x > 0 ? x : -0.0f;
    // tanh(sp) = e^x to float precision far out, where e^x may be denormal but x·e^x not.
    if (x < detail::kExpTail) return times_exp(x, x);
    float num, num_lo, den, den_lo;
    if (x <= 0) {
      const float e = std::exp(x);
      const float e2 = e * e;
      num = 2 * e + e2;  // 2e ≥ e² for e ≤ 1
      num_lo = detail::fast_sum_error(2 * e, e2, num) + product_error(e, e, e2);
      den = 2 + num;
      den_lo = detail::fast_sum_error(2.0f, num, den) + num_lo;
    } else {
      const float e = std::exp(-x);
      const float e2 = 2 * (e * e);
      num = 1 + 2 * e;
      num_lo = detail::fast_sum_error(1.0f, 2 * e, num);
      den = num + e2;
      den_lo = detail::fast_sum_error(num, e2, den) + num_lo + 2 * product_error(e, e, 0.5f * e2);
    }
    const float p = x * num;
    return detail::divide_pairs(p, product_error(x, num, p) + x * num_lo, den, den_lo);
  }
  // tanh(sp) + x·sech²(sp)·σ(x), sech² = (1 − t)(1 + t); crosses 0 near x = −1.19.
  float derivative(float x) const {
    if (std::isinf(x)) return x > 0 ? 1.0f : 0.0f;
    const Parts p = parts(x);
    return p.tanh_sp + x * (p.one_minus * (1 + p.tanh_sp)) * p.sig;
  }
};

struct Softplus {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float beta;
  float threshold;
  // log(1 + e^v)/β, v = β·x, as max(v, 0) + log1p(e^(−|v|)) (no overflow for any
  // threshold); PyTorch's rule x itself once fl(β·x) > threshold. The rounding error v_lo
  // of β·x enters through the slope σ(v) (50 ULP at β·x ≈ −100 without); the sum and the
  // division by β round once.
  float forward(float x) const {
    const float v = beta * x;
    if (v > threshold) return x;
    const float e = std::exp(-std::fabs(v));
    const float l = std::log1p(e);
    const float v_lo = finite_or_zero(product_error(beta, x, v));
    const float slope_term = sigmoid_from_exp(v, e) * v_lo;
    if (v <= 0) return detail::divide_pairs(l, slope_term, beta, 0.0f);
    const float sp = v + l;
    return detail::divide_pairs(sp, detail::sum_error(v, l, sp) + slope_term, beta, 0.0f);
  }
  float derivative(float x) const {
    const float v = beta * x;
    if (v > threshold) return 1.0f;
    return times_sigmoid(1.0f, v, finite_or_zero(product_error(beta, x, v)));
  }
};

struct Squareplus {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float b;
  // r = √(x² + b) as hi + lo: x² and the sum carried exactly, then one Newton correction
  // of the square root, so r's error does not enter twice in (b/2)/(r·(r − x)). For
  // |x| > 1.8e19 x² overflows and r = |x|·√(1 + b/x²); r = |x| for b = 0 (where x² of a
  // tiny x underflows).
  Pair root(float x) const {
    const float a = std::fabs(x);
    if (b == 0) return {a, 0.0f};
    const float x2 = a * a;
    const float r2 = x2 + b;
    if (!(r2 < detail::kInfF)) return {a * std::sqrt(1 + (b / a) / a), 0.0f};
    const float r2_lo = detail::sum_error(x2, b, r2) + product_error(a, a, x2);
    const float r = std::sqrt(r2);
    return {r, (r2_lo - product_error(r, r, r2)) / (2 * r)};
  }
  // r/2 − x/2 = (r + |x|)/2 for x < 0 as hi + lo (halves: no overflow near FLT_MAX).
  static Pair half_gap(const Pair& r, float x) {
    const float h = 0.5f * r.hi - 0.5f * x;
    return {h, detail::fast_sum_error(0.5f * r.hi, -0.5f * x, h) + 0.5f * r.lo};
  }
  // (x + r)/2; for x < 0 it cancels, and (x + r)(r − x) = b gives (b/4)/((r − x)/2).
  float forward(float x) const {
    if (std::isinf(x)) return x > 0 ? x : 0.0f;
    const Pair r = root(x);
    if (x < 0) {
      const Pair gap = half_gap(r, x);
      return detail::divide_pairs(0.25f * b, 0.0f, gap.hi, gap.lo);
    }
    const float s = 0.5f * x + 0.5f * r.hi;
    return s + (detail::fast_sum_error(0.5f * r.hi, 0.5f * x, s) + 0.5f * r.lo);
  }
  // (1 + x/r)/2; for x < 0, 1 + x/r = b/(r·(r − x)), so f' = (b/4)/(r·(r − x)/2). At b = 0
  // and x = 0, 1/2 (the value every b > 0 gives at 0).
  float derivative(float x) const {
    if (std::isinf(x)) return x > 0 ? 1.0f : 0.0f;
    const Pair r = root(x);
    if (r.hi == 0) return 0.5f;
    if (x >= 0) return 0.5f + 0.5f * detail::divide_pairs(x, 0.0f, r.hi, r.lo);
    const Pair gap = half_gap(r, x);
    const float d = r.hi * gap.hi;
    if (!(d < detail::kInfF)) return ((0.25f * b) / r.hi) / gap.hi;  // |x| > 2.6e19
    const float d_lo = product_error(r.hi, gap.hi, d) + (r.hi * gap.lo + r.lo * gap.hi);
    return detail::divide_pairs(0.25f * b, 0.0f, d, d_lo);
  }
};

struct SparsePlus {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // (x + 1)²/4 with u = fl(x + 1) and its rounding error u_lo: (u + u_lo)² ≈ u² + 2u·u_lo.
  float forward(float x) const {
    const float u = x + 1;
    const float u_lo = detail::fast_sum_error(1.0f, x, u);  // exact for |x| < 1
    const float mid = 0.25f * (u * u + 2 * u * u_lo);
    return x <= -1 ? 0.0f : x >= 1 ? x : mid;
  }
  float derivative(float x) const {
    const float mid = 0.5f * (x + 1);
    return x <= -1 ? 0.0f : x >= 1 ? 1.0f : mid;
  }
};

// ---------------------------------------------------------------- sign and shrink

struct Softsign {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float forward(float x) const {
    const float q = x / (1 + std::fabs(x));
    return std::isinf(x) ? std::copysign(1.0f, x) : q;  // inf/inf would be NaN
  }
  // 1/(1 + |x|)² with 1 + |x| and its square carried exactly (d² = D + D_lo), one
  // rounding in all (r·r with r = 1/(1 + |x|) rounds three times: 3.4 ULP). Past
  // |x| = 1.8e19, where d² overflows, r·r.
  float derivative(float x) const {
    const float a = std::fabs(x);
    const float d = 1 + a;
    const float dd = d * d;
    if (!(dd < detail::kInfF)) {
      const float r = 1 / d;
      return r * r;
    }
    const float dd_lo = product_error(d, d, dd) + 2 * d * detail::sum_error(1.0f, a, d);
    return detail::divide_pairs(1.0f, 0.0f, dd, dd_lo);
  }
};

struct Softshrink {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float lambd;
  float forward(float x) const {
    const float down = x - lambd;
    const float up = x + lambd;
    return x > lambd ? down : x < -lambd ? up : 0.0f;
  }
  // 0 on the closed [−lambd, lambd] (PyTorch's shrink backward).
  float derivative(float x) const { return x > lambd || x < -lambd ? 1.0f : 0.0f; }
};

struct Hardshrink {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  float lambd;
  float forward(float x) const { return x > lambd || x < -lambd ? x : 0.0f; }
  float derivative(float x) const { return x > lambd || x < -lambd ? 1.0f : 0.0f; }
};

struct Tanhshrink {
  static constexpr BackwardFrom kBackwardFrom = BackwardFrom::kInput;
  // x − tanh x: the series below |x| = 1 (the plain difference loses everything near 0,
  // where tanh x = x − x³/3 + …, and 8 ULP at x = 1); (|x| − 1) + 2e/(1 + e) above.
  float forward(float x) const {
    const float a = std::fabs(x);
    return std::copysign(a < 1 ? tanhshrink_series(a) : (a - 1) + tanh_gap(a), x);
  }
  // tanh²(x), squaring tanh's hi + lo pair with its error (tanhf(x)² is 4.3 ULP off).
  float derivative(float x) const {
    const Pair t = tanh_pair(std::fabs(x));
    const float tt = t.hi * t.hi;
    return tt + (product_error(t.hi, t.hi, tt) + 2 * t.hi * t.lo);
  }
};

}  // namespace actlab::kernels::ops
