// The softmax family with Highway vectors, compiled once per SIMD target (foreach_target.h)
// and dispatched once at run time (HWY_DYNAMIC_DISPATCH), as elementwise_simd.cpp. Only FMA
// targets (AVX2, AVX-512) have a vector version: the error-free products need a fused
// multiply-add; on the others SoftmaxLines returns false and along_dim.cpp runs its scalar
// loops (both precision tiers).
//
// Two tiers, chosen once per call by kernels::precision():
// - kAccurate (the kernels before namespace fast): float arithmetic with the exact shift
//   (x − m by two-sum, the quotient by T with its remainder), hi + lo pairs for e^(…),
//   compensated sums and one rounding at the end (the method along_dim.cpp's scalar loops
//   used before they moved to double).
// - kFast (namespace fast, the default): the same exact shift, one table exp rounded once,
//   cheaper sums and roundings; see the comments there. Both hold the table's bounds.
//
// Two layouts of a "line" (the `size` elements softmax normalises over):
// - Columns: `lanes` lines side by side, element k of lane l at p[k·stride + l]. Each lane
//   is one line and keeps its own max and sums: no reduction across lanes. Lines along a
//   dimension other than the last (inner > 1) are naturally like this (stride = inner); for
//   short rows of the last dimension (fewer than kRowMin elements: a row of 10 in a 16-lane
//   vector would waste most of it in reductions) `lanes` rows are copied into a transposed
//   scratch first, and the results copied back (the fast tier instead works on whole blocks
//   of `lanes` rows in place: fast::Block).
// - Row: one contiguous line (inner == 1, size ≥ kRowMin), vectors along it, per-lane max and
//   compensated sums combined across lanes at the end (in a fixed order); the tail by masked
//   loads and stores.
// A line's bits depend only on the line, the tier and the target, not on which layout batch
// or thread computed it, so in place = out of place and the thread split does not matter.
//
// Never compile this file with -ffast-math (the error-free transforms need IEEE arithmetic).

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/along_dim_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// clang-format on

#include "kernels/along_dim.hpp"
#include "kernels/along_dim_simd.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/float_math.hpp"
#include "kernels/vec_math-inl.h"

