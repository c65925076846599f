// The softmax family's fast tier (Precision::kFast), per SIMD target: included by
// along_dim_simd.cpp inside its per-target namespace softmax_simd (after the layouts and the
// accurate kernels, whose D, V, Columns, Row and kMaxLanes it uses), once per target, so no
// include guard. FMA targets only (AVX2, AVX-512), like the rest of that namespace.

// ---------------------------------------------------------------- fast path (kFast)
//
// Precision::kFast: the same exact shift (x − m by two-sum, the quotient by T with its
// remainder: without it e^(x − m) is off by |x − m|·2^-24 relative, 8 ULP at a difference of
// 13), but e^(hi + lo) is one plain polynomial with lo folded into the reduced argument (no
// hi + lo pair for e), the sum of the e's starts at 1 in every lane so Dekker's two-sum
// (3 ops) compensates it, and each y = e/Σ is rounded once more (the quotient corrected by
// fma). The backward sums are plain float (two accumulators per lane, the lanes combined in
// double) and the difference and product rounded once each. Measured max errors are in
// docs/benchmarks.md ("Softmax family"); both paths are held to the table's bounds.
namespace fast {

// e^(h + lo) = 2^k·2^(j/8)·e^r, h + lo = (8k + j)·ln2/8 + r, |r| ≤ ln2/16 (Tang's table
// method with 8 entries): ln2/8 in three parts (C1 has 13 bits, so n·C1 is exact for
// |n| < 2^11 and h − n·C1 is exact by Sterbenz), the second part's product, lo and the third
// part's product added to r (rounding ≤ 2^-30 absolute); e^r − 1 by its Taylor series to r^5
// (remainder r^6/720 < 1e-11); 2^(j/8) as the float pair hi + lo from a 8-entry table (one
// permute each), so m = hi + (hi·(e^r − 1) + lo) is rounded once: ≤ 0.51 ULP before the
// scaling (measured over [−86, 0]: see docs/benchmarks.md).
constexpr float kInvLn2Over8 = 11.541560173034668f;
constexpr float kLn2Over8Hi = 0.086639404296875f;  // 5678/2^16
constexpr float kLn2Over8Mid = 3.993272912339307e-06f;
// 2^(j/8) = kPow2Hi[j] + kPow2Lo[j] (mpmath, 100 bits), repeated to fill 16 lanes.
HWY_ALIGN constexpr float kPow2Hi[16] = {
    1.0f, 1.0905077457427979f, 1.1892070770263672f, 1.2968395948410034f,
    1.4142135381698608f, 1.5422108173370361f, 1.6817928552627563f, 1.8340080976486206f,
    1.0f, 1.0905077457427979f, 1.1892070770263672f, 1.2968395948410034f,
    1.4142135381698608f, 1.5422108173370361f, 1.6817928552627563f, 1.8340080976486206f};
HWY_ALIGN constexpr float kPow2Lo[16] = {
    0.0f, -1.3077539939843064e-08f, 3.797635272917432e-08f, -4.018999533172973e-08f,
    2.4203234971764687e-08f, 8.070904833346049e-09f, -2.4755326677450284e-08f,
    -1.1239277952768134e-08f,
    0.0f, -1.3077539939843064e-08f, 3.797635272917432e-08f, -4.018999533172973e-08f,
    2.4203234971764687e-08f, 8.070904833346049e-09f, -2.4755326677450284e-08f,
    -1.1239277952768134e-08f};

// Every shifted argument of a line at or above this: e^h is a normal float and 2^k is one
// exponent add (k ≥ −125). Below it the line takes ExpAny (two-step scaling, zeros).
constexpr float kNormalMin = -86.0f;

using DI = hn::RebindToSigned<D>;

struct Reduced {
  V m;            // 2^(j/8)·e^r ∈ [0.97, 1.92]
  hn::Vec<DI> k;  // e^(h + lo) = m·2^k
};
HWY_INLINE Reduced Reduce(D d, V h, V lo) {
  static_assert(HWY_MAX_BYTES / sizeof(float) <= 16, "kPow2 tables hold 16 lanes");
  const DI di;
  const V nf = hn::Round(hn::Mul(h, hn::Set(d, kInvLn2Over8)));
  const auto n = hn::ConvertTo(di, nf);
  const V t = hn::NegMulAdd(nf, hn::Set(d, kLn2Over8Hi), h);  // exact
  const V r0 = hn::NegMulAdd(nf, hn::Set(d, kLn2Over8Mid), t);
  // n·C3 ≤ 1501·2.1e-13 is below 0.01 ULP of e^r: left out.
  const V r = hn::Add(r0, lo);
  // e^r − 1 = r·(1 + r/2 + r²/6 + r³/24 + r⁴/120)
  V q = hn::MulAdd(hn::Set(d, 1.0f / 120), r, hn::Set(d, 1.0f / 24));
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f / 6));
  q = hn::MulAdd(q, r, hn::Set(d, 0.5f));
  q = hn::MulAdd(q, r, hn::Set(d, 1.0f));
  const V em1 = hn::Mul(q, r);
  const auto j = hn::IndicesFromVec(d, hn::And(n, hn::Set(di, 7)));
  const V hi = hn::TableLookupLanes(hn::Load(d, kPow2Hi), j);
  const V lo2 = hn::TableLookupLanes(hn::Load(d, kPow2Lo), j);
  return {hn::Add(hi, hn::MulAdd(hi, em1, lo2)), hn::ShiftRight<3>(n)};
}

