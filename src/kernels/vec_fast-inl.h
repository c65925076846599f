// The fast tier's vector float math (kernels::Precision::kFast), per SIMD target (Highway's
// "-inl.h" convention: included once per target by elementwise_simd.cpp). Only for targets
// with a native FMA (AVX2, AVX-512), as vec_math-inl.h.
//
// Plain float arithmetic: one polynomial exp (or log1p) per element, a few cheap
// compensations where a single rounding would cost more than an ULP (1 + e kept as a pair
// through a quotient, the rounding of β·x through the exponent), and the 2^n scaling applied
// last so that denormal results are rounded once. About a third of the vector operations of
// vec_math-inl.h, which carries every step as hi + lo. Errors below are measured on the
// kernel test's dense sweep (tests/kernel_test.cpp, docs/accuracy.md has the tables); every
// user is held to the table's ULP bounds on both tiers.

// Per-target include guard (Highway's toggle idiom).
#if defined(ACTLAB_KERNELS_VEC_FAST_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTLAB_KERNELS_VEC_FAST_INL_H_
#undef ACTLAB_KERNELS_VEC_FAST_INL_H_
#else
#define ACTLAB_KERNELS_VEC_FAST_INL_H_
#endif

#include <hwy/highway.h>

#include "kernels/vec_math-inl.h"  // vm::AddCorrection, vm::FiniteOrZero

HWY_BEFORE_NAMESPACE();
namespace actlab::kernels::HWY_NAMESPACE::vf {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
using VecT = hn::Vec<D>;

// ---------------------------------------------------------------- exp

// e^(v + v_lo) = (1 + q)·2^n for v ∈ [kMin, kMax] (clamped: below kMin even m·e^v is under
// half the smallest denormal for |m| < 2e11, above kMax e^v overflows; ±inf land there too).
//
// Method: n = round(v·log2 e) by the 1.5·2^23 shifter (its low bits, +127, are 2^n's
// exponent field: `s`); r = v − n·C1 − n·C2 (Cody & Waite; C1 = 355/512 has 9 bits, so
// v − n·C1 is exact for |n| ≤ 2^15 and r rounds once) plus v_lo; |r| ≤ 0.3466.
// e^r − 1 = q = r + r²·P(r), P the Taylor series 1/2 + r/6 + … + r^5/7! (remainder
// r^8/8! < 6e-9 relative: 0.05 ULP). q is rounded once, 1 + q once more.
// Measured (`exponential`, dense sweep): 0.99 ULP (worst at x = −59.94; 1 + q rounds once
// more than the accurate tier's pair).
inline constexpr float kMin = -130.0f;
#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
inline constexpr bool kHasScalef = true;  // Scale below: VSCALEFPS
#else
inline constexpr bool kHasScalef = false;
#endif
inline constexpr float kMax = 89.0f;

template <class D>
struct ExpCore {
  VecT<D> q;   // e^r − 1
  VecT<D> nf;  // n as a float
  VecT<D> s;   // 2^n, valid while |n| ≤ 126 (`normal`)
  bool normal;
};

// kNonPositive: the caller guarantees v ≤ 0 (or NaN), so only the lower clamp is needed.
// kLo: v_lo is not known to be 0.
template <bool kNonPositive = false, bool kLo = true, class D, class V = VecT<D>>
HWY_INLINE ExpCore<D> Reduce(D d, V v, V v_lo) {
  const hn::RebindToSigned<D> di;
  v = hn::Max(v, hn::Set(d, kMin));
  if constexpr (!kNonPositive) v = hn::Min(v, hn::Set(d, kMax));
  const V shifter = hn::Set(d, 12583039.0f);  // 1.5·2^23 + 127
  const V z = hn::MulAdd(v, hn::Set(d, 1.44269504088896341f), shifter);
  const V nf = hn::Sub(z, shifter);
  V r = hn::NegMulAdd(nf, hn::Set(d, 0.693359375f), v);
  r = hn::NegMulAdd(nf, hn::Set(d, -2.12194440e-4f), r);
  if constexpr (kLo) r = hn::Add(r, v_lo);
  V p = hn::Set(d, 1.98412698e-4f);                 // 1/7!
  p = hn::MulAdd(p, r, hn::Set(d, 1.38888889e-3f));  // 1/6!
  p = hn::MulAdd(p, r, hn::Set(d, 8.33333333e-3f));  // 1/5!
  p = hn::MulAdd(p, r, hn::Set(d, 4.16666667e-2f));  // 1/4!
  p = hn::MulAdd(p, r, hn::Set(d, 1.66666667e-1f));  // 1/3!
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  const V q = hn::MulAdd(hn::Mul(r, r), p, r);
  if constexpr (kHasScalef) return {q, nf, nf, true};  // Scale reads nf only
  const V s = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(di, z)));
  const bool normal = hn::AllFalse(d, hn::Gt(hn::Abs(nf), hn::Set(d, 126.0f)));
  return {q, nf, s, normal};
}