#ifndef ACTLAB_KERNELS_ALONG_DIM_SIMD_ONCE_
#define ACTLAB_KERNELS_ALONG_DIM_SIMD_ONCE_
namespace actlab::kernels::detail {
// What one call computes; lines are numbered j = o·inner + i.
struct SoftmaxCall {
  SoftmaxKind kind;
  bool backward;
  std::size_t size;   // elements per line
  std::size_t inner;  // distance between a line's elements
  float temperature;
  bool fast;       // Precision::kFast (read once per call)
  const float* a;  // forward: x; backward: the saved y
  const float* b;  // backward: diff_dst; forward: null
  float* out;      // may alias a (forward) or b (backward)
};
}  // namespace actlab::kernels::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace actlab::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_NATIVE_FMA
namespace softmax_simd {

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using M = decltype(hn::FirstN(D(), 0));
using DD = hn::Repartition<double, D>;  // half as many doubles
using VD = hn::Vec<DD>;
constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
constexpr float kInf = std::numeric_limits<float>::infinity();

// Rows of the last dimension shorter than this many vectors go through the transposed
// (Columns) path. Measured with all rows on one path, 256K elements, 1 thread, AVX-512
// (docs/benchmarks.md, "Softmax family"), G elements/s forward/backward, Row vs Columns:
// rows of 10 0.10/0.18 vs 0.41/0.54, 16 0.42/0.77 vs 0.46/0.68, 32 0.56/1.11 vs
// 0.52/0.54, 64 0.67/1.54 vs 0.23/0.20: Columns below 2 vectors, Row from there.
constexpr std::size_t kRowMinVectors = 2;

// ---------------------------------------------------------------- layouts

struct Columns {
  std::size_t size;
  std::size_t stride;
  std::size_t vectors() const { return size; }
  V Load(D d, const float* p, std::size_t k, float /*pad*/) const {
    return hn::LoadU(d, p + k * stride);
  }
  void Store(D d, V v, float* p, std::size_t k) const { hn::StoreU(v, d, p + k * stride); }
  V MaxAll(D, V m) const { return m; }
  V MinAll(D, V m) const { return m; }
  M AnyAll(D, M m) const { return m; }
  V SumPlain(D, V v) const { return v; }
  // s + c as hi + lo, per lane.
  vm::Pair<D> SumPair(D, V s, V c) const {
    const V hi = hn::Add(s, c);
    return {hi, vm::SumError(s, c, hi)};
  }
  V ZeroPadding(D, std::size_t, V v) const { return v; }
  V Pad(D, std::size_t, V v, float) const { return v; }
  // The per-lane double sums lo (lanes 0..n/2) and hi (the rest) as the float pair hi + lo.
  vm::Pair<D> DoublePair(D d, VD lo, VD hi) const {
    const hn::Half<D> dh;
    const V h = hn::Combine(d, hn::DemoteTo(dh, hi), hn::DemoteTo(dh, lo));
    const VD rest_lo = hn::Sub(lo, hn::PromoteTo(DD(), hn::LowerHalf(dh, h)));
    const VD rest_hi = hn::Sub(hi, hn::PromoteTo(DD(), hn::UpperHalf(dh, h)));
    const V l = hn::Combine(d, hn::DemoteTo(dh, rest_hi), hn::DemoteTo(dh, rest_lo));
    return {h, vm::FiniteOrZero(d, l)};
  }
  // Σ (s − 1 + c) per lane as hi + lo (s − 1 is exact: 1 ≤ s < 2^24).
  vm::Pair<D> SumOffsetPair(D d, V s, V c) const {
    const V s1 = hn::Sub(s, hn::Set(d, 1.0f));
    const V hi = hn::Add(s1, c);
    return {hi, vm::SumError(s1, c, hi)};
  }
  V Log1p(D d, V t) const {
    HWY_ALIGN float buf[kMaxLanes];
    hn::Store(t, d, buf);
    for (std::size_t l = 0; l < hn::Lanes(d); ++l) buf[l] = std::log1p(buf[l]);
    return hn::Load(d, buf);
  }
};

struct Row {
  std::size_t size;
  std::size_t full;  // whole vectors
  std::size_t vectors() const { return full + (size > full * hn::Lanes(D()) ? 1 : 0); }
  // The tail by masked loads and stores (no call in the loops: a memcpy there made the
  // compiler spill every vector around it).
  V Load(D d, const float* p, std::size_t k, float pad) const {
    const std::size_t lanes = hn::Lanes(d);
    if (HWY_LIKELY(k < full)) return hn::LoadU(d, p + k * lanes);
    const M m = hn::FirstN(d, size - k * lanes);
    return hn::IfThenElse(m, hn::MaskedLoad(m, d, p + k * lanes), hn::Set(d, pad));
  }
  void Store(D d, V v, float* p, std::size_t k) const {
    const std::size_t lanes = hn::Lanes(d);
    if (HWY_LIKELY(k < full)) return hn::StoreU(v, d, p + k * lanes);
    hn::BlendedStore(v, hn::FirstN(d, size - k * lanes), d, p + k * lanes);
  }
  V MaxAll(D d, V m) const { return hn::MaxOfLanes(d, m); }
  V MinAll(D d, V m) const { return hn::MinOfLanes(d, m); }
  M AnyAll(D d, M m) const {
    return hn::FirstN(d, hn::AllFalse(d, m) ? 0 : hn::Lanes(d));
  }
  V SumPlain(D d, V v) const { return hn::SumOfLanes(d, v); }
  // The lanes' s + c summed in double (each float converts exactly; the sum of 2·lanes
  // doubles is off by ~2^-48 of Σ|s_l| at most), returned as the float pair hi + lo.
  vm::Pair<D> SumPair(D d, V s, V c) const {
    const hn::Half<D> dh;
    const hn::Repartition<double, D> dd;
    const auto sum = hn::Add(
        hn::Add(hn::PromoteTo(dd, hn::LowerHalf(dh, s)), hn::PromoteTo(dd, hn::UpperHalf(dh, s))),
        hn::Add(hn::PromoteTo(dd, hn::LowerHalf(dh, c)), hn::PromoteTo(dd, hn::UpperHalf(dh, c))));
    const double total = hn::GetLane(hn::SumOfLanes(dd, sum));
    const float hi = static_cast<float>(total);
    const float lo = std::isfinite(hi) ? static_cast<float>(total - hi) : 0.0f;
    return {hn::Set(d, hi), hn::Set(d, lo)};
  }
  V Log1p(D d, V t) const { return hn::Set(d, std::log1p(hn::GetLane(t))); }
  // The sum of every lane of lo and hi as the float pair hi + lo.
  vm::Pair<D> DoublePair(D d, VD lo, VD hi) const {
    const double total = hn::GetLane(hn::SumOfLanes(DD(), hn::Add(lo, hi)));
    const float h = static_cast<float>(total);
    const float l = std::isfinite(h) ? static_cast<float>(total - h) : 0.0f;
    return {hn::Set(d, h), hn::Set(d, l)};
  }
  // v with the lanes past the line's end (in its last vector) set to 0.
  V ZeroPadding(D d, std::size_t k, V v) const {
    return k < full ? v : hn::IfThenElseZero(hn::FirstN(d, size - k * hn::Lanes(d)), v);
  }
  // v with the lanes past the line's end set to `value`.
  V Pad(D d, std::size_t k, V v, float value) const {
    return k < full ? v
                    : hn::IfThenElse(hn::FirstN(d, size - k * hn::Lanes(d)), v, hn::Set(d, value));
  }
  // Σ over the lanes of s − 1 + c (s − 1 exact: 1 ≤ s < 2^24) as hi + lo.
  vm::Pair<D> SumOffsetPair(D d, V s, V c) const {
    return SumPair(d, hn::Sub(s, hn::Set(d, 1.0f)), c);
  }
};

// ---------------------------------------------------------------- pieces

// (v − m)/T as hi + lo (detail::shifted), with the difference v − m itself. The quotient
// is v − m times 1/T (not correctly rounded; its remainder by fma goes to lo, and
// ExpReduce takes hi + lo); with T = 1 it is the difference itself, lo its two-sum error.
struct Shift {
  V diff;
  V hi;
  V lo;
};
HWY_INLINE Shift Shifted(D d, V v, V m, V t, V inv_t) {
  const V diff = hn::Sub(v, m);
  const V diff_lo = vm::FiniteOrZero(d, vm::SumError(v, hn::Neg(m), diff));
  const V q = hn::Mul(diff, inv_t);
  const V r = hn::NegMulAdd(q, t, diff);  // diff − q·T
  return {diff, q, vm::FiniteOrZero(d, hn::Mul(hn::Add(r, diff_lo), inv_t))};
}

// e^(q + q_lo) for q ≤ 0 as hi + lo (0 below kExpMin).
HWY_INLINE vm::Pair<D> ExpOfShift(D d, V q, V q_lo) {
  const vm::ExpParts<D> e = vm::ExpReduce(d, q, q_lo);
  const vm::Scaler<D> scale(d, e.n);
  const V u = hn::Add(e.hi, e.lo);
  const V u_lo = vm::FastSumError(e.hi, e.lo, u);
  const M low = hn::Lt(q, hn::Set(d, vm::kExpMin));
  return {hn::IfThenZeroElse(low, scale(u)), hn::IfThenZeroElse(low, scale(u_lo))};
}

// (p + p_lo)/T rounded about once (detail::divide_pairs(p, p_lo, T, 0)), with inv_t = 1/T;
// t = −T and inv_t = −1/T give exactly the negated result. A zero quotient is returned as
// is (keeps −0).
HWY_INLINE V DivideByT(D d, V p, V p_lo, V t, V inv_t) {
  const V q = hn::Mul(p, inv_t);
  const V rem = hn::NegMulAdd(q, t, p);  // p − q·T, exact
  const V c = vm::FiniteOrZero(d, hn::Mul(hn::Add(rem, vm::FiniteOrZero(d, p_lo)), inv_t));
  return hn::IfThenElse(hn::Eq(q, hn::Zero(d)), q, hn::Add(q, c));
}

// s + v into the compensated pair (s, c) (Knuth's two-sum; v_lo added to c).
HWY_INLINE void Accumulate(V& s, V& c, V v, V v_lo) {
  const V ns = hn::Add(s, v);
  c = hn::Add(c, hn::Add(vm::SumError(s, v, ns), v_lo));
  s = ns;
}

// The maximum of the (negated) line and whether the line must give NaN everywhere: a NaN
// in it, or an infinite maximum (+inf entry: inf − inf in the shift; only −inf: likewise),
// as in the scalar loops and PyTorch.
struct LineMax {
  V m;
  M bad;
};
template <class Lay>
HWY_INLINE LineMax MaxOf(D d, const Lay& lay, const float* x, bool negate) {
  const float pad = negate ? kInf : -kInf;
  V m = hn::Set(d, -kInf);
  M nan = hn::FirstN(d, 0);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V raw = lay.Load(d, x, k, pad);
    const V v = negate ? hn::Neg(raw) : raw;
    m = hn::Max(m, v);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  m = lay.MaxAll(d, m);
  return {m, hn::Or(lay.AnyAll(d, nan), hn::Not(hn::IsFinite(m)))};
}

// ---------------------------------------------------------------- kernels

// y = softmax(±x/T) (detail::softmax_forward). e_k's lo parts wait in `lo`.
template <class Lay>
void SoftmaxForward(D d, const Lay& lay, bool negate, float temperature, const float* x,
                    float* y, float* lo) {
  const std::size_t lanes = hn::Lanes(d);
  const LineMax mx = MaxOf(d, lay, x, negate);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  const float pad = negate ? kInf : -kInf;
  V s = hn::Zero(d);
  V c = hn::Zero(d);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V raw = lay.Load(d, x, k, pad);
    const Shift sh = Shifted(d, negate ? hn::Neg(raw) : raw, mx.m, t, inv_t);
    const vm::Pair<D> e = ExpOfShift(d, sh.hi, sh.lo);
    lay.Store(d, e.hi, y, k);
    hn::StoreU(e.lo, d, lo + k * lanes);
    Accumulate(s, c, e.hi, e.lo);
  }
  const vm::Pair<D> total = lay.SumPair(d, s, c);
  const V sum = hn::IfThenElse(mx.bad, hn::Set(d, std::nanf("")), total.hi);
  const V inv = hn::Div(hn::Set(d, 1.0f), sum);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    // (e + e_lo)/(sum + sum_lo): q = e·(1/sum), then the exact remainder and the lo parts.
    const V e = lay.Load(d, y, k, 0.0f);
    const V e_lo = hn::LoadU(d, lo + k * lanes);
    const V q = hn::Mul(e, inv);
    const V rem = hn::NegMulAdd(q, sum, e);
    const V corr = hn::Mul(hn::Sub(hn::Add(rem, e_lo), hn::Mul(q, total.lo)), inv);
    lay.Store(d, hn::Add(q, vm::FiniteOrZero(d, corr)), y, k);
  }
}