// e^(h + lo) for h ∈ [kNormalMin, 0], lo finite.
HWY_INLINE V ExpNormal(D d, V h, V lo) {
  const Reduced e = Reduce(d, h, lo);
  const DI di;
  return hn::BitCast(d, hn::Add(hn::BitCast(di, e.m), hn::ShiftLeft<23>(e.k)));
}

// e^(h + lo) for any h ≤ 0 (−inf gives 0; lo not finite counts as 0); a NaN h gives an
// unspecified value (the callers make such lines NaN).
HWY_INLINE V ExpAny(D d, V h, V lo) {
  const V floor = hn::Set(d, vm::kExpMin);
  const Reduced e = Reduce(d, hn::Max(h, floor), vm::FiniteOrZero(d, lo));
  return hn::IfThenZeroElse(hn::Lt(h, floor), vm::Scaler<D>(d, e.k)(e.m));
}

template <bool kNormal>
HWY_INLINE V ExpOf(D d, V h, V lo) {
  return kNormal ? ExpNormal(d, h, lo) : ExpAny(d, h, lo);
}

// (v − m)/T as h + lo; minus_m = −m. With T = 1: v − m and its two-sum error.
template <bool kUnitT>
HWY_INLINE void Shift(D d, V v, V minus_m, V t, V inv_t, V& h, V& lo) {
  (void)d;
  const V diff = hn::Add(v, minus_m);
  const V diff_lo = vm::SumError(v, minus_m, diff);
  if constexpr (kUnitT) {
    h = diff;
    lo = diff_lo;
  } else {
    h = hn::Mul(diff, inv_t);
    lo = hn::Mul(hn::Add(hn::NegMulAdd(h, t, diff), diff_lo), inv_t);
  }
}

// s + e into (s, c) where s ≥ |e| (s starts at 1 and e ≤ 1): Dekker's two-sum.
HWY_INLINE void AddOrdered(V& s, V& c, V e) {
  const V ns = hn::Add(s, e);
  c = hn::Add(c, vm::FastSumError(s, e, ns));
  s = ns;
}

// The line's maximum m of ±x, whether the line is bad (NaN, or an infinite maximum: NaN
// everywhere, as the scalar loops) and whether every (v − m)/T ≥ kNormalMin. Tail lanes
// of a Row are padded with the line's first entry, which changes neither max nor min.
struct Range {
  V m;
  M bad;
  bool normal;
};
template <class Lay>
HWY_INLINE Range RangeOf(D d, const Lay& lay, const float* x, bool negate, float inv_t) {
  const float pad = x[0];
  V m = hn::Set(d, -kInf);
  V mn = hn::Set(d, kInf);
  M nan = hn::FirstN(d, 0);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V raw = lay.Load(d, x, k, pad);
    const V v = negate ? hn::Neg(raw) : raw;
    m = hn::Max(m, v);
    mn = hn::Min(mn, v);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  m = lay.MaxAll(d, m);
  mn = lay.MinAll(d, mn);
  const M bad = hn::Or(lay.AnyAll(d, nan), hn::Not(hn::IsFinite(m)));
  // Rounding is monotone, so every shifted entry is ≥ the shifted minimum computed the
  // same way (NaN compares false: such lines are not normal).
  const V lowest = hn::Mul(hn::Sub(mn, m), hn::Set(d, inv_t));
  return {m, bad, hn::AllTrue(d, hn::Ge(lowest, hn::Set(d, kNormalMin)))};
}

