// The elementwise loops, compiled once per SIMD target by Highway (foreach_target.h: scalar,
// SSE4, AVX2, AVX-512 on x86-64) and dispatched once at run time (HWY_DYNAMIC_DISPATCH).
//
// Each op of elementwise_ops.hpp may have a vector twin here, VecOp<Op>, with Forward and
// Derivative over a vector of lanes. Ops without one (or whose twin needs FMA, on targets
// without it) run the scalar loop of scalar_loops.hpp instead, so every activation works on
// every target. The vector loop handles NaN as the scalar one does (NaN in, the same NaN
// out) and handles the tail with the same vector code on a padded copy, so each element's
// bits do not depend on its position (in place = out of place; any split across threads).
//
// Never compile this file with -ffast-math: the error-free transforms (product errors by
// MulSub, two-sums) need IEEE arithmetic.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/elementwise_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// clang-format on

#include "kernels/elementwise_simd.hpp"

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels/op_switch.hpp"
#include "kernels/scalar_loops.hpp"
#include "kernels/vec_fast-inl.h"
#include "kernels/vec_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// The vector twin of an op; kForward / kBackward say which directions it has (the others
// run the scalar loop). The primary template has none.
template <class Op>
struct VecOp {
  static constexpr bool kForward = false;
  static constexpr bool kBackward = false;
};

// ---------------------------------------------------------------- cheap ops (every target)
// Same operations in the same order as the scalar ops, so the same bits.

template <>
struct VecOp<ops::BinaryStep> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::BinaryStep& op, V x) {
    return hn::IfThenElse(x < hn::Set(d, op.threshold), hn::Zero(d), hn::Set(d, 1.0f));
  }
  static V Derivative(D d, const ops::BinaryStep&, V) { return hn::Zero(d); }
};

template <>
struct VecOp<ops::Identity> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D, const ops::Identity&, V x) { return x; }
  static V Derivative(D d, const ops::Identity&, V) { return hn::Set(d, 1.0f); }
};

template <>
struct VecOp<ops::Relu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Relu&, V x) { return hn::IfThenElseZero(x > hn::Zero(d), x); }
  static V Derivative(D d, const ops::Relu&, V y) {
    return hn::IfThenElseZero(y > hn::Zero(d), hn::Set(d, 1.0f));
  }
};

template <>
struct VecOp<ops::Relu6> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Relu6&, V x) {
    const V six = hn::Set(d, 6.0f);
    return hn::IfThenZeroElse(x <= hn::Zero(d), hn::IfThenElse(x >= six, six, x));
  }
  static V Derivative(D d, const ops::Relu6&, V x) {
    return hn::IfThenElseZero(hn::And(x > hn::Zero(d), x < hn::Set(d, 6.0f)), hn::Set(d, 1.0f));
  }
};

template <>
struct VecOp<ops::LeakyRelu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::LeakyRelu& op, V x) {
    // slope·x, and 0 for a zero slope (even at x = −inf): ops::scaled
    const V negative = op.slope == 0 ? hn::Zero(d) : hn::Mul(hn::Set(d, op.slope), x);
    return hn::IfThenElse(x > hn::Zero(d), x, negative);
  }
  static V Derivative(D d, const ops::LeakyRelu& op, V x) {
    return hn::IfThenElse(x > hn::Zero(d), hn::Set(d, 1.0f), hn::Set(d, op.slope));
  }
};

template <>
struct VecOp<ops::HardTanh> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::HardTanh& op, V x) {
    const V lo = hn::Set(d, op.min_val);
    const V hi = hn::Set(d, op.max_val);
    return hn::IfThenElse(x < lo, lo, hn::IfThenElse(x > hi, hi, x));
  }
  static V Derivative(D d, const ops::HardTanh& op, V x) {
    const auto inside = hn::And(x > hn::Set(d, op.min_val), x < hn::Set(d, op.max_val));
    return hn::IfThenElseZero(inside, hn::Set(d, 1.0f));
  }
};

template <>
struct VecOp<ops::Threshold> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Threshold& op, V x) {
    return hn::IfThenElse(x > hn::Set(d, op.threshold), x, hn::Set(d, op.value));
  }
  static V Derivative(D d, const ops::Threshold& op, V x) {
    return hn::IfThenElseZero(x > hn::Set(d, op.threshold), hn::Set(d, 1.0f));
  }
};

template <>
struct VecOp<ops::HardSigmoid> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::HardSigmoid&, V x) {
    const V mid = hn::Div(hn::Add(x, hn::Set(d, 3.0f)), hn::Set(d, 6.0f));
    return hn::IfThenZeroElse(x <= hn::Set(d, -3.0f),
                              hn::IfThenElse(x >= hn::Set(d, 3.0f), hn::Set(d, 1.0f), mid));
  }
  static V Derivative(D d, const ops::HardSigmoid&, V x) {
    const auto inside = hn::And(x > hn::Set(d, -3.0f), x < hn::Set(d, 3.0f));
    return hn::IfThenElseZero(inside, hn::Set(d, 1.0f / 6));
  }
};

template <>
struct VecOp<ops::Softshrink> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Softshrink& op, V x) {
    const V lambd = hn::Set(d, op.lambd);
    const V down = hn::Sub(x, lambd);
    const V up = hn::Add(x, lambd);
    return hn::IfThenElse(x > lambd, down, hn::IfThenElseZero(x < hn::Neg(lambd), up));
  }
  static V Derivative(D d, const ops::Softshrink& op, V x) {
    const V lambd = hn::Set(d, op.lambd);
    return hn::IfThenElseZero(hn::Or(x > lambd, x < hn::Neg(lambd)), hn::Set(d, 1.0f));
  }
};