// dx = (±1/T)·y·(dy − Σ dy_j·y_j) from the output (detail::softmax_backward).
template <class Lay>
void SoftmaxBackward(D d, const Lay& lay, bool negate, float temperature, const float* y,
                     const float* dy, float* dx) {
  V s = hn::Zero(d);
  V c = hn::Zero(d);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V yk = lay.Load(d, y, k, 0.0f);
    const V g = lay.Load(d, dy, k, 0.0f);
    const V p = hn::Mul(g, yk);
    Accumulate(s, c, p, vm::ProductError(g, yk, p));
  }
  const vm::Pair<D> dot = lay.SumPair(d, s, c);
  const V minus_dot = hn::Neg(dot.hi);
  const V t = hn::Set(d, negate ? -temperature : temperature);
  const V inv_t = hn::Set(d, (negate ? -1.0f : 1.0f) / temperature);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V yk = lay.Load(d, y, k, 0.0f);
    const V dyk = lay.Load(d, dy, k, 0.0f);
    const V g = hn::Add(dyk, minus_dot);
    const V g_lo = hn::Sub(vm::SumError(dyk, minus_dot, g), dot.lo);
    const V p = hn::Mul(yk, g);
    const V p_lo = hn::MulAdd(yk, g_lo, vm::ProductError(yk, g, p));
    lay.Store(d, DivideByT(d, p, p_lo, t, inv_t), dx, k);
  }
}