// e_k = e^((±x_k − m)/T) into y, and their sum Σ (s − 1 + c over the lanes).
template <bool kNormal, bool kUnitT, class Lay>
HWY_INLINE vm::Pair<D> ExpPass(D d, const Lay& lay, bool negate, float temperature,
                               const float* x, float* y, V m) {
  const V minus_m = hn::Neg(m);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  const float pad = x[0];
  V s = hn::Set(d, 1.0f);
  V c = hn::Zero(d);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V raw = lay.Load(d, x, k, pad);
    V h, lo;
    Shift<kUnitT>(d, negate ? hn::Neg(raw) : raw, minus_m, t, inv_t, h, lo);
    const V e = lay.ZeroPadding(d, k, ExpOf<kNormal>(d, h, lo));
    lay.Store(d, e, y, k);
    AddOrdered(s, c, e);
  }
  return lay.SumOffsetPair(d, s, c);
}

// y = softmax(±x/T).
template <class Lay>
void SoftmaxForward(D d, const Lay& lay_in, bool negate, float temperature, const float* x,
                    float* y) {
  const Lay lay = lay_in;  // a local: stores through float* cannot change it
  const Range range = RangeOf(d, lay, x, negate, 1.0f / temperature);
  const bool unit = temperature == 1.0f;
  const vm::Pair<D> total =
      range.normal ? (unit ? ExpPass<true, true>(d, lay, negate, temperature, x, y, range.m)
                           : ExpPass<true, false>(d, lay, negate, temperature, x, y, range.m))
                   : (unit ? ExpPass<false, true>(d, lay, negate, temperature, x, y, range.m)
                           : ExpPass<false, false>(d, lay, negate, temperature, x, y, range.m));
  const V sum = hn::IfThenElse(range.bad, hn::Set(d, std::nanf("")), total.hi);
  const V inv = hn::Div(hn::Set(d, 1.0f), sum);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    // e/(sum + sum_lo): q = e·(1/sum), then the remainder e − q·(sum + sum_lo) by fma.
    const V e = lay.Load(d, y, k, 0.0f);
    const V q = hn::Mul(e, inv);
    const V rem = hn::NegMulAdd(q, total.lo, hn::NegMulAdd(q, sum, e));
    lay.Store(d, hn::MulAdd(rem, inv, q), y, k);
  }
}

// Sums in double, per lane: the float lanes 0..n/2 go to lo, the others to hi.
struct DoubleSum {
  VD lo;
  VD hi;
  DoubleSum() : lo(hn::Zero(DD())), hi(hn::Zero(DD())) {}
  HWY_INLINE static VD Low(V v) { return hn::PromoteTo(DD(), hn::LowerHalf(hn::Half<D>(), v)); }
  HWY_INLINE static VD High(V v) { return hn::PromoteTo(DD(), hn::UpperHalf(hn::Half<D>(), v)); }
  HWY_INLINE void Add(V v) {
    lo = hn::Add(lo, Low(v));
    hi = hn::Add(hi, High(v));
  }
  // a·b exactly (a double product of floats is exact), then the sum.
  HWY_INLINE void AddProduct(V a, V b) {
    lo = hn::MulAdd(Low(a), Low(b), lo);
    hi = hn::MulAdd(High(a), High(b), hi);
  }
};