template <>
struct VecOp<ops::Hardshrink> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Hardshrink& op, V x) {
    const V lambd = hn::Set(d, op.lambd);
    return hn::IfThenElseZero(hn::Or(x > lambd, x < hn::Neg(lambd)), x);
  }
  static V Derivative(D d, const ops::Hardshrink& op, V x) {
    const V lambd = hn::Set(d, op.lambd);
    return hn::IfThenElseZero(hn::Or(x > lambd, x < hn::Neg(lambd)), hn::Set(d, 1.0f));
  }
};

// Backward from the output: y·(1 − y), (1 − y)(1 + y), y.
template <>
struct VecOp<ops::Sigmoid> {
  static constexpr bool kForward = HWY_NATIVE_FMA;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Sigmoid&, V x) {
    return vm::TimesSigmoid(d, hn::Set(d, 1.0f), x, hn::Zero(d));
  }
  static V Derivative(D d, const ops::Sigmoid&, V y) {
    return hn::Mul(y, hn::Sub(hn::Set(d, 1.0f), y));
  }
};

template <>
struct VecOp<ops::Exponential> {
  static constexpr bool kForward = HWY_NATIVE_FMA;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Exponential&, V x) { return vm::Exp(d, x, hn::Zero(d)); }
  static V Derivative(D, const ops::Exponential&, V y) { return y; }
};

// ---------------------------------------------------------------- exp-based ops (FMA targets)
// Vector forms of elementwise_ops.hpp's ops, built on vec_math-inl.h; same corrections.
#if HWY_NATIVE_FMA

// x − tanh x for 0 ≤ a < 1: ops::tanhshrink_series (coefficients and pairs from there).
HWY_INLINE V TanhshrinkSeries(D d, V a) {
  static constexpr float kR[] = {5.396825448e-02f,  -2.186945081e-02f, 8.862440474e-03f,
                                 -3.585567698e-03f, 1.428668504e-03f,  -5.267356755e-04f,
                                 1.516902848e-04f,  -2.345459689e-05f};
  const V third_hi = hn::Set(d, 3.333333433e-01f), third_lo = hn::Set(d, -9.934107759e-09f);
  const V q0_hi = hn::Set(d, -1.333333403e-01f), q0_lo = hn::Set(d, 6.953875253e-09f);
  const V s = hn::Mul(a, a);
  const V s_lo = vm::ProductError(a, a, s);
  V r = hn::Set(d, kR[7]);
  for (int k = 6; k >= 0; --k) r = hn::Add(hn::Mul(r, s), hn::Set(d, kR[k]));
  const V sr = hn::Mul(s, r);
  const V inner = hn::Add(q0_hi, sr);
  const V inner_lo =
      hn::Add(hn::Add(vm::FastSumError(q0_hi, sr, inner), vm::ProductError(s, r, sr)), q0_lo);
  const V rest = hn::Mul(s, inner);
  const V rest_lo = hn::Add(vm::ProductError(s, inner, rest),
                            hn::Add(hn::Mul(s, inner_lo), hn::Mul(s_lo, inner)));
  const V p = hn::Add(third_hi, rest);
  const V p_lo = hn::Add(hn::Add(vm::FastSumError(third_hi, rest, p), rest_lo), third_lo);
  const V c = hn::Mul(a, s);
  const V c_lo = hn::Add(vm::ProductError(a, s, c), hn::Mul(a, s_lo));
  const V y = hn::Mul(c, p);
  return hn::Add(y,
                 hn::Add(vm::ProductError(c, p, y), hn::Add(hn::Mul(c_lo, p), hn::Mul(c, p_lo))));
}

// 1 − tanh a = 2e/(1 + e), e = e^(−2a) as hi + lo, for a ≥ 1; one rounding.
HWY_INLINE V TanhGap(D d, V a) {
  const vm::ExpParts<D> e = vm::ExpReduce(d, hn::Mul(hn::Set(d, -2.0f), a), hn::Zero(d));
  const vm::Scaler<D> scale(d, e.n);
  const V es = scale(e.hi);
  const V es_lo = scale(e.lo);
  const V one = hn::Set(d, 1.0f);
  const V s = hn::Add(one, es);
  const V two = hn::Set(d, 2.0f);
  return vm::DividePairs(d, hn::Mul(two, es), hn::Mul(two, es_lo), s,
                         hn::Add(vm::FastSumError(one, es, s), es_lo));
}

// e^v for v ≤ 0 as hi + lo (both scaled by 2^n).
HWY_INLINE vm::Pair<D> ExpPairScaled(D d, V v) {
  const vm::ExpParts<D> e = vm::ExpReduce(d, v, hn::Zero(d));
  const vm::Scaler<D> scale(d, e.n);
  // hi + lo renormalised first, so that a denormal e^v is rounded once, from both parts.
  const V u = hn::Add(e.hi, e.lo);
  return {scale(u), scale(vm::FastSumError(e.hi, e.lo, u))};
}

// c·v for a constant c = hi + lo, rounded once (ops::Selu::times_constant).
HWY_INLINE V TimesConstant(D d, float hi, float lo, V v, V v_lo) {
  const V h = hn::Set(d, hi);
  const V p = hn::Mul(h, v);
  return vm::AddCorrection(
      d, p, hn::Add(vm::ProductError(h, v, p), hn::MulAdd(hn::Set(d, lo), v, hn::Mul(h, v_lo))));
}

// σ(v) + v·σ'(v) style pieces: σ(v) from e = e^(−|v|) (detail::sigmoid_from_exp).
HWY_INLINE V SigmoidFromExp(D d, V v, V e) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(hn::IfThenElse(hn::Lt(v, hn::Zero(d)), e, one), hn::Add(one, e));
}

// x for x ≤ 0 (−0 kept, as the scalar ops' x > 0 test), else 0: the negative branch's input.
HWY_INLINE V NonPositive(D d, V x) { return hn::IfThenZeroElse(hn::Gt(x, hn::Zero(d)), x); }