// log Σ e^(x_j/T − m) as hi + lo for log_softmax (both tiers): Σ = 1 + t with t = the terms
// below the maximum (below_sum) plus (number of entries equal to it) − 1, an exact small
// integer; log1p(t + t_lo) ≈ log1p(t) + t_lo/(1 + t). NaN where the line is bad.
template <class Lay, class M>
vm::Pair<D> LogOfSum(D d, const Lay& lay, const vm::Pair<D>& below_sum, V ties, M bad) {
  const V one = hn::Set(d, 1.0f);
  const V extra = hn::Sub(lay.SumPlain(d, ties), one);
  const V tt = hn::Add(below_sum.hi, extra);
  const V tt_lo = hn::Add(vm::SumError(below_sum.hi, extra, tt), below_sum.lo);
  const V sum = hn::Add(tt, tt_lo);
  const V sum_lo = vm::FastSumError(tt, tt_lo, sum);
  const V log_sum = hn::IfThenElse(bad, hn::Set(d, std::nanf("")), lay.Log1p(d, sum));
  return {log_sum, hn::Div(sum_lo, hn::Add(one, sum))};
}

// y = (x/T − m) − log Σ e^(x_j/T − m) (detail::log_softmax_forward): the sum is 1 + t, t
// the terms below the maximum plus (number of entries equal to it) − 1, so log1p(t) keeps
// the maximum's y ≈ −t when t is tiny.
template <class Lay>
void LogSoftmaxForward(D d, const Lay& lay, float temperature, const float* x, float* y) {
  const LineMax mx = MaxOf(d, lay, x, false);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  const V zero = hn::Zero(d);
  const V one = hn::Set(d, 1.0f);
  V s = zero;
  V c = zero;
  V ties = zero;
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const Shift sh = Shifted(d, lay.Load(d, x, k, -kInf), mx.m, t, inv_t);
    const vm::Pair<D> e = ExpOfShift(d, sh.hi, sh.lo);
    const M below = hn::Lt(sh.diff, zero);
    Accumulate(s, c, hn::IfThenElseZero(below, e.hi), hn::IfThenElseZero(below, e.lo));
    ties = hn::Add(ties, hn::IfThenElseZero(hn::Eq(sh.diff, zero), one));
  }
  const vm::Pair<D> log_sum = LogOfSum(d, lay, lay.SumPair(d, s, c), ties, mx.bad);
  const V log_sum_lo = log_sum.lo;
  const V minus_log_sum = hn::Neg(log_sum.hi);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const Shift sh = Shifted(d, lay.Load(d, x, k, -kInf), mx.m, t, inv_t);
    const V yk = hn::Add(sh.hi, minus_log_sum);  // both terms ≤ 0: no cancellation
    const V corr =
        hn::Sub(hn::Add(vm::SumError(sh.hi, minus_log_sum, yk), sh.lo), log_sum_lo);
    // An entry of −inf gives −inf; its error terms would be inf − inf = NaN.
    lay.Store(d, hn::IfThenElse(hn::IsFinite(yk), hn::Add(yk, corr), yk), y, k);
  }
}

// dx = (dy − e^y·Σ dy_j)/T from the output (detail::log_softmax_backward).
template <class Lay>
void LogSoftmaxBackward(D d, const Lay& lay, float temperature, const float* y, const float* dy,
                        float* dx) {
  const V zero = hn::Zero(d);
  V s = zero;
  V c = zero;
  for (std::size_t k = 0; k < lay.vectors(); ++k) Accumulate(s, c, lay.Load(d, dy, k, 0.0f), zero);
  const vm::Pair<D> sum = lay.SumPair(d, s, c);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V yk = lay.Load(d, y, k, 0.0f);
    const V dyk = lay.Load(d, dy, k, 0.0f);
    const V p = hn::IfThenElse(hn::IsNaN(yk), yk, vm::Exp(d, yk, zero));
    const V m = hn::Mul(p, sum.hi);
    const V m_lo = hn::MulAdd(p, sum.lo, vm::ProductError(p, sum.hi, m));
    const V g = hn::Sub(dyk, m);
    const V g_lo = hn::Sub(vm::SumError(dyk, hn::Neg(m), g), m_lo);
    lay.Store(d, DivideByT(d, g, g_lo, t, inv_t), dx, k);
  }
}

template <class Lay>
void RunKernel(D d, const detail::SoftmaxCall& call, const Lay& lay, const float* a,
               const float* b, float* out, float* lo) {
  using detail::SoftmaxKind;
  const float temperature = call.temperature;
  if (!call.backward) {
    switch (call.kind) {
      case SoftmaxKind::kSoftmax:
        return SoftmaxForward(d, lay, false, temperature, a, out, lo);
      case SoftmaxKind::kSoftmin:
        return SoftmaxForward(d, lay, true, temperature, a, out, lo);
      case SoftmaxKind::kLogSoftmax:
        return LogSoftmaxForward(d, lay, temperature, a, out);
    }
    return;
  }
  switch (call.kind) {
    case SoftmaxKind::kSoftmax:
      return SoftmaxBackward(d, lay, false, temperature, a, b, out);
    case SoftmaxKind::kSoftmin:
      return SoftmaxBackward(d, lay, true, temperature, a, b, out);
    case SoftmaxKind::kLogSoftmax:
      return LogSoftmaxBackward(d, lay, temperature, a, b, out);
  }
}

#include "kernels/softmax_fast-inl.h"  // namespace fast: the fast tier

template <class Lay>
void RunFastKernel(D d, const detail::SoftmaxCall& call, const Lay& lay, const float* a,
                   const float* b, float* out) {
  using detail::SoftmaxKind;
  const float temperature = call.temperature;
  if (!call.backward) {
    switch (call.kind) {
      case SoftmaxKind::kSoftmax:
        return fast::SoftmaxForward(d, lay, false, temperature, a, out);
      case SoftmaxKind::kSoftmin:
        return fast::SoftmaxForward(d, lay, true, temperature, a, out);
      case SoftmaxKind::kLogSoftmax:
        return fast::LogSoftmaxForward(d, lay, temperature, a, out);
    }
    return;
  }
  switch (call.kind) {
    // T ≠ 1: the accurate kernel (see fast::SoftmaxBackward).
    case SoftmaxKind::kSoftmax:
      if (temperature != 1.0f) return SoftmaxBackward(d, lay, false, temperature, a, b, out);
      return fast::SoftmaxBackward(d, lay, false, temperature, a, b, out);
    case SoftmaxKind::kSoftmin:
      if (temperature != 1.0f) return SoftmaxBackward(d, lay, true, temperature, a, b, out);
      return fast::SoftmaxBackward(d, lay, true, temperature, a, b, out);
    case SoftmaxKind::kLogSoftmax:
      return fast::LogSoftmaxBackward(d, lay, temperature, a, b, out);
  }
}