// dx = (±1/T)·p·(dy − Σ dy_j·p_j) at p = y/Σ y_j. The kernel sees y = fl(softmax(x)),
// whose sum S is 1 only to a few ULPs; the gradient at the point y stands for (its
// preimage, whose softmax is y/S, as the reference takes it) differs from y·(dy − Σ dy·y)
// by that much relative. So dx = ±(a·dy − a·b), a = y·c, b = Σ dy·y / S and c = 1/(S·T)
// carried as hi + lo: three roundings (a, a·dy, the difference), measured ≤ 2.2 ULP at
// T = 1 but 2.6 at T = 0.3 (bound 2.5): RunFastKernel runs this for T = 1 only. Both sums
// in double (a float sum of 24 products was 3 ULP off on short rows). A y whose sum is
// outside [1/2, 2] (not a softmax output) is taken as is.
constexpr float kTinyY = 8.67361737988403547e-19f;  // 2^-60

struct BackwardLine {
  V b;
  V c;
  V c_lo;
};
HWY_INLINE BackwardLine BackwardLineOf(D d, vm::Pair<D> sum, V total, float temperature) {
  const V one = hn::Set(d, 1.0f);
  const M valid = hn::And(hn::Ge(sum.hi, hn::Set(d, 0.5f)), hn::Le(sum.hi, hn::Set(d, 2.0f)));
  const V s = hn::IfThenElse(valid, sum.hi, one);
  const V s_lo = hn::IfThenElseZero(valid, sum.lo);
  // c = 1/w, w = S·T as hi + lo; c_lo from the exact remainder 1 − c·w_hi.
  const V t = hn::Set(d, temperature);
  const V w = hn::Mul(s, t);
  const V w_lo = hn::MulAdd(s_lo, t, vm::ProductError(s, t, w));
  const V c = hn::Div(one, w);
  return {hn::Div(total, s), c, hn::Mul(hn::NegMulAdd(c, w_lo, hn::NegMulAdd(c, w, one)), c)};
}

// One vector of dx from y, dy and their lines' constants. With kCheckTiny, a vector holding
// a y below 2^-60 (rare; a denormal a would lose bits that |dy − b| then scales up) is
// computed with those y scaled by 2^64 and the result scaled back; lines whose every |y| is
// above that skip the check.
template <bool kNegate, bool kCheckTiny>
HWY_INLINE V SoftmaxGrad(D d, V b, V c, V c_lo, V yk, V dyk) {
  const auto grad = [&](V yv) {
    const V a = hn::MulAdd(yv, c, hn::Mul(yv, c_lo));
    const V m = hn::Mul(a, dyk);
    return kNegate ? hn::MulSub(a, b, m) : hn::NegMulAdd(a, b, m);
  };
  if constexpr (!kCheckTiny) return grad(yk);
  const auto small = hn::Lt(hn::Abs(yk), hn::Set(d, kTinyY));
  if (HWY_LIKELY(hn::AllFalse(d, small))) return grad(yk);
  const V g = grad(hn::IfThenElse(small, hn::Mul(yk, hn::Set(d, 18446744073709551616.0f)), yk));
  return hn::IfThenElse(small, hn::Mul(g, hn::Set(d, 5.42101086242752217e-20f)), g);
}

template <bool kNegate, bool kCheckTiny, class Lay>
HWY_INLINE void GradPass(D d, const Lay& lay, const BackwardLine& line, const float* y,
                         const float* dy, float* dx) {
  const V b = line.b;
  const V c = line.c;
  const V c_lo = line.c_lo;
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    lay.Store(d,
              SoftmaxGrad<kNegate, kCheckTiny>(d, b, c, c_lo, lay.Load(d, y, k, 0.0f),
                                               lay.Load(d, dy, k, 0.0f)),
              dx, k);
  }
}

