// PReLU's forward and backward over a run of elements with one slope, and RReLU's training
// backward, compiled once per SIMD target by Highway (foreach_target.h) and dispatched once
// at run time (HWY_DYNAMIC_DISPATCH), as elementwise_simd.cpp.
//
// Each output element is computed by the same IEEE operations as the scalar form
// (x > 0 ? x : slope·x; dy·factor), so its bits do not depend on the target or on where the
// element sits (the tail runs the scalar form of the same operations). The slope gradient
// Σ dy·min(0, x) forms each product exactly in double (24 + 24 bits fit in 53) and sums in
// double, in a fixed order for a given n and target.
//
// Never compile this file with -ffast-math.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/prelu_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// clang-format on

#include "kernels/prelu_simd.hpp"

#include <cmath>
#include <cstddef>

HWY_BEFORE_NAMESPACE();
namespace actlab::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using DD = hn::ScalableTag<double>;
using DH = hn::Rebind<float, DD>;  // as many floats as DD has doubles

// The scalar forms (the tail); the same operations as the vector body.
inline float PreluScalar(float slope, float x) {
  return x > 0 ? x : (slope == 0 ? 0.0f : slope * x);
}
inline float PreluFactorScalar(float slope, float x) {
  return x > 0 ? 1.0f : (std::isnan(x) ? x : slope);
}

void PreluForward(float slope, const float* x, float* y, std::size_t n) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const V zero = hn::Zero(d);
  const V s = hn::Set(d, slope);
  std::size_t i = 0;
  if (slope == 0) {
    for (; i + lanes <= n; i += lanes) {
      const V v = hn::LoadU(d, x + i);
      hn::StoreU(hn::IfThenElseZero(hn::Gt(v, zero), v), d, y + i);
    }
  } else {
    for (; i + lanes <= n; i += lanes) {
      const V v = hn::LoadU(d, x + i);
      hn::StoreU(hn::IfThenElse(hn::Gt(v, zero), v, hn::Mul(s, v)), d, y + i);
    }
  }
  for (; i < n; ++i) y[i] = PreluScalar(slope, x[i]);
}

double PreluBackward(float slope, const float* x, const float* dy, float* dx, std::size_t n) {
  const D d;
  const DD dd;
  const DH dh;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t half = hn::Lanes(dd);  // lanes of a double vector (≤ lanes)
  const V zero = hn::Zero(d);
  const V one = hn::Set(d, 1.0f);
  const V s = hn::Set(d, slope);
  const auto zero_h = hn::Zero(dh);
  auto sum0 = hn::Zero(dd);
  auto sum1 = hn::Zero(dd);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const V v = hn::LoadU(d, x + i);
    const V g = hn::LoadU(d, dy + i);
    // Σ dy·min(0, x), half a float vector at a time, before dx (may alias dy) is written.
    for (std::size_t j = 0; j < lanes; j += half) {
      const auto vh = hn::LoadU(dh, x + i + j);
      const auto gh = hn::LoadU(dh, dy + i + j);
      const auto negative = hn::PromoteTo(dd, hn::IfThenZeroElse(hn::Gt(vh, zero_h), vh));
      if ((j / half) % 2 == 0) {
        sum0 = hn::MulAdd(hn::PromoteTo(dd, gh), negative, sum0);
      } else {
        sum1 = hn::MulAdd(hn::PromoteTo(dd, gh), negative, sum1);
      }
    }
    const V factor = hn::IfThenElse(hn::Gt(v, zero), one, hn::IfThenElse(hn::IsNaN(v), v, s));
    hn::StoreU(hn::Mul(g, factor), d, dx + i);
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(sum0, sum1)));
  for (; i < n; ++i) {
    const float v = x[i];
    const float g = dy[i];
    sum += static_cast<double>(g) * static_cast<double>(v > 0 ? 0.0f : v);
    dx[i] = g * PreluFactorScalar(slope, v);
  }
  return sum;
}

void Multiply(const float* a, const float* b, float* out, std::size_t n) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::Mul(hn::LoadU(d, b + i), hn::LoadU(d, a + i)), d, out + i);
  }
  for (; i < n; ++i) out[i] = b[i] * a[i];
}

}  // namespace actlab::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace actlab::kernels::detail {

HWY_EXPORT(PreluForward);
HWY_EXPORT(PreluBackward);
HWY_EXPORT(Multiply);

void simd_prelu_forward(float slope, const float* x, float* y, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(PreluForward)(slope, x, y, n);
}

double simd_prelu_backward(float slope, const float* x, const float* dy, float* dx,
                           std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(PreluBackward)(slope, x, dy, dx, n);
}

void simd_multiply(const float* slopes, const float* dy, float* dx, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Multiply)(slopes, dy, dx, n);
}

}  // namespace actlab::kernels::detail
#endif  // HWY_ONCE