// One line's kernel, fast or accurate as the call says.
template <class Lay>
HWY_INLINE void RunLine(D d, const detail::SoftmaxCall& call, const Lay& lay, const float* a,
                        const float* b, float* out, float* lo) {
  if (call.fast) return RunFastKernel(d, call, lay, a, b, out);
  RunKernel(d, call, lay, a, b, out, lo);
}

// Lines [j0, j1) of the call.
void Lines(const detail::SoftmaxCall& call, std::size_t j0, std::size_t j1) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t size = call.size;
  const std::size_t inner = call.inner;
  if (inner == 1 && size >= kRowMinVectors * lanes) {
    std::vector<float> lo(size + lanes);
    const Row row{size, size / lanes};
    for (std::size_t j = j0; j < j1; ++j) {
      RunLine(d, call, row, call.a + j * size, call.b ? call.b + j * size : nullptr,
                call.out + j * size, lo.data());
    }
    return;
  }
  // Short rows of the last dimension, fast path: whole blocks of `lanes` rows in place
  // (fast::Block), the last rows in a padded block; log_softmax and T ≠ 1 backward take the
  // scratch.
  const bool blocks = call.fast && inner == 1 && call.kind != detail::SoftmaxKind::kLogSoftmax &&
                      (!call.backward || call.temperature == 1.0f);
  if (blocks) {
    HWY_ALIGN std::int32_t row_of[kRowMinVectors * kMaxLanes * kMaxLanes];
    for (std::size_t p = 0, r = 0, k = 0; p < size * lanes; ++p) {
      row_of[p] = static_cast<std::int32_t>(r);
      if (++k == size) k = 0, ++r;
    }
    const fast::Block blk{size, row_of};
    const bool negate = call.kind == detail::SoftmaxKind::kSoftmin;
    const auto block = [&](const float* a, const float* b, float* out) {
      if (call.backward) {
        fast::ShortSoftmaxBackward(d, blk, negate, call.temperature, a, b, out);
      } else {
        fast::ShortSoftmaxForward(d, blk, negate, call.temperature, a, out);
      }
    };
    for (; j0 + lanes <= j1; j0 += lanes) {
      const std::size_t at = j0 * size;
      block(call.a + at, call.b ? call.b + at : nullptr, call.out + at);
    }
    if (j0 == j1) return;
    // The last rows: a block padded with rows of zeros (each row's bits are its own).
    constexpr std::size_t kBlockMax = kRowMinVectors * kMaxLanes * kMaxLanes;
    HWY_ALIGN float pa[kBlockMax] = {};
    HWY_ALIGN float pb[kBlockMax] = {};
    HWY_ALIGN float po[kBlockMax];
    const std::size_t count = (j1 - j0) * size;
    std::memcpy(pa, call.a + j0 * size, count * sizeof(float));
    if (call.b) std::memcpy(pb, call.b + j0 * size, count * sizeof(float));
    block(pa, pb, po);
    std::memcpy(call.out + j0 * size, po, count * sizeof(float));
    return;
  }
  std::vector<float> lo(size * lanes);
  std::vector<float> a, b;  // the transposed scratch, on first use
  std::size_t pending[kMaxLanes];
  std::size_t count = 0;
  // Copies the pending lines into the scratch (lane l = line l, missing lanes 0), runs the
  // kernel there and copies the results back.
  const auto flush = [&] {
    if (a.empty()) {
      a.resize(size * lanes);
      if (call.b) b.resize(size * lanes);
    }
    if (count == lanes && inner == 1 && pending[lanes - 1] == pending[0] + (lanes - 1) * size) {
      // Whole batch of consecutive rows: gather element k of each row.
      const hn::RebindToSigned<D> di;
      const auto index = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int>(size)));
      for (std::size_t k = 0; k < size; ++k) {
        hn::StoreU(hn::GatherIndex(d, call.a + pending[0] + k, index), d, &a[k * lanes]);
        if (call.b) hn::StoreU(hn::GatherIndex(d, call.b + pending[0] + k, index), d, &b[k * lanes]);
      }
    } else {
      for (std::size_t l = 0; l < lanes; ++l) {
        for (std::size_t k = 0; k < size; ++k) {
          a[k * lanes + l] = l < count ? call.a[pending[l] + k * inner] : 0.0f;
          if (call.b) b[k * lanes + l] = l < count ? call.b[pending[l] + k * inner] : 0.0f;
        }
      }
    }
    RunLine(d, call, Columns{size, lanes}, a.data(), call.b ? b.data() : nullptr, a.data(),
              lo.data());
    for (std::size_t l = 0; l < count; ++l) {
      float* out = call.out + pending[l];
      const float* column = a.data() + l;
      for (std::size_t k = 0; k < size; ++k) out[k * inner] = column[k * lanes];
    }
    count = 0;
  };
  for (std::size_t j = j0; j < j1;) {
    const std::size_t o = j / inner;
    const std::size_t i = j % inner;
    const std::size_t base = o * size * inner + i;
    if (inner >= lanes && i % lanes == 0 && i + lanes <= inner && j + lanes <= j1) {
      RunLine(d, call, Columns{size, inner}, call.a + base, call.b ? call.b + base : nullptr,
                call.out + base, lo.data());
      j += lanes;
      continue;
    }
    pending[count++] = base;
    if (count == lanes) flush();
    ++j;
  }
  if (count > 0) flush();
}

}  // namespace softmax_simd
#endif  // HWY_NATIVE_FMA