template <class Lay>
void SoftmaxBackward(D d, const Lay& lay_in, bool negate, float temperature, const float* y,
                     const float* dy, float* dx) {
  const Lay lay = lay_in;  // a local: stores through float* cannot change it
  // Two sets of double accumulators: the adds' latency, not their count, bounded this loop.
  DoubleSum dot0, dot1, sum0, sum1;
  V y_min = hn::Set(d, kInf);
  const std::size_t n = lay.vectors();
  std::size_t k = 0;
  for (; k + 2 <= n; k += 2) {
    const V y0 = lay.Load(d, y, k, 0.0f);
    const V y1 = lay.Load(d, y, k + 1, 0.0f);
    dot0.AddProduct(lay.Load(d, dy, k, 0.0f), y0);
    dot1.AddProduct(lay.Load(d, dy, k + 1, 0.0f), y1);
    sum0.Add(y0);
    sum1.Add(y1);
    y_min = hn::Min(y_min, hn::Min(hn::Abs(lay.Pad(d, k, y0, 1.0f)),
                                   hn::Abs(lay.Pad(d, k + 1, y1, 1.0f))));
  }
  if (k < n) {
    const V y0 = lay.Load(d, y, k, 0.0f);
    dot0.AddProduct(lay.Load(d, dy, k, 0.0f), y0);
    sum0.Add(y0);
    y_min = hn::Min(y_min, hn::Abs(lay.Pad(d, k, y0, 1.0f)));
  }
  dot0.lo = hn::Add(dot0.lo, dot1.lo);
  dot0.hi = hn::Add(dot0.hi, dot1.hi);
  sum0.lo = hn::Add(sum0.lo, sum1.lo);
  sum0.hi = hn::Add(sum0.hi, sum1.hi);
  const BackwardLine line = BackwardLineOf(d, lay.DoublePair(d, sum0.lo, sum0.hi),
                                           lay.DoublePair(d, dot0.lo, dot0.hi).hi, temperature);
  // NaN y: the comparison is false, so such lines take the checked loop (their dx is NaN).
  const bool no_tiny = hn::AllTrue(d, hn::Ge(y_min, hn::Set(d, kTinyY)));
  if (negate) {
    if (no_tiny) return GradPass<true, false>(d, lay, line, y, dy, dx);
    return GradPass<true, true>(d, lay, line, y, dy, dx);
  }
  if (no_tiny) return GradPass<false, false>(d, lay, line, y, dy, dx);
  GradPass<false, true>(d, lay, line, y, dy, dx);
}

// Σ e^((x_k − m)/T) over the entries below the maximum (s − 1 + c over the lanes) and the
// number of entries equal to it, for log1p of (that sum + ties − 1).
template <bool kNormal, bool kUnitT, class Lay>
HWY_INLINE vm::Pair<D> BelowPass(D d, const Lay& lay, float temperature, const float* x, V m,
                                 V& ties) {
  const V minus_m = hn::Neg(m);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  const V zero = hn::Zero(d);
  const V one = hn::Set(d, 1.0f);
  const float pad = x[0];
  V s = one;
  V c = zero;
  ties = zero;
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    V h, lo;
    Shift<kUnitT>(d, lay.Load(d, x, k, pad), minus_m, t, inv_t, h, lo);
    const V e = lay.ZeroPadding(d, k, ExpOf<kNormal>(d, h, lo));
    AddOrdered(s, c, hn::IfThenElseZero(hn::Lt(h, zero), e));
    ties = hn::Add(ties, lay.ZeroPadding(d, k, hn::IfThenElseZero(hn::Eq(h, zero), one)));
  }
  return lay.SumOffsetPair(d, s, c);
}

