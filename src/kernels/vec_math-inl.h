// Vector float math for the elementwise kernels, per SIMD target (Highway's "-inl.h"
// convention: included once per target by elementwise_simd.cpp). Only for targets with a
// native FMA (HWY_NATIVE_FMA: AVX2, AVX-512): the error-free product MulSub(a, b, a·b) must
// be exact. The other targets use the scalar ops (<cmath>), which are as exact.
//
// The scalar twins of these pieces, and why each correction is needed, are in
// float_math.hpp and elementwise_ops.hpp; docs/conventions.md §8 summarises.

// Per-target include guard (Highway's toggle idiom).
#if defined(ACTLAB_KERNELS_VEC_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTLAB_KERNELS_VEC_MATH_INL_H_
#undef ACTLAB_KERNELS_VEC_MATH_INL_H_
#else
#define ACTLAB_KERNELS_VEC_MATH_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace actlab::kernels::HWY_NAMESPACE::vm {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
using VecT = hn::Vec<D>;

// ---------------------------------------------------------------- error-free transforms

// The rounding error of p = fl(a·b) (exact with a fused multiply-add).
template <class V>
HWY_INLINE V ProductError(V a, V b, V p) {
  return hn::MulSub(a, b, p);
}
// The rounding error of s = fl(a + b) for |a| ≥ |b| (Dekker).
template <class V>
HWY_INLINE V FastSumError(V a, V b, V s) {
  return hn::Sub(b, hn::Sub(s, a));
}
// The rounding error of s = fl(a + b) for any a, b (Knuth).
template <class V>
HWY_INLINE V SumError(V a, V b, V s) {
  const V bb = hn::Sub(s, a);
  return hn::Add(hn::Sub(a, hn::Sub(s, bb)), hn::Sub(b, bb));
}
// v where finite, else 0: a correction term must not turn inf into NaN.
template <class D, class V = VecT<D>>
HWY_INLINE V FiniteOrZero(D, V v) {
  return hn::IfThenElseZero(hn::IsFinite(v), v);
}
// p + c, p itself where p is ±0 (keeps −0).
template <class D, class V = VecT<D>>
HWY_INLINE V AddCorrection(D d, V p, V c) {
  return hn::IfThenElse(hn::Eq(p, hn::Zero(d)), p, hn::Add(p, FiniteOrZero(d, c)));
}
// (p + p_lo)/(q + q_lo) rounded about once (detail::divide_pairs).
template <class D, class V = VecT<D>>
HWY_INLINE V DividePairs(D d, V p, V p_lo, V q, V q_lo) {
  const V r = hn::Div(p, q);
  const V rem = hn::NegMulAdd(r, q, p);  // p − r·q, exact
  // The correction is below ~1 ULP of r: a 12-bit reciprocal leaves < 0.001 ULP.
  const V c = hn::Mul(hn::Sub(hn::Add(rem, p_lo), hn::Mul(r, q_lo)), hn::ApproximateReciprocal(q));
  return hn::IfThenElse(hn::Eq(r, hn::Zero(d)), r, hn::Add(r, FiniteOrZero(d, c)));
}

// ---------------------------------------------------------------- exp

// e^(v + v_lo) = (hi + lo)·2^n, hi ∈ [0.7, 1.42], |lo| ≲ 2^-24, for v ∈ [kExpMin, kExpMax]
// (the callers clamp, and decide what lies outside).
//
// Method (Cody & Waite reduction, Taylor polynomial, all carried as hi + lo):
// - n = round(v·log2 e), r = v − n·ln2 with ln2 = C1 + C2 + C3 (Cody & Waite, three
//   parts): r = (v − n·C1) − n·C2 exactly, r_lo = v_lo − n·C3; |r| ≤ 0.3466 + 1e-7;
//   ln2 − C1 − C2 − C3 ≈ 9e-17 is negligible.
// - e^r − 1 = r + r²·P(r), P the Taylor series 1/2 + r/6 + … + r^6/8! (remainder
//   r^9/9! < 2e-10), with r² and r²·P carried with their product errors;
//   hi = fl(1 + q), lo the rest (two-sum) + errors + e^r·r_lo.
// Error budget: r to ~2^-48 absolute, the polynomial ≤ 2e-10 relative, the unchecked roundings
// (inside P) below 2^-30 relative, so hi + lo is far below 0.5 ULP off. Measured on the
// kernel test's dense sweep: `exponential` (fl(hi + lo)·2^n) is ≤ 0.500 ULP for normal results
// and 0.755 ULP for denormal ones (rounded twice); every user is held to the table's bounds.
inline constexpr float kExpMin = -130.0f;  // n ≥ −188: Scale's two factors stay normal
inline constexpr float kExpMax = 89.0f;    // above 88.73 the result overflows anyway