// u·2^n for n ∈ [−188, 128] in two exact steps, rounding only in the last where the result
// is denormal (or overflows). For a result that is normal both steps are exact, so this
// gives the same bits as u·2^n in one step: the one-step path below is taken when every
// lane allows it, and an element's bits do not depend on its neighbours.
template <class D, class V = VecT<D>>
HWY_NOINLINE V ScaleSlow(D d, V u, V nf) {
  const hn::RebindToSigned<D> di;
  const auto n = hn::ConvertTo(di, nf);
  const auto n1 = hn::ShiftRight<1>(n);
  const auto n2 = hn::Sub(n, n1);
  const auto bias = hn::Set(di, 127);
  const V s1 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(n1, bias)));
  const V s2 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(n2, bias)));
  return hn::Mul(hn::Mul(u, s1), s2);
}

// On AVX-512, VSCALEFPS does it in one instruction with the same single rounding.
#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
template <class D, class V = VecT<D>>
HWY_INLINE V Scale(D, const ExpCore<D>& e, V u) {
  return V{_mm512_scalef_ps(u.raw, e.nf.raw)};
}
#else
template <class D, class V = VecT<D>>
HWY_INLINE V Scale(D d, const ExpCore<D>& e, V u) {
  if (HWY_LIKELY(e.normal)) return hn::Mul(u, e.s);
  return ScaleSlow(d, u, e.nf);
}
#endif

// The same core with n = 0 (no scaling) where `mask` is clear.
template <class D, class M>
HWY_INLINE ExpCore<D> Only(D d, const ExpCore<D>& e, M mask) {
  return {e.q, hn::IfThenElseZero(mask, e.nf), hn::IfThenElse(mask, e.s, hn::Set(d, 1.0f)),
          e.normal};
}

// e^(v + v_lo); 0 below −103.97, inf above 88.72. v_lo must be small (|v_lo| < 2^-10).
template <bool kNonPositive = false, bool kLo = true, class D, class V = VecT<D>>
HWY_INLINE V Exp(D d, V v, V v_lo) {
  const ExpCore<D> e = Reduce<kNonPositive, kLo>(d, v, v_lo);
  return Scale(d, e, hn::Add(hn::Set(d, 1.0f), e.q));
}

// m·e^(v + v_lo) = m·(1 + q) (one rounding, before the scaling: a denormal result rounds
// once) · 2^n; ±0 (m's sign) below kMin.
template <bool kNonPositive = false, bool kLo = true, class D, class V = VecT<D>>
HWY_INLINE V TimesExp(D d, V m, V v, V v_lo) {
  const ExpCore<D> e = Reduce<kNonPositive, kLo>(d, v, v_lo);
  const V y = Scale(d, e, hn::MulAdd(m, e.q, m));
  return hn::IfThenElse(hn::Lt(v, hn::Set(d, kMin)), hn::CopySign(hn::Zero(d), m), y);
}

// (m + m_lo)·e^(v + v_lo): m + (m·q + m_lo), two roundings, then 2^n; ±0 kept.
template <class D, class V = VecT<D>>
HWY_INLINE V TimesExpPair(D d, V m, V m_lo, V v, V v_lo) {
  const ExpCore<D> e = Reduce(d, v, v_lo);
  const V y = Scale(d, e, vm::AddCorrection(d, m, hn::MulAdd(m, e.q, m_lo)));
  return hn::IfThenElse(hn::Lt(v, hn::Set(d, kMin)), hn::CopySign(hn::Zero(d), m), y);
}

// c·(e^v − 1) for v ≤ 0 (ELU's negative side), c > 0: with e^v = (1 + q)·2^n,
// c·2^n·q + c·(2^n − 1), the second term rounded once (exact for c = 1, n ≥ −24) and the
// sum once; for |v| < 0.3466, n = 0 and r = v exactly, so there is no cancellation near 0.
// v ≤ 0 or NaN, or anything in lanes the caller discards (ELU's x > 0). −0 kept.
// Measured (elu, α = 1, dense sweep): 0.76 ULP; α = 2.5: 1.24; selu (c·2^n): 1.52.
template <class D, class V = VecT<D>>
HWY_INLINE V TimesExpm1(D d, V c, V v) {
  const ExpCore<D> e = Reduce<true, false>(d, v, hn::Zero(d));
  const V cs = Scale(d, e, c);  // exact
  const V y = hn::MulAdd(cs, e.q, hn::Sub(cs, c));
  return hn::IfThenElse(hn::Eq(v, hn::Zero(d)), v, y);
}