// y = (x/T − m) − log Σ e^(x_j/T − m), the log as in the accurate path (log1p of the terms
// below the maximum plus ties − 1).
template <bool kNormal, bool kUnitT, class Lay>
void LogSoftmaxForwardT(D d, const Lay& lay, float temperature, const float* x, float* y,
                        const Range& range) {
  const V zero = hn::Zero(d);
  V ties;
  const vm::Pair<D> below_sum = BelowPass<kNormal, kUnitT>(d, lay, temperature, x, range.m, ties);
  const vm::Pair<D> log_sum_pair = LogOfSum(d, lay, below_sum, ties, range.bad);
  const V log_sum = log_sum_pair.hi;
  const V log_sum_lo = log_sum_pair.lo;
  const V minus_m = hn::Neg(range.m);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  const V minus_log_sum = hn::Neg(log_sum);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    V h, lo;
    Shift<kUnitT>(d, lay.Load(d, x, k, 0.0f), minus_m, t, inv_t, h, lo);
    const V yk = hn::Add(h, minus_log_sum);  // both terms ≤ 0: no cancellation
    const V corr = hn::Sub(hn::Add(vm::SumError(h, minus_log_sum, yk), lo), log_sum_lo);
    const V out = hn::Add(yk, corr);
    // An entry of −inf gives −inf; its error terms would be inf − inf = NaN.
    lay.Store(d, kNormal ? out : hn::IfThenElse(hn::IsFinite(yk), out, yk), y, k);
  }
  (void)zero;
}
template <class Lay>
void LogSoftmaxForward(D d, const Lay& lay, float temperature, const float* x, float* y) {
  const Range range = RangeOf(d, lay, x, false, 1.0f / temperature);
  const bool unit = temperature == 1.0f;
  if (range.normal) {
    if (unit) return LogSoftmaxForwardT<true, true>(d, lay, temperature, x, y, range);
    return LogSoftmaxForwardT<true, false>(d, lay, temperature, x, y, range);
  }
  if (unit) return LogSoftmaxForwardT<false, true>(d, lay, temperature, x, y, range);
  LogSoftmaxForwardT<false, false>(d, lay, temperature, x, y, range);
}

// dx = (dy − e^y·Σ dy_j)/T.
template <bool kUnitT, class Lay>
void LogSoftmaxBackwardT(D d, const Lay& lay, float temperature, const float* y,
                         const float* dy, float* dx) {
  DoubleSum sum_dy;
  for (std::size_t k = 0; k < lay.vectors(); ++k) sum_dy.Add(lay.Load(d, dy, k, 0.0f));
  const V sum = lay.DoublePair(d, sum_dy.lo, sum_dy.hi).hi;
  const V zero = hn::Zero(d);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  for (std::size_t k = 0; k < lay.vectors(); ++k) {
    const V yk = lay.Load(d, y, k, 0.0f);
    const V dyk = lay.Load(d, dy, k, 0.0f);
    const V p = hn::AllTrue(d, hn::Ge(yk, hn::Set(d, kNormalMin)))
                    ? ExpNormal(d, yk, zero)
                    : hn::IfThenElse(hn::IsNaN(yk), yk, ExpAny(d, yk, zero));
    const V g = hn::NegMulAdd(p, sum, dyk);
    if constexpr (kUnitT) {
      lay.Store(d, g, dx, k);
    } else {
      const V q = hn::Mul(g, inv_t);
      lay.Store(d, hn::MulAdd(hn::NegMulAdd(q, t, g), inv_t, q), dx, k);
    }
  }
}
template <class Lay>
void LogSoftmaxBackward(D d, const Lay& lay, float temperature, const float* y,
                        const float* dy, float* dx) {
  if (temperature == 1.0f) return LogSoftmaxBackwardT<true>(d, lay, temperature, y, dy, dx);
  LogSoftmaxBackwardT<false>(d, lay, temperature, y, dy, dx);
}

// ---- short rows: `lanes` consecutive rows of the last dimension at once
//
// Rows shorter than kRowMinVectors vectors, a whole vector of consecutive rows at a time
// (the block is `size` contiguous vectors): each row's values (max, sum, dot) come from its
// columns (lane l = row l, as the Columns layout) transposed in registers, the elementwise
// work runs on the contiguous block, each vector fetching its rows' values with one permute
// per value. No scratch and no scalar transposition (half the time of rows of 10 before),
// and no gathers (as slow on Zen 4: ~17 cycles per 16 floats measured). The same operations
// in the same order per row as the Columns kernels, so the same bits.
struct Block {
  std::size_t size;
  const std::int32_t* row_of;  // [v·lanes + i] = (v·lanes + i)/size, size·lanes entries
  HWY_INLINE auto RowsOf(D d, std::size_t v) const {
    return hn::IndicesFromVec(d, hn::LoadU(DI(), row_of + v * hn::Lanes(d)));
  }
};