// f'(±inf) = 1 at +inf, 0 at −inf for the smooth ReLUs.
HWY_INLINE V InfLimits(D d, V x, V f) {
  return hn::IfThenElse(hn::IsInf(x), hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f)),
                        f);
}

template <>
struct VecOp<ops::Silu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Silu& op, V x) {
    const V beta = hn::Set(d, op.beta);
    const V v = hn::Mul(beta, x);
    return vm::TimesSigmoid(d, x, v, vm::FiniteOrZero(d, vm::ProductError(beta, x, v)));
  }
  static V Derivative(D d, const ops::Silu& op, V x) {
    const V v = hn::Mul(hn::Set(d, op.beta), x);
    const V e = vm::Exp(d, hn::Neg(hn::Abs(v)), hn::Zero(d));
    const V one = hn::Set(d, 1.0f);
    const V ope = hn::Add(one, e);
    const V slope = hn::Div(e, hn::Mul(ope, ope));
    const V term = hn::IfThenZeroElse(hn::Eq(slope, hn::Zero(d)), hn::Mul(v, slope));
    return InfLimits(d, x, hn::Add(SigmoidFromExp(d, v, e), term));
  }
};

template <>
struct VecOp<ops::LogSigmoid> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // min(x, 0) − log1p(e^(−|x|)), the log1p as hi + lo and the difference rounded once.
  static V Forward(D d, const ops::LogSigmoid&, V x) {
    const vm::Pair<D> e = ExpPairScaled(d, hn::Neg(hn::Abs(x)));
    const vm::Pair<D> l = vm::Log1pPair(d, e.hi, e.lo);
    const V m = hn::IfThenElseZero(hn::Lt(x, hn::Zero(d)), x);
    const V y = hn::Sub(m, l.hi);
    const V y_lo = vm::FiniteOrZero(d, hn::Sub(vm::SumError(m, hn::Neg(l.hi), y), l.lo));
    return hn::Add(y, y_lo);
  }
  static V Derivative(D d, const ops::LogSigmoid&, V x) {
    return vm::TimesSigmoid(d, hn::Set(d, 1.0f), hn::Neg(x), hn::Zero(d));
  }
};

template <>
struct VecOp<ops::Softplus> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // (max(v, 0) + log1p(e^(−|v|)))/β, v = β·x, with v's rounding error through the slope
  // σ(v) and one rounding at the division (ops::Softplus::forward); x past the threshold.
  static V Forward(D d, const ops::Softplus& op, V x) {
    const V beta = hn::Set(d, op.beta);
    const V v = hn::Mul(beta, x);
    const vm::Pair<D> e = ExpPairScaled(d, hn::Neg(hn::Abs(v)));
    const vm::Pair<D> l = vm::Log1pPair(d, e.hi, e.lo);
    const V v_lo = vm::FiniteOrZero(d, vm::ProductError(beta, x, v));
    const V slope_term = hn::Mul(SigmoidFromExp(d, v, e.hi), v_lo);
    const auto positive = hn::Gt(v, hn::Zero(d));
    const V sp = hn::Add(v, l.hi);
    const V sp_lo = vm::FiniteOrZero(d, vm::SumError(v, l.hi, sp));
    const V num = hn::IfThenElse(positive, sp, l.hi);
    const V num_lo = hn::Add(hn::Add(hn::IfThenElseZero(positive, sp_lo), l.lo), slope_term);
    const V y = vm::DividePairs(d, num, num_lo, beta, hn::Zero(d));
    return hn::IfThenElse(hn::Gt(v, hn::Set(d, op.threshold)), x, y);
  }
  static V Derivative(D d, const ops::Softplus& op, V x) {
    const V beta = hn::Set(d, op.beta);
    const V v = hn::Mul(beta, x);
    const V s =
        vm::TimesSigmoid(d, hn::Set(d, 1.0f), v, vm::FiniteOrZero(d, vm::ProductError(beta, x, v)));
    return hn::IfThenElse(hn::Gt(v, hn::Set(d, op.threshold)), hn::Set(d, 1.0f), s);
  }
};

template <>
struct VecOp<ops::Elu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // alpha·expm1(x) with expm1 as hi + lo: rounded once.
  static V Forward(D d, const ops::Elu& op, V x) {
    const vm::Pair<D> m = vm::Expm1Pair(d, NonPositive(d, x), hn::Zero(d));
    const V alpha = hn::Set(d, op.alpha);
    const V p = hn::Mul(alpha, m.hi);
    const V neg =
        vm::AddCorrection(d, p, hn::MulAdd(alpha, m.lo, vm::ProductError(alpha, m.hi, p)));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  static V Derivative(D d, const ops::Elu& op, V x) {
    const V neg = vm::TimesExp(d, hn::Set(d, op.alpha), hn::Zero(d), x, hn::Zero(d));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), neg);
  }
};

template <>
struct VecOp<ops::Celu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // u + u_lo = x/alpha (exact remainder by fma), as ops::Celu.
  static vm::Pair<D> Argument(D d, const ops::Celu& op, V x) {
    const V alpha = hn::Set(d, op.alpha);
    const V u = hn::Div(x, alpha);
    return {u, vm::FiniteOrZero(d, hn::Div(hn::Neg(vm::ProductError(u, alpha, x)), alpha))};
  }
  static V Forward(D d, const ops::Celu& op, V x) {
    const vm::Pair<D> u = Argument(d, op, NonPositive(d, x));
    const vm::Pair<D> m = vm::Expm1Pair(d, u.hi, u.lo);
    const V alpha = hn::Set(d, op.alpha);
    const V p = hn::Mul(alpha, m.hi);
    const V neg =
        vm::AddCorrection(d, p, hn::MulAdd(alpha, m.lo, vm::ProductError(alpha, m.hi, p)));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  static V Derivative(D d, const ops::Celu& op, V x) {
    const vm::Pair<D> u = Argument(d, op, NonPositive(d, x));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), vm::Exp(d, u.hi, u.lo));
  }
};