#if HWY_NATIVE_FMA
// ---------------------------------------------------------------- glu
//
// glu's halves are contiguous blocks (a = the first half·inner elements of each outer
// slice, b the second, y half·inner), so it is elementwise over them: the vector twins of
// along_dim.cpp's times_sigmoid and times_sigmoid_slope (vec_math-inl.h's TimesSigmoid,
// TimesExp, DividePairs), the same carried terms.
namespace glu_simd {

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// m·σ(v), ±0 for m = ±0 whatever v (detail::times_sigmoid).
HWY_INLINE V TimesSigmoid(D d, V m, V v) {
  return hn::IfThenElse(hn::Eq(m, hn::Zero(d)), m, vm::TimesSigmoid(d, m, v, hn::Zero(d)));
}

// dy·a·σ'(b), σ'(b) = e/(1 + e)², e = e^(−|b|) (detail::times_sigmoid_slope): beyond
// |b| = 64, dy·a·e^(−|b|).
HWY_INLINE V TimesSigmoidSlope(D d, V dy, V a, V b) {
  const V zero = hn::Zero(d);
  const V m = hn::Mul(dy, a);
  const V m_lo = vm::FiniteOrZero(d, vm::ProductError(dy, a, m));
  const V v = hn::Neg(hn::Abs(b));
  const V tail = vm::TimesExp(d, m, m_lo, v, zero);
  const V e = vm::Exp(d, v, zero);
  const V n = hn::Mul(m, e);
  const V n_lo = hn::MulAdd(m_lo, e, vm::ProductError(m, e, n));
  const V one = hn::Set(d, 1.0f);
  const V s = hn::Add(one, e);
  const V s_lo = vm::FastSumError(one, e, s);
  const V q = hn::Mul(s, s);
  const V q_lo = hn::MulAdd(hn::Add(s, s), s_lo, vm::ProductError(s, s, q));
  const V body = vm::DividePairs(d, n, vm::FiniteOrZero(d, n_lo), q, q_lo);
  return hn::IfThenElse(hn::Lt(v, hn::Set(d, -64.0f)), tail, body);  // kExpTail
}

// A vector is computed in vector form when every a (and dy) is below 2^60 in magnitude and
// every b finite; otherwise (NaN, infinities, products near overflow: the vector forms
// multiply before scaling) and for the last partial vector, by the scalar functions, so the
// special values are the scalar loops'.
HWY_INLINE bool Plain(D d, V a, V b) {
  return hn::AllTrue(d, hn::And(hn::Lt(hn::Abs(a), hn::Set(d, 1.152921504606846976e18f)),
                                hn::IsFinite(b)));
}

void Forward(const float* a, const float* b, float* y, std::size_t n) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t k = 0;
  for (; k + lanes <= n; k += lanes) {
    const V av = hn::LoadU(d, a + k);
    const V bv = hn::LoadU(d, b + k);
    if (HWY_LIKELY(Plain(d, av, bv))) {
      hn::StoreU(TimesSigmoid(d, av, bv), d, y + k);
    } else {
      for (std::size_t i = k; i < k + lanes; ++i) y[i] = detail::times_sigmoid(a[i], b[i], 0.0f);
    }
  }
  for (; k < n; ++k) y[k] = detail::times_sigmoid(a[k], b[k], 0.0f);
}

// da = dy·σ(b), db = dy·a·σ'(b); every input element of a vector is read before its
// outputs are written.
void Backward(const float* a, const float* b, const float* dy, float* da, float* db,
              std::size_t n) {
  const D d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t k = 0;
  const auto scalar = [&](std::size_t i) {
    const float g = dy[i], av = a[i], bv = b[i];
    da[i] = detail::times_sigmoid(g, bv, 0.0f);
    db[i] = detail::times_sigmoid_slope(g, av, bv);
  };
  for (; k + lanes <= n; k += lanes) {
    const V av = hn::LoadU(d, a + k);
    const V bv = hn::LoadU(d, b + k);
    const V g = hn::LoadU(d, dy + k);
    if (HWY_LIKELY(Plain(d, av, bv) && Plain(d, g, bv))) {
      const V out_a = TimesSigmoid(d, g, bv);
      const V out_b = TimesSigmoidSlope(d, g, av, bv);
      hn::StoreU(out_a, d, da + k);
      hn::StoreU(out_b, d, db + k);
    } else {
      for (std::size_t i = k; i < k + lanes; ++i) scalar(i);
    }
  }
  for (; k < n; ++k) scalar(k);
}

}  // namespace glu_simd
#endif  // HWY_NATIVE_FMA