// Transposes the lanes × lanes matrix r (r[k] lane l = entry (k, l)) in place: 64 shuffles
// on AVX-512, 24 on AVX2 (the usual unpack / shuffle / 128-bit-block sequences).
HWY_INLINE void Transpose(D d, V* r) {
#if HWY_TARGET == HWY_AVX2
  (void)d;
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i].raw, r[2 * i + 1].raw);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i].raw, r[2 * i + 1].raw);
  }
  for (int i = 0; i < 2; ++i) {
    u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = V{_mm256_permute2f128_ps(u[i], u[i + 4], 0x20)};
    r[i + 4] = V{_mm256_permute2f128_ps(u[i], u[i + 4], 0x31)};
  }
#elif HWY_ARCH_X86 && HWY_MAX_BYTES == 64
  (void)d;
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i].raw, r[2 * i + 1].raw);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i].raw, r[2 * i + 1].raw);
  }
  const auto pd = [](__m512 v) { return _mm512_castps_pd(v); };
  for (int i = 0; i < 4; ++i) {
    u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[4 * i]), pd(t[4 * i + 2])));
    u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[4 * i]), pd(t[4 * i + 2])));
    u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[4 * i + 1]), pd(t[4 * i + 3])));
    u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[4 * i + 1]), pd(t[4 * i + 3])));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = V{_mm512_shuffle_f32x4(t[i], t[i + 8], 0x88)};
    r[i + 8] = V{_mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd)};
  }
#else
  const std::size_t lanes = hn::Lanes(d);
  HWY_ALIGN float buf[kMaxLanes * kMaxLanes];
  for (std::size_t k = 0; k < lanes; ++k) hn::Store(r[k], d, buf + k * lanes);
  for (std::size_t k = 0; k < lanes; ++k) {
    HWY_ALIGN float col[kMaxLanes];
    for (std::size_t l = 0; l < lanes; ++l) col[l] = buf[l * lanes + k];
    r[k] = hn::Load(d, col);
  }
#endif
}

// cols[k] lane l = p[l·size + k] for k < size (the block's rows as columns), by register
// transposes of `lanes` columns at a time; rows are loaded whole where the block holds
// them, masked at its end (lanes past a row's end are other rows' entries, never used).
HWY_INLINE void LoadColumns(D d, std::size_t size, const float* p, V* cols) {
  const std::size_t lanes = hn::Lanes(d);
  const float* end = p + lanes * size;
  for (std::size_t c0 = 0; c0 < size; c0 += lanes) {  // cols holds c0 + lanes entries
    const std::size_t count = std::min(lanes, size - c0);
    V* r = cols + c0;
    for (std::size_t row = 0; row < lanes; ++row) {
      const float* q = p + row * size + c0;
      r[row] = q + lanes <= end ? hn::LoadU(d, q) : hn::MaskedLoad(hn::FirstN(d, count), d, q);
    }
    Transpose(d, r);
  }
}

template <bool kNormal, bool kUnitT>
HWY_INLINE void ShortExpPass(D d, const Block& blk, bool negate, float temperature,
                             const float* x, float* y, V m) {
  const std::size_t lanes = hn::Lanes(d);
  const V minus_m = hn::Neg(m);
  const V t = hn::Set(d, temperature);
  const V inv_t = hn::Set(d, 1.0f / temperature);
  for (std::size_t v = 0; v < blk.size; ++v) {
    const V raw = hn::LoadU(d, x + v * lanes);
    V h, lo;
    Shift<kUnitT>(d, negate ? hn::Neg(raw) : raw, hn::TableLookupLanes(minus_m, blk.RowsOf(d, v)),
                  t, inv_t, h, lo);
    hn::StoreU(ExpOf<kNormal>(d, h, lo), d, y + v * lanes);
  }
}