template <>
struct VecOp<ops::Selu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  using S = ops::Selu;
  static V Forward(D d, const S&, V x) {
    const vm::Pair<D> m = vm::Expm1Pair(d, NonPositive(d, x), hn::Zero(d));
    const V pos = TimesConstant(d, S::kScaleF, S::kScaleLo, x, hn::Zero(d));
    const V neg = TimesConstant(d, S::kScaleAlphaF, S::kScaleAlphaLo, m.hi, m.lo);
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), pos, neg);
  }
  static V Derivative(D d, const S&, V x) {
    const V neg =
        vm::TimesExp(d, hn::Set(d, S::kScaleAlphaF), hn::Set(d, S::kScaleAlphaLo), x, hn::Zero(d));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, S::kScaleF), neg);
  }
};

template <>
struct VecOp<ops::GeluTanh> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  using G = ops::GeluTanh;
  // v = a·x + b·x³ as hi + lo (ops::GeluTanh::argument).
  static vm::Pair<D> Argument(D d, V x) {
    const V a_hi = hn::Set(d, G::kAHi), a_lo = hn::Set(d, G::kALo);
    const V b_hi = hn::Set(d, G::kBHi), b_lo = hn::Set(d, G::kBLo);
    const V x2 = hn::Mul(x, x);
    const V x2_lo = vm::ProductError(x, x, x2);
    const V x3 = hn::Mul(x2, x);
    const V x3_lo = hn::Add(vm::ProductError(x2, x, x3), hn::Mul(x2_lo, x));
    const V t1 = hn::Mul(a_hi, x);
    const V t1_lo = hn::Add(vm::ProductError(a_hi, x, t1), hn::Mul(a_lo, x));
    const V t3 = hn::Mul(b_hi, x3);
    const V t3_lo =
        hn::Add(vm::ProductError(b_hi, x3, t3), hn::Add(hn::Mul(b_lo, x3), hn::Mul(b_hi, x3_lo)));
    const V v = hn::Add(t1, t3);
    const V v_lo = hn::Add(vm::SumError(t1, t3, v), hn::Add(t1_lo, t3_lo));
    return {v, vm::FiniteOrZero(d, v_lo)};
  }
  static V Forward(D d, const G&, V x) {
    const vm::Pair<D> v = Argument(d, x);
    return vm::TimesSigmoid(d, x, v.hi, v.lo);
  }
  static V Derivative(D d, const G&, V x) {
    const V a = hn::Set(d, G::kAHi), b = hn::Set(d, G::kBHi);
    const V v = hn::Add(hn::Mul(a, x), hn::Mul(b, hn::Mul(hn::Mul(x, x), x)));
    const V e = vm::Exp(d, hn::Neg(hn::Abs(v)), hn::Zero(d));
    const V one = hn::Set(d, 1.0f);
    const V ope = hn::Add(one, e);
    const V slope = hn::Div(e, hn::Mul(ope, ope));
    const V dv = hn::Add(a, hn::Mul(hn::Mul(hn::Set(d, 3.0f), b), hn::Mul(x, x)));
    const V term = hn::IfThenZeroElse(hn::Eq(slope, hn::Zero(d)), hn::Mul(hn::Mul(x, slope), dv));
    return InfLimits(d, x, hn::Add(SigmoidFromExp(d, v, e), term));
  }
};

template <>
struct VecOp<ops::Mish> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // x·N/D as ops::Mish::forward, e = e^(−|x|) as hi + lo. For x ≤ 0, N = e·(2 + e) is
  // formed from the unscaled e^x and the quotient scaled last (no denormal e^x).
  static V Forward(D d, const ops::Mish&, V x) {
    const V zero = hn::Zero(d), one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
    const vm::ExpParts<D> ep = vm::ExpReduce(d, hn::Neg(hn::Abs(x)), zero);
    const vm::Scaler<D> scale(d, ep.n);
    const V e = scale(ep.hi);
    const V e_lo = scale(ep.lo);
    // x ≤ 0: N = e(2 + e) (unscaled: hi·w), D = 2 + e·w
    const V w = hn::Add(two, e);
    const V w_lo = hn::Add(vm::FastSumError(two, e, w), e_lo);
    const V nu = hn::Mul(ep.hi, w);
    const V nu_lo =
        hn::Add(vm::ProductError(ep.hi, w, nu), hn::MulAdd(ep.hi, w_lo, hn::Mul(ep.lo, w)));
    const V ew = hn::Mul(e, w);
    const V ew_lo = hn::Add(vm::ProductError(e, w, ew), hn::MulAdd(e, w_lo, hn::Mul(e_lo, w)));
    const V dn = hn::Add(two, ew);
    const V dn_lo = hn::Add(vm::FastSumError(two, ew, dn), ew_lo);
    // x > 0: N = 1 + 2e, D = N + 2e²
    const V e2 = hn::Mul(two, hn::Mul(e, e));
    const V e2_lo =
        hn::Mul(two, hn::MulAdd(hn::Add(e, e), e_lo, vm::ProductError(e, e, hn::Mul(e, e))));
    const V np = hn::Add(one, hn::Add(e, e));
    const V np_lo = hn::Add(vm::FastSumError(one, hn::Add(e, e), np), hn::Add(e_lo, e_lo));
    const V dp = hn::Add(np, e2);
    const V dp_lo = hn::Add(hn::Add(vm::FastSumError(np, e2, dp), np_lo), e2_lo);
    const auto negative = hn::Le(x, zero);
    const V num = hn::IfThenElse(negative, nu, np);
    const V num_lo = hn::IfThenElse(negative, nu_lo, np_lo);
    const V den = hn::IfThenElse(negative, dn, dp);
    const V den_lo = hn::IfThenElse(negative, dn_lo, dp_lo);
    const V p = hn::Mul(x, num);
    const V p_lo = vm::FiniteOrZero(d, hn::MulAdd(x, num_lo, vm::ProductError(x, num, p)));
    const V q = vm::DividePairs(d, p, p_lo, den, den_lo);
    const V y = scale.Only(d, negative)(q);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, vm::kExpMin)), hn::CopySign(zero, x), y);
  }
  // tanh(sp) + x·(1 − tanh(sp))(1 + tanh(sp))·σ(x), as ops::Mish::parts.
  static V Derivative(D d, const ops::Mish&, V x) {
    const V zero = hn::Zero(d), one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
    const V e = vm::Exp(d, hn::Neg(hn::Abs(x)), zero);
    const V n = hn::Mul(e, hn::Add(e, two));
    const V ee2 = hn::Mul(two, hn::Mul(e, e));
    const V dpos = hn::Add(hn::Add(one, hn::Mul(two, e)), ee2);
    const auto negative = hn::Le(x, zero);
    const V t = hn::IfThenElse(negative, hn::Div(n, hn::Add(n, two)),
                               hn::Div(hn::Add(one, hn::Mul(two, e)), dpos));
    const V om = hn::IfThenElse(negative, hn::Div(two, hn::Add(n, two)), hn::Div(ee2, dpos));
    const V sig =
        hn::IfThenElse(negative, hn::Div(e, hn::Add(one, e)), hn::Div(one, hn::Add(one, e)));
    return InfLimits(d, x, hn::Add(t, hn::Mul(hn::Mul(x, hn::Mul(om, hn::Add(one, t))), sig)));
  }
};