// ---------------------------------------------------------------- quotients

// 1/w to ~2^-23 (AVX2: 12-bit estimate, two Newton steps) or ~2^-27 (AVX-512: 14-bit, one);
// no VDIVPS, whose throughput bounded the loops.
template <class D, class V = VecT<D>>
HWY_INLINE V Reciprocal(D d, V w) {
  const V one = hn::Set(d, 1.0f);
  V r = hn::ApproximateReciprocal(w);
  r = hn::MulAdd(hn::NegMulAdd(w, r, one), r, r);
  if constexpr (!kHasScalef) r = hn::MulAdd(hn::NegMulAdd(w, r, one), r, r);
  return r;
}

// (num + num_lo)/(w + w_lo) rounded about once: y0 = num·r, r ≈ 1/w, then one correction
// by the remainder num − y0·w (exact by FMA) and the lo parts, which squares r's relative
// error: AVX-512's 14-bit estimate alone leaves 2^-28, AVX2's 12-bit one gets a Newton step
// first. For finite num and w ≥ 1.
template <class D, class V = VecT<D>>
HWY_INLINE V DividePairs(D d, V num, V num_lo, V w, V w_lo) {
  V r = hn::ApproximateReciprocal(w);
  if constexpr (!kHasScalef) r = hn::MulAdd(hn::NegMulAdd(w, r, hn::Set(d, 1.0f)), r, r);
  const V y0 = hn::Mul(num, r);
  const V res = hn::Add(hn::NegMulAdd(y0, w, num), hn::NegMulAdd(y0, w_lo, num_lo));
  return hn::MulAdd(res, r, y0);
}

// m·σ(v + v_lo) = m·N/(1 + e), e = e^(−|v|), N = e for v < 0 and 1 for v ≥ 0. The
// numerator m·(1 + q) is formed before the 2^n scaling (a denormal result rounds once) as
// num + num_lo (two-product and two-sum), 1 + e as w + w_lo, and the quotient is rounded
// about once (DividePairs). kUnitM: m = 1 (sigmoid), no special cases; kLo: v_lo may be
// nonzero. Otherwise ±0 and
// +inf give m, and v < kMin gives ±0 with m's sign.
// Measured on the dense sweep: sigmoid 0.99 ULP, silu 1.05, gelu_tanh 1.05 (docs/accuracy.md);
// without the pairs sigmoid reached 1.7.
template <bool kUnitM, bool kLo, class D, class V = VecT<D>>
HWY_INLINE V TimesSigmoid(D d, V m, V v, V v_lo) {
  const auto negative = hn::Lt(v, hn::Zero(d));
  V a_lo = v_lo;
  if constexpr (kLo) {
    // v_lo ≤ 2^-18 where e^v matters (|v| < 130); beyond, it may be huge (2.5·1e18's error).
    const V lim = hn::Set(d, 0x1.0p-10f);
    const V v_lo_c = hn::Min(hn::Max(v_lo, hn::Neg(lim)), lim);
    a_lo = hn::IfThenElse(negative, v_lo_c, hn::Neg(v_lo_c));
  }
  const ExpCore<D> e = Reduce<true, kLo>(d, hn::Neg(hn::Abs(v)), a_lo);
  const V one = hn::Set(d, 1.0f);
  const V eu = hn::Add(one, e.q);
  const V es = Scale(d, e, eu);
  const V w = hn::Add(one, es);
  const V w_lo = hn::Add(hn::Sub(one, w), es);
  V mn, mn_lo;
  if constexpr (kUnitM) {
    // N = e itself, already scaled (a denormal e rounded once is the result: 1 + e = 1)
    const V lo = hn::Sub(e.q, hn::Sub(eu, one));
    const V num = hn::IfThenElse(negative, es, one);
    const V num_lo = hn::IfThenElseZero(negative, Scale(d, e, lo));
    return DividePairs(d, num, num_lo, w, w_lo);
  } else {  // m·(1 + q) = m + m·q, |m| ≥ |m·q|
    const V mq = hn::Mul(m, e.q);
    mn = hn::Add(m, mq);
    mn_lo = hn::Add(hn::Sub(mq, hn::Sub(mn, m)), hn::MulSub(m, e.q, mq));
  }
  const V num = hn::IfThenElse(negative, mn, m);
  const V num_lo = hn::IfThenElseZero(negative, mn_lo);
  const V y = Scale(d, Only(d, e, negative), DividePairs(d, num, num_lo, w, w_lo));
  const V special = hn::IfThenElse(hn::Lt(v, hn::Set(d, kMin)), hn::CopySign(hn::Zero(d), m), m);
  const auto is_special = hn::Or(hn::Lt(v, hn::Set(d, kMin)), hn::IsInf(m));
  return hn::IfThenElse(hn::Or(is_special, hn::Eq(m, hn::Zero(d))), special, y);
}