#if HWY_NATIVE_FMA
// ---------------------------------------------------------------- maxout
//
// y_j = the first maximal of its group's `pieces` inputs (a NaN counts as maximal: the first
// NaN wins), dy_j back to that input, 0 to the others: selections, so the vector path gives
// the scalar loops' bits. Along a dimension with inner ≥ lanes, vectors run across inner;
// along the last (inner = 1) with 2 ≤ pieces < 2 vectors, `lanes` groups at a time are
// transposed in registers (fast::LoadColumns: group = row) and the backward's outputs built
// on the contiguous block with permutes. Other shapes: the scalar loops.
namespace maxout_simd {

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using DI = hn::RebindToSigned<D>;
using VI = hn::Vec<DI>;

template <class Get>
HWY_INLINE void FirstMax(D d, std::size_t pieces, Get get, V& m, VI& idx) {
  const DI di;
  m = get(0);
  idx = hn::Zero(di);
  for (std::size_t p = 1; p < pieces; ++p) {
    const V v = get(p);
    const auto take = hn::AndNot(hn::IsNaN(m), hn::Or(hn::IsNaN(v), hn::Gt(v, m)));
    m = hn::IfThenElse(take, v, m);
    idx = hn::IfThenElse(hn::RebindMask(di, take), hn::Set(di, static_cast<int>(p)), idx);
  }
  (void)d;
}


// One group at (x, y or dy/out) with stride, scalar.
inline void GroupScalar(std::size_t pieces, std::size_t stride, const float* x, const float* dy,
                        float* out) {
  const std::size_t best = detail::first_max(x, pieces, stride);
  if (dy == nullptr) {
    *out = x[best * stride];
    return;
  }
  const float g = *dy;  // read before writing
  for (std::size_t p = 0; p < pieces; ++p) out[p * stride] = p == best ? g : 0.0f;
}

// Forward (dy null: out = y) or backward (out = diff_src) over the whole array; false where
// the shape is left to the scalar loops.
bool Run(std::size_t outer, std::size_t size, std::size_t inner, std::size_t pieces,
         const float* x, const float* dy, float* out) {
  const D d;
  const DI di;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t groups = size / pieces;
  if (inner >= lanes) {
    for (std::size_t o = 0; o < outer; ++o) {
      for (std::size_t j = 0; j < groups; ++j) {
        const float* xg = x + (o * size + j * pieces) * inner;
        const std::size_t y_at = (o * groups + j) * inner;
        std::size_t i = 0;
        for (; i + lanes <= inner; i += lanes) {
          V m;
          VI idx;
          FirstMax(d, pieces, [&](std::size_t p) { return hn::LoadU(d, xg + p * inner + i); }, m,
                   idx);
          if (dy == nullptr) {
            hn::StoreU(m, d, out + y_at + i);
            continue;
          }
          const V g = hn::LoadU(d, dy + y_at + i);
          float* dx = out + (o * size + j * pieces) * inner + i;
          for (std::size_t p = 0; p < pieces; ++p) {
            const auto win = hn::RebindMask(d, hn::Eq(idx, hn::Set(di, static_cast<int>(p))));
            hn::StoreU(hn::IfThenElseZero(win, g), d, dx + p * inner);
          }
        }
        for (; i < inner; ++i) {
          GroupScalar(pieces, inner, xg + i, dy ? dy + y_at + i : nullptr,
                      dy ? out + (o * size + j * pieces) * inner + i : out + y_at + i);
        }
      }
    }
    return true;
  }
  if (inner != 1 || pieces < 2 || pieces >= softmax_simd::kRowMinVectors * lanes) return false;
  HWY_ALIGN std::int32_t row_of[softmax_simd::kRowMinVectors * softmax_simd::kMaxLanes *
                                softmax_simd::kMaxLanes];
  for (std::size_t q = 0, r = 0, k = 0; q < pieces * lanes; ++q) {
    row_of[q] = static_cast<std::int32_t>(r);
    if (++k == pieces) k = 0, ++r;
  }
  V cols[softmax_simd::kRowMinVectors * softmax_simd::kMaxLanes];
  for (std::size_t o = 0; o < outer; ++o) {
    std::size_t g0 = 0;
    for (; g0 + lanes <= groups; g0 += lanes) {
      const float* xb = x + o * size + g0 * pieces;
      softmax_simd::fast::LoadColumns(d, pieces, xb, cols);
      V m;
      VI idx;
      FirstMax(d, pieces, [&](std::size_t p) { return cols[p]; }, m, idx);
      if (dy == nullptr) {
        hn::StoreU(m, d, out + o * groups + g0);
        continue;
      }
      const V g = hn::LoadU(d, dy + o * groups + g0);
      float* dx = out + o * size + g0 * pieces;
      for (std::size_t v = 0; v < pieces; ++v) {
        const VI rows_i = hn::LoadU(di, row_of + v * lanes);
        const auto rows = hn::IndicesFromVec(d, rows_i);
        // The piece of each output position: v·lanes + l − row·pieces.
        const VI piece = hn::Sub(hn::Add(hn::Iota(di, 0), hn::Set(di, static_cast<int>(v * lanes))),
                                 hn::Mul(rows_i, hn::Set(di, static_cast<int>(pieces))));
        const auto win = hn::RebindMask(
            d, hn::Eq(hn::TableLookupLanes(idx, hn::IndicesFromVec(di, rows_i)), piece));
        hn::StoreU(hn::IfThenElseZero(win, hn::TableLookupLanes(g, rows)), d, dx + v * lanes);
      }
    }
    for (; g0 < groups; ++g0) {
      GroupScalar(pieces, 1, x + o * size + g0 * pieces, dy ? dy + o * groups + g0 : nullptr,
                  dy ? out + o * size + g0 * pieces : out + o * groups + g0);
    }
  }
  return true;
}

}  // namespace maxout_simd
#endif  // HWY_NATIVE_FMA

bool MaxoutRun(std::size_t outer, std::size_t size, std::size_t inner, std::size_t pieces,
               const float* x, const float* dy, float* out) {
#if HWY_NATIVE_FMA
  return maxout_simd::Run(outer, size, inner, pieces, x, dy, out);
#else
  (void)outer;
  (void)size;
  (void)inner;
  (void)pieces;
  (void)x;
  (void)dy;
  (void)out;
  return false;
#endif
}