// erfcx(z) = e^(z²)·erfc(z) for z ∈ [0, 11] as hi + lo: 8 intervals (edges 0, 0.5, 1, 1.5,
// 2, 3, 4.5, 7, 11), on each a degree-10 polynomial in u = z − centre interpolating erfcx at
// 11 Chebyshev nodes (mpmath, 40 digits), the constant term as hi + lo. Max relative error
// with these float coefficients: 0.21 ULP (checked at 801 points per interval in exact
// arithmetic). Each lane picks its interval's coefficients with a table lookup (≤ 16 lanes).
// Fitting script: docs/conventions.md §8.
struct ErfcxTable {
  static constexpr float kCentre[16] = {
      2.500000000e-01f, 7.500000000e-01f, 1.250000000e+00f, 1.750000000e+00f,
      2.500000000e+00f, 3.750000000e+00f, 5.750000000e+00f, 9.000000000e+00f,
      0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
      0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f};
  static constexpr float kC0Lo[16] = {
      2.539975874e-08f,  2.726915760e-08f,  1.136733041e-09f, 1.407818040e-08f,
      -5.720350416e-09f, -2.908044028e-09f, 2.282224632e-09f, 1.171239550e-09f,
      0.000000000e+00f,  0.000000000e+00f,  0.000000000e+00f, 0.000000000e+00f,
      0.000000000e+00f,  0.000000000e+00f,  0.000000000e+00f, 0.000000000e+00f};
  static constexpr float kC[11][16] = {
      {7.703465223e-01f, 5.069376230e-01f, 3.678229153e-01f, 2.849722207e-01f, 2.108063698e-01f,
       1.455897242e-01f, 9.669877589e-02f, 6.230772287e-02f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f},
      {-7.432059050e-01f, -3.679727018e-01f, -2.088218778e-01f, -1.309763491e-01f,
       -7.434734702e-02f, -3.645625710e-02f, -1.634321734e-02f, -6.840134505e-03f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f},
      {5.845450759e-01f, 2.309581339e-01f, 1.067955717e-01f, 5.576362833e-02f, 2.493799664e-02f,
       8.878755383e-03f, 2.725273836e-03f, 7.465142990e-04f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f},
      {-3.980464041e-01f, -1.298360676e-01f, -5.021827295e-02f, -2.225999534e-02f,
       -8.001568727e-03f, -2.107282635e-03f, -4.485954705e-04f, -8.100374544e-05f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f},
      {2.425167412e-01f, 6.679054350e-02f, 2.201136388e-02f, 8.404319175e-03f, 2.467036713e-03f,
       4.882223438e-04f, 7.292425289e-05f, 8.739931218e-06f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f},
      {-1.349672228e-01f, -3.189729899e-02f, -9.081632830e-03f, -3.020975506e-03f,
       -7.335962728e-04f, -1.105818155e-04f, -1.171321401e-05f, -9.378595678e-07f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f},
      {6.959179044e-02f, 1.428921148e-02f, 3.553111572e-03f, 1.039204770e-03f, 2.110211353e-04f,
       2.451677028e-05f, 1.859419967e-06f, 1.000757663e-07f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f},
      {-3.357931226e-02f, -6.050185300e-03f, -1.325594028e-03f, -3.435015387e-04f,
       -5.882040932e-05f, -5.317622254e-06f, -2.906793952e-07f, -1.055780086e-08f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f},
      {1.529398467e-02f, 2.437175019e-03f, 4.739116121e-04f, 1.094963081e-04f, 1.594992682e-05f,
       1.133526894e-06f, 4.513539054e-08f, 1.114705106e-09f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f},
      {-6.803027820e-03f, -9.599808254e-04f, -1.659719128e-04f, -3.426290277e-05f,
       -4.406911103e-06f, -2.534932833e-07f, -7.687026127e-09f, -1.329144295e-10f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f},
      {2.800414106e-03f, 3.541195765e-04f, 5.499051986e-05f, 1.023000459e-05f, 1.132551461e-06f,
       5.202452158e-08f, 1.166336805e-09f, 1.386905608e-11f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f,
       0.000000000e+00f},
  };
};