template <class D, class V = VecT<D>>
struct ExpParts {
  V hi;
  V lo;
  hn::Vec<hn::RebindToSigned<D>> n;
};

template <class D, class V = VecT<D>>
HWY_INLINE ExpParts<D> ExpReduce(D d, V v, V v_lo) {
  const hn::RebindToSigned<D> di;
  v = hn::Min(hn::Max(v, hn::Set(d, kExpMin)), hn::Set(d, kExpMax));
  const V nf = hn::Round(hn::Mul(v, hn::Set(d, 1.44269504088896341f)));
  // ln2 = C1 + C2 + C3, C1 = 355/512, C2 = −3560·2^-24 (9 bits each): n·C1, n·C2 and both
  // subtractions are exact for |n| ≤ 2^8 (every |v| ≥ 1/4 has an ulp ≥ 2^-25 and
  // |r| < 1/2), so r is exact and only n·C3 (≈ 2e-9·n) goes to r_lo.
  const V t = hn::NegMulAdd(nf, hn::Set(d, 0.693359375f), v);
  const V r = hn::NegMulAdd(nf, hn::Set(d, -2.12192535400390625e-4f), t);
  const V r_lo = hn::NegMulAdd(nf, hn::Set(d, -1.9046542121259336e-09f), v_lo);
  // P(r) = 1/2 + r/6 + r²/24 + … + r^6/8!
  V p = hn::Set(d, 2.48015873015873e-05f);                  // 1/8!
  p = hn::MulAdd(p, r, hn::Set(d, 1.98412698412698e-04f));  // 1/7!
  p = hn::MulAdd(p, r, hn::Set(d, 1.38888888888889e-03f));  // 1/6!
  p = hn::MulAdd(p, r, hn::Set(d, 8.33333333333333e-03f));  // 1/5!
  p = hn::MulAdd(p, r, hn::Set(d, 4.16666666666667e-02f));  // 1/4!
  p = hn::MulAdd(p, r, hn::Set(d, 1.66666666666667e-01f));  // 1/3!
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  const V r2 = hn::Mul(r, r);
  const V r2_lo = ProductError(r, r, r2);
  const V s = hn::Mul(r2, p);
  const V s_lo = hn::MulAdd(r2_lo, p, ProductError(r2, p, s));
  const V q = hn::Add(r, s);  // |r| ≥ |s|
  const V q_lo = hn::Add(FastSumError(r, s, q), s_lo);
  const V one = hn::Set(d, 1.0f);
  const V hi = hn::Add(one, q);
  const V lo = hn::Add(FastSumError(one, q, hi), hn::MulAdd(r_lo, hi, q_lo));
  return {hi, lo, hn::ConvertTo(di, nf)};
}

// 2^k for k ∈ [−126, 127].
template <class D, class VI>
HWY_INLINE VecT<D> Pow2(D d, VI k) {
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(k, hn::Set(di, 127))));
}

// u·2^n for n ∈ [−188, 129] in two exact steps, the only rounding in the last (where the
// result is denormal): below n = −64 the first factor is 2^(n + 64), so the intermediate
// stays normal for |u| ≥ 2^-16. The two factors are built once per n and applied to
// several values.
template <class D, class V = VecT<D>>
struct Scaler {
  V first;
  V second;
  template <class VI>
  HWY_INLINE Scaler(D d, VI n) {
    const hn::RebindToSigned<D> di;
    const VI n2 =
        hn::IfThenElse(hn::Lt(n, hn::Set(di, -64)), hn::Set(di, -64), hn::ShiftRight<1>(n));
    first = Pow2(d, hn::Sub(n, n2));
    second = Pow2(d, n2);
  }
  HWY_INLINE V operator()(V u) const { return hn::Mul(hn::Mul(u, first), second); }
  // The same scaling where `mask` is set, none elsewhere.
  template <class M>
  HWY_INLINE Scaler Only(D d, M mask) const {
    Scaler out = *this;
    out.first = hn::IfThenElse(mask, first, hn::Set(d, 1.0f));
    out.second = hn::IfThenElse(mask, second, hn::Set(d, 1.0f));
    return out;
  }
};