// y = softmax(±x/T) of the block's rows (y may alias x).
HWY_INLINE void ShortSoftmaxForward(D d, const Block& blk, bool negate, float temperature,
                                    const float* x, float* y) {
  const std::size_t lanes = hn::Lanes(d);
  V m = hn::Set(d, -kInf);
  V mn = hn::Set(d, kInf);
  M nan = hn::FirstN(d, 0);
  V cols[kRowMinVectors * kMaxLanes];
  LoadColumns(d, blk.size, x, cols);
  for (std::size_t k = 0; k < blk.size; ++k) {
    const V raw = cols[k];
    const V v = negate ? hn::Neg(raw) : raw;
    m = hn::Max(m, v);
    mn = hn::Min(mn, v);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  const M bad = hn::Or(nan, hn::Not(hn::IsFinite(m)));
  const bool normal =
      hn::AllTrue(d, hn::Ge(hn::Mul(hn::Sub(mn, m), hn::Set(d, 1.0f / temperature)),
                            hn::Set(d, kNormalMin)));
  const bool unit = temperature == 1.0f;
  if (normal) {
    if (unit) ShortExpPass<true, true>(d, blk, negate, temperature, x, y, m);
    else ShortExpPass<true, false>(d, blk, negate, temperature, x, y, m);
  } else {
    if (unit) ShortExpPass<false, true>(d, blk, negate, temperature, x, y, m);
    else ShortExpPass<false, false>(d, blk, negate, temperature, x, y, m);
  }
  V s = hn::Set(d, 1.0f);
  V c = hn::Zero(d);
  LoadColumns(d, blk.size, y, cols);
  for (std::size_t k = 0; k < blk.size; ++k) AddOrdered(s, c, cols[k]);
  const vm::Pair<D> total = Columns{blk.size, lanes}.SumOffsetPair(d, s, c);
  const V sum = hn::IfThenElse(bad, hn::Set(d, std::nanf("")), total.hi);
  const V inv = hn::Div(hn::Set(d, 1.0f), sum);
  for (std::size_t v = 0; v < blk.size; ++v) {
    const auto rows = blk.RowsOf(d, v);
    const V e = hn::LoadU(d, y + v * lanes);
    const V inv_v = hn::TableLookupLanes(inv, rows);
    const V q = hn::Mul(e, inv_v);
    const V rem = hn::NegMulAdd(q, hn::TableLookupLanes(total.lo, rows),
                                hn::NegMulAdd(q, hn::TableLookupLanes(sum, rows), e));
    hn::StoreU(hn::MulAdd(rem, inv_v, q), d, y + v * lanes);
  }
}

// The gradient of the block's rows from y (diff_src may alias diff_dst).
HWY_INLINE void ShortSoftmaxBackward(D d, const Block& blk, bool negate, float temperature,
                                     const float* y, const float* dy, float* dx) {
  const std::size_t lanes = hn::Lanes(d);
  DoubleSum dot, sum_y;
  V ys[kRowMinVectors * kMaxLanes];
  V dys[kRowMinVectors * kMaxLanes];
  LoadColumns(d, blk.size, y, ys);
  LoadColumns(d, blk.size, dy, dys);
  V y_min = hn::Set(d, kInf);
  for (std::size_t k = 0; k < blk.size; ++k) {
    dot.AddProduct(dys[k], ys[k]);
    sum_y.Add(ys[k]);
    y_min = hn::Min(y_min, hn::Abs(ys[k]));
  }
  const bool no_tiny = hn::AllTrue(d, hn::Ge(y_min, hn::Set(d, kTinyY)));
  const Columns col{blk.size, lanes};
  const BackwardLine line = BackwardLineOf(d, col.DoublePair(d, sum_y.lo, sum_y.hi),
                                           col.DoublePair(d, dot.lo, dot.hi).hi, temperature);
  for (std::size_t v = 0; v < blk.size; ++v) {
    const auto rows = blk.RowsOf(d, v);
    const V b = hn::TableLookupLanes(line.b, rows);
    const V c = hn::TableLookupLanes(line.c, rows);
    const V c_lo = hn::TableLookupLanes(line.c_lo, rows);
    const V yk = hn::LoadU(d, y + v * lanes);
    const V dyk = hn::LoadU(d, dy + v * lanes);
    const V g = no_tiny ? (negate ? SoftmaxGrad<true, false>(d, b, c, c_lo, yk, dyk)
                                  : SoftmaxGrad<false, false>(d, b, c, c_lo, yk, dyk))
                        : (negate ? SoftmaxGrad<true, true>(d, b, c, c_lo, yk, dyk)
                                  : SoftmaxGrad<false, true>(d, b, c, c_lo, yk, dyk));
    hn::StoreU(g, d, dx + v * lanes);
  }
}

}  // namespace fast