HWY_INLINE vm::Pair<D> Erfcx(D d, V z) {
  const hn::RebindToSigned<D> di;
  auto idx = hn::Zero(di);
  for (float edge : {0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.5f, 7.0f}) {
    idx = hn::Sub(idx, hn::VecFromMask(di, hn::RebindMask(di, hn::Ge(z, hn::Set(d, edge)))));
  }
  const auto ind = hn::IndicesFromVec(d, idx);
  const auto pick = [&](const float* table) {
    return hn::TableLookupLanes(hn::LoadU(d, table), ind);
  };
  const V u = hn::Sub(z, pick(ErfcxTable::kCentre));
  V q = pick(ErfcxTable::kC[10]);
  for (int j = 9; j >= 1; --j) q = hn::MulAdd(q, u, pick(ErfcxTable::kC[j]));
  const V r = hn::Mul(u, q);
  const V c0 = pick(ErfcxTable::kC[0]);
  const V s = hn::Add(c0, r);
  const V s_lo =
      hn::Add(hn::Add(vm::SumError(c0, r, s), vm::ProductError(u, q, r)), pick(ErfcxTable::kC0Lo));
  return {s, s_lo};
}

template <>
struct VecOp<ops::Gelu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  using G = ops::Gelu;
  // z = |x|/√2 as p + p_lo, and erfc(z) = erfcx(z)·e^(−z²) with the exponent as a pair.
  struct Parts {
    V m_hi;  // erfcx(z) + its lo part and the slope correction for p_lo, as hi + lo
    V m_lo;
    V v;  // −z² as v + v_lo
    V v_lo;
  };
  static Parts Split(D d, V x) {
    const V a = hn::Abs(x);
    const V k_hi = hn::Set(d, G::kInvSqrt2Hi);
    const V p = hn::Mul(a, k_hi);
    const V p_lo = vm::FiniteOrZero(
        d, hn::MulAdd(a, hn::Set(d, G::kInvSqrt2Lo), vm::ProductError(a, k_hi, p)));
    const vm::Pair<D> e = Erfcx(d, hn::Min(p, hn::Set(d, 11.0f)));
    // erfcx(p + p_lo) ≈ erfcx(p)·(1 + (2p − (2/√π)/erfcx(p))·p_lo)
    const V slope = hn::Sub(hn::Add(p, p), hn::Div(hn::Set(d, G::kTwoOverSqrtPi), e.hi));
    const V m_lo = hn::MulAdd(hn::Mul(e.hi, slope), p_lo, e.lo);
    const V pp = hn::Mul(p, p);
    const V pp_lo = hn::MulAdd(hn::Add(p, p), p_lo, vm::ProductError(p, p, pp));
    return {e.hi, vm::FiniteOrZero(d, m_lo), hn::Neg(pp), vm::FiniteOrZero(d, hn::Neg(pp_lo))};
  }
  // w = 0.5·x·erfc(|x|/√2), the product formed before the 2^n scaling (no denormal loss in
  // the tail); gelu = w for x ≤ 0 and x − w for x > 0 (x·Φ(x) = x − 0.5·x·erfc(x/√2)).
  static V Forward(D d, const G&, V x) {
    const Parts t = Split(d, x);
    const V hx = hn::Mul(hn::Set(d, 0.5f), x);
    const V m = hn::Mul(hx, t.m_hi);
    const V m_lo = hn::MulAdd(hx, t.m_lo, vm::ProductError(hx, t.m_hi, m));
    const V w = vm::TimesExp(d, m, vm::FiniteOrZero(d, m_lo), t.v, t.v_lo);
    return hn::IfThenElse(hn::Le(x, hn::Zero(d)), w, hn::Sub(x, w));
  }
  // Φ(x) + x·φ(x), φ(x) = e^(−z²)/√(2π). Beyond |x| = 16, f' is 1 to float precision
  // (x > 0) or below the smallest denormal (x < 0), so x is clamped there: near |x| = 1e19,
  // z² sits at the edge of float overflow and the exponent pair broke (f'(2.6e19) was 4e4;
  // found by actlab-accuracy --exhaustive). NaN is restored after the clamp.
  static V Derivative(D d, const G&, V x_in) {
    const V limit = hn::Set(d, 16.0f);
    const V x = hn::Min(hn::Max(x_in, hn::Neg(limit)), limit);
    const Parts t = Split(d, x);
    const V ex = vm::Exp(d, t.v, t.v_lo);
    const V half = hn::Mul(hn::Set(d, 0.5f), hn::Mul(hn::Add(t.m_hi, t.m_lo), ex));
    const V phi = hn::IfThenElse(hn::Le(x, hn::Zero(d)), half, hn::Sub(hn::Set(d, 1.0f), half));
    const V term = hn::Mul(hn::Mul(x, hn::Set(d, G::kInvSqrt2PiHi)), ex);
    return hn::IfThenElse(hn::IsNaN(x_in), x_in, hn::Add(phi, term));
  }
};

template <>
struct VecOp<ops::Hardswish> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // x·(x + 3)/6 with x + 3 and the product carried exactly, one rounding (ops::Hardswish).
  static V Forward(D d, const ops::Hardswish&, V x) {
    const V three = hn::Set(d, 3.0f);
    const V u = hn::Add(x, three);
    const V p = hn::Mul(x, u);
    const V p_lo = hn::MulAdd(x, vm::SumError(x, three, u), vm::ProductError(x, u, p));
    const V mid = vm::DividePairs(d, p, vm::FiniteOrZero(d, p_lo), hn::Set(d, 6.0f), hn::Zero(d));
    return hn::IfThenZeroElse(hn::Le(x, hn::Neg(three)), hn::IfThenElse(hn::Ge(x, three), x, mid));
  }
  static V Derivative(D d, const ops::Hardswish&, V x) {
    const V mid =
        hn::Div(hn::Add(hn::Mul(hn::Set(d, 2.0f), x), hn::Set(d, 3.0f)), hn::Set(d, 6.0f));
    return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -3.0f)),
                              hn::IfThenElse(hn::Le(x, hn::Set(d, 3.0f)), mid, hn::Set(d, 1.0f)));
  }
};