// e^(v + v_lo): ≤ 0.5 ULP (0.76 denormal, measured); 0 below −103.97, inf above 88.72 (and at
// ±inf).
template <class D, class V = VecT<D>>
HWY_INLINE V Exp(D d, V v, V v_lo) {
  const ExpParts<D> e = ExpReduce(d, v, v_lo);
  // Below kExpMin the result is under half the smallest denormal: 0 (celu'(−1e20) gave
  // 2 denormal ULPs from the clamped scaling).
  return hn::IfThenZeroElse(hn::Lt(v, hn::Set(d, kExpMin)),
                            Scaler<D>(d, e.n)(hn::Add(e.hi, e.lo)));
}

// (m + m_lo)·e^(v + v_lo), rounded once (the product is formed before the scaling, so a
// denormal e^v loses nothing: detail::times_exp). ±0 with m's sign below v = kExpMin
// (exact while |m| < 2e11).
template <class D, class V = VecT<D>>
HWY_INLINE V TimesExp(D d, V m, V m_lo, V v, V v_lo) {
  const ExpParts<D> e = ExpReduce(d, v, v_lo);
  const V p = hn::Mul(m, e.hi);
  const V p_lo = hn::MulAdd(m, e.lo, hn::MulAdd(m_lo, e.hi, ProductError(m, e.hi, p)));
  const V u = AddCorrection(d, p, p_lo);
  const V zero = hn::CopySign(hn::Zero(d), m);
  return hn::IfThenElse(hn::Lt(v, hn::Set(d, kExpMin)), zero, Scaler<D>(d, e.n)(u));
}

// e^(v + v_lo) − 1 for v ≤ 0: (hi + lo)·2^n − 1 with the subtraction exact and the lo
// parts added once; no cancellation error near 0 (expm1). Returned as hi + lo. −0 kept.
template <class D, class V = VecT<D>>
struct Pair {
  V hi;
  V lo;
};
template <class D, class V = VecT<D>>
HWY_INLINE Pair<D> Expm1Pair(D d, V v, V v_lo) {
  const ExpParts<D> e = ExpReduce(d, v, v_lo);
  const Scaler<D> scale(d, e.n);
  const V t = scale(e.hi);
  const V t_lo = scale(e.lo);
  const V minus_one = hn::Set(d, -1.0f);
  const V y = hn::Add(t, minus_one);  // t ≤ ~1: |−1| ≥ |t|
  const V y_lo = hn::Add(FastSumError(minus_one, t, y), t_lo);
  const V hi = hn::Add(y, y_lo);
  const V lo = FastSumError(y, y_lo, hi);
  const auto keep = hn::Eq(v, hn::Zero(d));  // expm1(±0) = ±0
  return {hn::IfThenElse(keep, v, hi), hn::IfThenZeroElse(keep, lo)};
}

// m·σ(v + v_lo) = m·N/(1 + e), e = e^(−|v + v_lo|), N = e for v < 0, 1 for v ≥ 0, with
// 1 + e and m·N carried exactly and one division (detail::times_sigmoid). For v < 0 the
// numerator is formed before the 2^n scaling, so σ(v) near −100 (denormal) is rounded
// once: sigmoid(−89) = 2.2e-39. ±0 (m's sign) below v = kExpMin; m at v = +inf.
template <class D, class V = VecT<D>>
HWY_INLINE V TimesSigmoid(D d, V m, V v, V v_lo) {
  const auto negative = hn::Lt(v, hn::Zero(d));
  const V a = hn::Neg(hn::Abs(v));
  const V a_lo = hn::IfThenElse(negative, v_lo, hn::Neg(v_lo));
  const ExpParts<D> e = ExpReduce(d, a, a_lo);
  const Scaler<D> scale(d, e.n);
  const V es = scale(e.hi);
  const V es_lo = scale(e.lo);
  const V one = hn::Set(d, 1.0f);
  const V s = hn::Add(one, es);
  const V s_lo = hn::Add(FastSumError(one, es, s), es_lo);
  const V pn = hn::Mul(m, e.hi);  // v < 0: m·e unscaled
  const V pn_lo = hn::MulAdd(m, e.lo, ProductError(m, e.hi, pn));
  const V p = hn::IfThenElse(negative, pn, m);
  const V p_lo = hn::IfThenElseZero(negative, pn_lo);
  const V q = DividePairs(d, p, FiniteOrZero(d, p_lo), s, s_lo);
  const V zero = hn::CopySign(hn::Zero(d), m);
  return hn::IfThenElse(hn::Lt(v, hn::Set(d, kExpMin)), zero, scale.Only(d, negative)(q));
}