// glu over one outer slice: forward when dy is null (out = y), else backward (out = the
// slice's diff_src, a half then b half). Returns false at once on targets without a vector
// version.
bool GluSlice(const float* x, const float* dy, float* out, std::size_t half_elements) {
#if HWY_NATIVE_FMA
  const float* a = x;
  const float* b = x + half_elements;
  if (dy == nullptr) {
    glu_simd::Forward(a, b, out, half_elements);
  } else {
    glu_simd::Backward(a, b, dy, out, out + half_elements, half_elements);
  }
  return true;
#else
  (void)x;
  (void)dy;
  (void)out;
  (void)half_elements;
  return false;
#endif
}

// Computes lines [j0, j1) of the call and returns true, or returns false at once on targets
// without a vector version.
bool SoftmaxLines(const detail::SoftmaxCall& call, std::size_t j0, std::size_t j1) {
#if HWY_NATIVE_FMA
  softmax_simd::Lines(call, j0, j1);
  return true;
#else
  (void)call;
  (void)j0;
  (void)j1;
  return false;
#endif
}

}  // namespace actlab::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "actlab/kernels.hpp"
#include "kernels/thread_pool.hpp"

namespace actlab::kernels::detail {

HWY_EXPORT(SoftmaxLines);
HWY_EXPORT(GluSlice);
HWY_EXPORT(MaxoutRun);

namespace {

// Arrays of at least this many elements are split across the pool's threads by lines.
// Measured (fast tier, AVX-512, softmax over rows of 10 and 1000, forward and backward; the
// threshold set to 0 and the same binary run with ACTLAB_NUM_THREADS=1 and 2 alternately,
// three rounds, 7 timings each; /tmp harness recorded in docs/benchmarks.md, "Softmax
// family"), machine load 5-6 on its 2 cores: 2 threads were slower than 1 at every size
// from 8K to 128K (64K, rows of 1000, forward 2.6 vs 3.2 G elements/s), within ±10% either
// way from 256K to 1M, and 2× faster at 16M (actlab_peer_bench). 256K is where they stopped
// losing; re-measure on a quiet machine, where the split should pay off sooner.
constexpr std::size_t kParallelMin = std::size_t{1} << 18;
// Lines longer than this along a dimension other than the last would need a large
// transposed scratch: left to the scalar loops.
constexpr std::size_t kMaxStridedSize = std::size_t{1} << 16;

bool fast_path() { return precision() == Precision::kFast; }

bool run(const SoftmaxCall& call, std::size_t lines) {
  if (lines == 0 || call.size == 0) return true;  // nothing to compute
  if (call.inner > 1 && call.size > kMaxStridedSize) return false;
  if (!HWY_DYNAMIC_DISPATCH(SoftmaxLines)(call, 0, 0)) return false;  // no vector version
  const std::size_t elements = lines * call.size;
  if (elements >= kParallelMin && lines > 1 && pool_threads() > 1) {
    run_parallel([&](std::size_t t, std::size_t threads) {
      constexpr std::size_t kAlign = 16;  // whole vectors of lines where inner allows
      const std::size_t per = ((lines + threads - 1) / threads + kAlign - 1) / kAlign * kAlign;
      const std::size_t begin = std::min(lines, t * per);
      const std::size_t end = std::min(lines, begin + per);
      if (begin < end) HWY_DYNAMIC_DISPATCH(SoftmaxLines)(call, begin, end);
    });
    return true;
  }
  return HWY_DYNAMIC_DISPATCH(SoftmaxLines)(call, 0, lines);
}

}  // namespace

bool simd_softmax_forward(SoftmaxKind kind, const DimSplit& split, float temperature,
                          const float* src, float* dst) {
  const SoftmaxCall call{kind,        false, split.size, split.inner, temperature,
                         fast_path(), src,   nullptr,    dst};
  return run(call, split.outer * split.inner);
}

bool simd_glu_forward(const DimSplit& split, const float* src, float* dst) {
  const std::size_t half = split.size / 2 * split.inner;
  if (!HWY_DYNAMIC_DISPATCH(GluSlice)(src, nullptr, dst, 0)) return false;
  for (std::size_t o = 0; o < split.outer; ++o) {
    HWY_DYNAMIC_DISPATCH(GluSlice)(src + 2 * o * half, nullptr, dst + o * half, half);
  }
  return true;
}

bool simd_glu_backward(const DimSplit& split, const float* src, const float* diff_dst,
                       float* diff_src) {
  const std::size_t half = split.size / 2 * split.inner;
  if (!HWY_DYNAMIC_DISPATCH(GluSlice)(src, diff_dst, diff_src, 0)) return false;
  for (std::size_t o = 0; o < split.outer; ++o) {
    HWY_DYNAMIC_DISPATCH(GluSlice)(src + 2 * o * half, diff_dst + o * half,
                                   diff_src + 2 * o * half, half);
  }
  return true;
}

bool simd_maxout_forward(const DimSplit& split, std::size_t pieces, const float* src,
                         float* dst) {
  if (split.outer * split.size * split.inner == 0) return true;
  return HWY_DYNAMIC_DISPATCH(MaxoutRun)(split.outer, split.size, split.inner, pieces, src,
                                         nullptr, dst);
}

bool simd_maxout_backward(const DimSplit& split, std::size_t pieces, const float* src,
                          const float* diff_dst, float* diff_src) {
  if (split.outer * split.size * split.inner == 0) return true;
  return HWY_DYNAMIC_DISPATCH(MaxoutRun)(split.outer, split.size, split.inner, pieces, src,
                                         diff_dst, diff_src);
}

bool simd_softmax_backward(SoftmaxKind kind, const DimSplit& split, float temperature,
                           const float* y, const float* diff_dst, float* diff_src) {
  const SoftmaxCall call{kind,        true, split.size, split.inner, temperature,
                         fast_path(), y,    diff_dst,   diff_src};
  return run(call, split.outer * split.inner);
}

}  // namespace actlab::kernels::detail
#endif  // HWY_ONCE