template <>
struct VecOp<ops::Softsign> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Softsign&, V x) {
    const V q = hn::Div(x, hn::Add(hn::Set(d, 1.0f), hn::Abs(x)));
    return hn::IfThenElse(hn::IsInf(x), hn::CopySign(hn::Set(d, 1.0f), x), q);
  }
  // 1/(1 + |x|)² with 1 + |x| and its square carried exactly (ops::Softsign); r·r past the
  // overflow of the square.
  static V Derivative(D d, const ops::Softsign&, V x) {
    const V one = hn::Set(d, 1.0f);
    const V a = hn::Abs(x);
    const V dd1 = hn::Add(one, a);
    const V dd = hn::Mul(dd1, dd1);
    const V dd_lo =
        hn::MulAdd(hn::Add(dd1, dd1), vm::SumError(one, a, dd1), vm::ProductError(dd1, dd1, dd));
    const V exact = vm::DividePairs(d, one, hn::Zero(d), dd, vm::FiniteOrZero(d, dd_lo));
    const V r = hn::Div(one, dd1);
    return hn::IfThenElse(hn::IsFinite(dd), exact, hn::Mul(r, r));
  }
};

template <>
struct VecOp<ops::Tanhshrink> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // x − tanh x: the series below |x| = 1, (|x| − 1) + 2e/(1 + e) above (ops::Tanhshrink).
  static V Forward(D d, const ops::Tanhshrink&, V x) {
    const V a = hn::Abs(x);
    const V one = hn::Set(d, 1.0f);
    const V far = hn::Add(hn::Sub(a, one), TanhGap(d, a));
    return hn::CopySign(hn::IfThenElse(hn::Lt(a, one), TanhshrinkSeries(d, a), far), x);
  }
  // tanh²(x), squaring tanh's hi + lo pair with its error.
  static V Derivative(D d, const ops::Tanhshrink&, V x) {
    const V a = hn::Abs(x);
    const V one = hn::Set(d, 1.0f);
    const V g = TanhshrinkSeries(d, a);
    const V t_near = hn::Sub(a, g);
    const V lo_near = vm::FastSumError(a, hn::Neg(g), t_near);
    const V q = TanhGap(d, a);
    const V t_far = hn::Sub(one, q);
    const V lo_far = vm::FastSumError(one, hn::Neg(q), t_far);
    const auto near = hn::Lt(a, one);
    const V t = hn::IfThenElse(near, t_near, t_far);
    const V t_lo = hn::IfThenElse(near, lo_near, lo_far);
    const V tt = hn::Mul(t, t);
    return hn::Add(tt, hn::MulAdd(hn::Add(t, t), t_lo, vm::ProductError(t, t, tt)));
  }
};

template <>
struct VecOp<ops::Squareplus> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // r = √(x² + b) as hi + lo with one Newton correction; |x|·√(1 + b/x²) where x² + b
  // overflows; |x| for b = 0 (ops::Squareplus::root).
  static vm::Pair<D> Root(D d, const ops::Squareplus& op, V x) {
    const V a = hn::Abs(x);
    if (op.b == 0) return {a, hn::Zero(d)};
    const V b = hn::Set(d, op.b);
    const V x2 = hn::Mul(a, a);
    const V r2 = hn::Add(x2, b);
    const V r2_lo = hn::Add(vm::SumError(x2, b, r2), vm::ProductError(a, a, x2));
    const V r = hn::Sqrt(r2);
    const V r_lo = hn::Div(hn::Sub(r2_lo, vm::ProductError(r, r, r2)), hn::Add(r, r));
    const V big = hn::Mul(a, hn::Sqrt(hn::Add(hn::Set(d, 1.0f), hn::Div(hn::Div(b, a), a))));
    const auto finite = hn::IsFinite(r2);
    return {hn::IfThenElse(finite, r, big), hn::IfThenElseZero(finite, vm::FiniteOrZero(d, r_lo))};
  }
  // (r − x)/2 for x < 0, as hi + lo.
  static vm::Pair<D> HalfGap(D d, const vm::Pair<D>& r, V x) {
    const V half = hn::Set(d, 0.5f);
    const V hr = hn::Mul(half, r.hi);
    const V hx = hn::Neg(hn::Mul(half, x));
    const V h = hn::Add(hr, hx);
    return {h, hn::MulAdd(half, r.lo, vm::FastSumError(hr, hx, h))};
  }
  static V Forward(D d, const ops::Squareplus& op, V x) {
    const vm::Pair<D> r = Root(d, op, x);
    const vm::Pair<D> gap = HalfGap(d, r, x);
    const V neg = vm::DividePairs(d, hn::Set(d, 0.25f * op.b), hn::Zero(d), gap.hi, gap.lo);
    const V half = hn::Set(d, 0.5f);
    const V hr = hn::Mul(half, r.hi);
    const V hx = hn::Mul(half, x);
    const V sum = hn::Add(hx, hr);
    const V pos = hn::Add(sum, hn::MulAdd(half, r.lo, vm::FastSumError(hr, hx, sum)));
    const V y = hn::IfThenElse(hn::Lt(x, hn::Zero(d)), neg, pos);
    return hn::IfThenElse(hn::IsInf(x), hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), x), y);
  }
  static V Derivative(D d, const ops::Squareplus& op, V x) {
    const V half = hn::Set(d, 0.5f);
    const V quarter_b = hn::Set(d, 0.25f * op.b);
    const vm::Pair<D> r = Root(d, op, x);
    const V pos = hn::MulAdd(half, vm::DividePairs(d, x, hn::Zero(d), r.hi, r.lo), half);
    const vm::Pair<D> gap = HalfGap(d, r, x);
    const V dd = hn::Mul(r.hi, gap.hi);
    const V dd_lo = hn::Add(vm::ProductError(r.hi, gap.hi, dd),
                            hn::MulAdd(r.hi, gap.lo, hn::Mul(r.lo, gap.hi)));
    const V exact = vm::DividePairs(d, quarter_b, hn::Zero(d), dd, vm::FiniteOrZero(d, dd_lo));
    const V big = hn::Div(hn::Div(quarter_b, r.hi), gap.hi);
    const V neg = hn::IfThenElse(hn::IsFinite(dd), exact, big);
    const V y = hn::IfThenElse(hn::Ge(x, hn::Zero(d)), pos, neg);
    return InfLimits(d, x, hn::IfThenElse(hn::Eq(r.hi, hn::Zero(d)), half, y));
  }
};