// ---------------------------------------------------------------- log1p

// log(1 + e + e_lo) for e ∈ [0, 1] as hi + lo (the softplus family's log1p(e^(−|v|))).
// Method: w = 1 + e, w = 2^k·m with m ∈ [1/√2, √2], k ∈ {0, 1}; log1p(e) = k·ln2 +
// log1p(f) + δ/m with f = e for k = 0, f = m − 1 (exact, Sterbenz) for k = 1; then fdlibm's
// log1p(f) = f − f²/2 + s·(f²/2 + R(s²)), s = f/(2 + f), R the minimax polynomial of
// e_log1pf.c (Lg1..Lg7, |s| ≤ 0.1716), with f − f²/2 and the sums carried as two-sums, plus
// δ/m for the lo part of w and k·ln2 as hi + lo. Only the s·(…) term (≤ 7 % of the result)
// is rounded unchecked. Measured through log_sigmoid and softplus on the kernel test's dense
// sweep: forward ≤ 0.76 ULP (glibc's log1pf gives 1.31).
template <class D, class V = VecT<D>>
HWY_INLINE Pair<D> Log1pPair(D d, V e, V e_lo) {
  const V one = hn::Set(d, 1.0f);
  const V w = hn::Add(one, e);
  const V w_lo = hn::Add(FastSumError(one, e, w), e_lo);
  const auto big = hn::Gt(w, hn::Set(d, 1.41421356f));
  const V half_or_one = hn::IfThenElse(big, hn::Set(d, 0.5f), one);
  const V m = hn::Mul(w, half_or_one);
  // k = 1: f = m − 1 (exact) and the rounding of w in δ (≤ 2^-25, so δ² is negligible);
  // k = 0: f = e itself (where w's rounding would be as large as e), δ = e_lo.
  const V delta = hn::IfThenElse(big, hn::Mul(w_lo, half_or_one), e_lo);
  const V f = hn::IfThenElse(big, hn::Sub(m, one), e);
  const V s = hn::Div(f, hn::Add(hn::Set(d, 2.0f), f));
  const V z = hn::Mul(s, s);
  V r = hn::Set(d, 1.4798198640e-01f);
  r = hn::MulAdd(r, z, hn::Set(d, 1.5313838422e-01f));
  r = hn::MulAdd(r, z, hn::Set(d, 1.8183572590e-01f));
  r = hn::MulAdd(r, z, hn::Set(d, 2.2222198546e-01f));
  r = hn::MulAdd(r, z, hn::Set(d, 2.8571429849e-01f));
  r = hn::MulAdd(r, z, hn::Set(d, 4.0000000596e-01f));
  r = hn::MulAdd(r, z, hn::Set(d, 6.6666668653e-01f));
  r = hn::Mul(r, z);
  const V ff = hn::Mul(f, f);
  const V hfsq = hn::Mul(hn::Set(d, 0.5f), ff);
  const V hfsq_lo = hn::Mul(hn::Set(d, 0.5f), ProductError(f, f, ff));
  const V t3 = hn::Mul(s, hn::Add(hfsq, r));
  const V a = hn::Sub(f, hfsq);  // |f| ≥ f²/2
  const V a_lo = hn::Sub(FastSumError(f, hn::Neg(hfsq), a), hfsq_lo);
  const V l = hn::Add(a, t3);
  const V l_lo = hn::Add(hn::Add(SumError(a, t3, l), a_lo), hn::Div(delta, m));
  const V k_hi = hn::IfThenElseZero(big, hn::Set(d, 6.93145752e-01f));  // 9 bits short: exact
  const V k_lo = hn::IfThenElseZero(big, hn::Set(d, 1.42860677e-06f));
  const V hi = hn::Add(k_hi, l);  // |k·ln2| ≥ |l| where k = 1
  const V lo = hn::Add(hn::Add(FastSumError(k_hi, l, hi), l_lo), k_lo);
  const V out = hn::Add(hi, lo);
  return {out, FastSumError(hi, lo, out)};
}

}  // namespace actlab::kernels::HWY_NAMESPACE::vm
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_KERNELS_VEC_MATH_INL_H_