// ---------------------------------------------------------------- log1p

// log(1 + e) for e ∈ [0, 1] (the softplus family's log1p(e^(−|v|))).
// Method (fdlibm's log1pf): w = 1 + e = 2^k·(1 + f), k ∈ {0, 1}, f ∈ [√2/2 − 1, √2 − 1];
// f = e itself for k = 0 (no rounding of w), f = w/2 − 1 (exact) for k = 1 with w's
// rounding added back as w_lo/w; log1p(f) = f − (f²/2 − s·(f²/2 + R(s²))), s = f/(2 + f),
// R the minimax polynomial of FreeBSD's k_logf.h (Lg1..Lg4, |error| < 2^-34 for
// |s| ≤ 0.1716); + k·ln2 as hi + lo. Measured through log_sigmoid and softplus
// (dense sweep): 1.42 ULP forward.
template <class D, class V = VecT<D>>
HWY_INLINE V Log1p(D d, V e) {
  const V one = hn::Set(d, 1.0f);
  const V w = hn::Add(one, e);
  const auto big = hn::Gt(w, hn::Set(d, 1.41421356f));
  const V f = hn::IfThenElse(big, hn::MulSub(w, hn::Set(d, 0.5f), one), e);
  const V w_lo = hn::Sub(e, hn::Sub(w, one));  // exact
  const V corr = hn::IfThenElseZero(big, hn::Mul(w_lo, hn::ApproximateReciprocal(w)));
  const V s = hn::Mul(f, Reciprocal(d, hn::Add(hn::Set(d, 2.0f), f)));
  const V z = hn::Mul(s, s);
  V r = hn::Set(d, 0.24279078841f);                   // Lg4
  r = hn::MulAdd(r, z, hn::Set(d, 0.28498786688f));  // Lg3
  r = hn::MulAdd(r, z, hn::Set(d, 0.40000972152f));  // Lg2
  r = hn::MulAdd(r, z, hn::Set(d, 0.66666662693f));  // Lg1
  r = hn::Mul(r, z);
  const V hfsq = hn::Mul(hn::Mul(hn::Set(d, 0.5f), f), f);
  const V l = hn::Sub(f, hn::NegMulAdd(s, hn::Add(hfsq, r), hfsq));
  const V k_hi = hn::IfThenElseZero(big, hn::Set(d, 6.93145752e-01f));
  const V k_lo = hn::IfThenElseZero(big, hn::Set(d, 1.42860677e-06f));
  return hn::Add(k_hi, hn::Add(l, hn::Add(k_lo, corr)));
}

// ---------------------------------------------------------------- tanh

// tanh x: below |x| = 0.5625 (tanh = 0.51) x + x³·P(x²), P of degree 4 interpolating
// (tanh x − x)/x³ at 5 Chebyshev nodes in x² (mpmath; 0.09 ULP relative with these float
// coefficients, script in docs/conventions.md §8); above, 1 − 2e/(1 + e), e = e^(−2|x|),
// with 1 + e's rounding corrected as in TimesSigmoid. Both computed, then selected; −0 kept.
// Measured (dense sweep): 0.95 ULP (bound 1.5).
template <class D, class V = VecT<D>>
HWY_INLINE V Tanh(D d, V x) {
  const V a = hn::Abs(x);
  const V s = hn::Mul(a, a);
  V p = hn::Set(d, -0.0065255723893642426f);
  p = hn::MulAdd(p, s, hn::Set(d, 0.021263353526592255f));
  p = hn::MulAdd(p, s, hn::Set(d, -0.053901754319667816f));
  p = hn::MulAdd(p, s, hn::Set(d, 0.13333073258399963f));
  p = hn::MulAdd(p, s, hn::Set(d, -0.3333333134651184f));
  const V near = hn::MulAdd(hn::Mul(a, s), p, a);
  const V one = hn::Set(d, 1.0f);
  const V e = Exp<true, false>(d, hn::Neg(hn::Add(a, a)), hn::Zero(d));
  const V w = hn::Add(one, e);
  const V w_lo = hn::Add(hn::Sub(one, w), e);
  const V far = hn::Sub(one, DividePairs(d, hn::Add(e, e), hn::Zero(d), w, w_lo));
  return hn::CopySign(hn::IfThenElse(hn::Lt(a, hn::Set(d, 0.5625f)), near, far), x);
}

}  // namespace actlab::kernels::HWY_NAMESPACE::vf
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_KERNELS_VEC_FAST_INL_H_
