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

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels/elementwise_simd.hpp"
#include "kernels/op_switch.hpp"
#include "kernels/scalar_loops.hpp"

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
  static constexpr bool kForward = false;
  static constexpr bool kBackward = true;
  static V Forward(D, const ops::Sigmoid&, V x) { return x; }
  static V Derivative(D d, const ops::Sigmoid&, V y) {
    return hn::Mul(y, hn::Sub(hn::Set(d, 1.0f), y));
  }
};

template <>
struct VecOp<ops::Tanh> {
  static constexpr bool kForward = false;
  static constexpr bool kBackward = true;
  static V Forward(D, const ops::Tanh&, V x) { return x; }
  static V Derivative(D d, const ops::Tanh&, V y) {
    const V one = hn::Set(d, 1.0f);
    return hn::Mul(hn::Sub(one, y), hn::Add(one, y));
  }
};

template <>
struct VecOp<ops::Exponential> {
  static constexpr bool kForward = false;
  static constexpr bool kBackward = true;
  static V Forward(D, const ops::Exponential&, V x) { return x; }
  static V Derivative(D, const ops::Exponential&, V y) { return y; }
};

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

// y = f(x), NaN in giving the same NaN out (as detail::forward_loop).
template <class Op>
void ForwardLoop(const Op& op_in, const float* x, float* y, std::size_t n) {
  const Op op = op_in;
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const auto body = [&](V v, V) { return hn::IfThenElse(hn::IsNaN(v), v, VecOp<Op>::Forward(d, op, v)); };
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(body(hn::LoadU(d, x + i), V()), d, y + i);
  if (i < n) Tail(d, x + i, nullptr, y + i, n - i, body);
}

// dx = dy·f'(s), with f'(NaN) = NaN (as detail::backward_loop).
template <class Op>
void BackwardLoop(const Op& op_in, const float* s, const float* dy, float* dx, std::size_t n) {
  const Op op = op_in;
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const auto body = [&](V v, V g) {
    return hn::Mul(g, hn::IfThenElse(hn::IsNaN(v), v, VecOp<Op>::Derivative(d, op, v)));
  };
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(body(hn::LoadU(d, s + i), hn::LoadU(d, dy + i)), d, dx + i);
  }
  if (i < n) Tail(d, s + i, dy + i, dx + i, n - i, body);
}

void Forward(const Activation& act, const float* x, float* y, std::size_t n) {
  detail::with_op(act, [&](const auto& op) {
    using Op = std::decay_t<decltype(op)>;
    if constexpr (VecOp<Op>::kForward) {
      ForwardLoop(op, x, y, n);
    } else {
      detail::forward_loop(op, x, y, n);
    }
  });
}

void Backward(const Activation& act, const float* s, const float* dy, float* dx, std::size_t n) {
  detail::with_op(act, [&](const auto& op) {
    using Op = std::decay_t<decltype(op)>;
    if constexpr (VecOp<Op>::kBackward) {
      BackwardLoop(op, s, dy, dx, n);
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

void simd_forward(const Activation& act, const float* x, float* y, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Forward)(act, x, y, n);
}

void simd_backward(const Activation& act, const float* s, const float* dy, float* dx,
                   std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Backward)(act, s, dy, dx, n);
}

}  // namespace actlab::kernels::detail
#endif  // HWY_ONCE