#else
HWY_INLINE V TanhshrinkSeries(D, V a) { return a; }
HWY_INLINE V TanhGap(D, V a) { return a; }
#endif  // HWY_NATIVE_FMA

template <>
struct VecOp<ops::Tanh> {
  static constexpr bool kForward = HWY_NATIVE_FMA;
  static constexpr bool kBackward = true;
  // tanh a = a − (a − tanh a) below a = |x| = 1 (the series), 1 − 2e/(1 + e),
  // e = e^(−2a), above (ops::tanh_pair); both computed, then selected.
  static V Forward(D d, const ops::Tanh&, V x) {
    const V a = hn::Abs(x);
    const V near = hn::Sub(a, TanhshrinkSeries(d, a));
    const V one = hn::Set(d, 1.0f);
    const V far = hn::Sub(one, TanhGap(d, a));
    return hn::CopySign(hn::IfThenElse(hn::Lt(a, one), near, far), x);
  }
  static V Derivative(D d, const ops::Tanh&, V y) {
    const V one = hn::Set(d, 1.0f);
    return hn::Mul(hn::Sub(one, y), hn::Add(one, y));
  }
};

// ---------------------------------------------------------------- the fast tier

#include "kernels/elementwise_fast-inl.h"

// ---------------------------------------------------------------- the loops

// Runs f on the last n < Lanes(d) elements through a zero-padded copy, so the tail gets
// the same vector code (and bits) as the rest.
template <class F>
void Tail(D d, const float* a, const float* b, float* out, std::size_t n, F&& f) {
  constexpr std::size_t kMax = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN float pa[kMax] = {};
  HWY_ALIGN float pb[kMax] = {};
  HWY_ALIGN float po[kMax];
  std::memcpy(pa, a, n * sizeof(float));
  if (b != nullptr) std::memcpy(pb, b, n * sizeof(float));
  hn::Store(f(hn::Load(d, pa), hn::Load(d, pb)), d, po);
  std::memcpy(out, po, n * sizeof(float));
}

// y = f(x), NaN in giving the same NaN out (as detail::forward_loop); Twin is VecOp<Op> or
// FastOp<Op>.
template <class Twin, class Op>
void ForwardLoop(const Op& op_in, const float* x, float* y, std::size_t n) {
  const Op op = op_in;
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const auto body = [&](V v, V) {
    return hn::IfThenElse(hn::IsNaN(v), v, Twin::Forward(d, op, v));
  };
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(body(hn::LoadU(d, x + i), V()), d, y + i);
  if (i < n) Tail(d, x + i, nullptr, y + i, n - i, body);
}

// dx = dy·f'(s), with f'(NaN) = NaN (as detail::backward_loop).
template <class Twin, class Op>
void BackwardLoop(const Op& op_in, const float* s, const float* dy, float* dx, std::size_t n) {
  const Op op = op_in;
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const auto body = [&](V v, V g) {
    return hn::Mul(g, hn::IfThenElse(hn::IsNaN(v), v, Twin::Derivative(d, op, v)));
  };
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(body(hn::LoadU(d, s + i), hn::LoadU(d, dy + i)), d, dx + i);
  }
  if (i < n) Tail(d, s + i, dy + i, dx + i, n - i, body);
}

// The fast twin where there is one and `fast`, else the accurate one, else the scalar loop.
void Forward(const Activation& act, const float* x, float* y, std::size_t n, bool fast) {
  detail::with_op(act, [&](const auto& op) {
    using Op = std::decay_t<decltype(op)>;
    if constexpr (FastOp<Op>::kForward) {
      if (fast) return ForwardLoop<FastOp<Op>>(op, x, y, n);
    }
    if constexpr (VecOp<Op>::kForward) {
      ForwardLoop<VecOp<Op>>(op, x, y, n);
    } else {
      detail::forward_loop(op, x, y, n);
    }
  });
}

void Backward(const Activation& act, const float* s, const float* dy, float* dx, std::size_t n,
              bool fast) {
  detail::with_op(act, [&](const auto& op) {
    using Op = std::decay_t<decltype(op)>;
    if constexpr (FastOp<Op>::kBackward) {
      if (fast) return BackwardLoop<FastOp<Op>>(op, s, dy, dx, n);
    }
    if constexpr (VecOp<Op>::kBackward) {
      BackwardLoop<VecOp<Op>>(op, s, dy, dx, n);
    } else {
      detail::backward_loop(op, s, dy, dx, n);
    }
  });
}

}  // namespace actlab::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace actlab::kernels::detail {

HWY_EXPORT(Forward);
HWY_EXPORT(Backward);

void simd_forward(const Activation& act, const float* x, float* y, std::size_t n,
                  Precision precision) {
  HWY_DYNAMIC_DISPATCH(Forward)(act, x, y, n, precision == Precision::kFast);
}

void simd_backward(const Activation& act, const float* s, const float* dy, float* dx,
                   std::size_t n, Precision precision) {
  HWY_DYNAMIC_DISPATCH(Backward)(act, s, dy, dx, n, precision == Precision::kFast);
}

}  // namespace actlab::kernels::detail
#endif  // HWY_ONCE
