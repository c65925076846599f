// The fast tier's vector twins, FastOp<Op> (kernels::Precision::kFast), built on
// vec_fast-inl.h. A fragment of elementwise_simd.cpp, included there once per target inside
// its namespace, after the accurate twins VecOp<Op> (it uses D, V, NonPositive, InfLimits,
// TimesConstant and VecOp<ops::GeluTanh>::Argument from there). An op without a FastOp
// direction runs its VecOp (or scalar loop) in both tiers: the cheap ops, the backward from
// the output (sigmoid, tanh, exponential), and what has no fast form yet.
//
// Same conventions as the VecOps: NaN is selected by the loop; ±inf give the limits; −0 kept
// where the op keeps it.

// The primary template: no fast twin.
template <class Op>
struct FastOp {
  static constexpr bool kForward = false;
  static constexpr bool kBackward = false;
};

#if HWY_NATIVE_FMA

template <>
struct FastOp<ops::Sigmoid> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = false;
  static V Forward(D d, const ops::Sigmoid&, V x) {
    return vf::TimesSigmoid<true, false>(d, hn::Set(d, 1.0f), x, hn::Zero(d));
  }
};

template <>
struct FastOp<ops::Tanh> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = false;
  static V Forward(D d, const ops::Tanh&, V x) { return vf::Tanh(d, x); }
};

template <>
struct FastOp<ops::Exponential> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = false;
  static V Forward(D d, const ops::Exponential&, V x) { return vf::Exp<false, false>(d, x, hn::Zero(d)); }
};

// σ(v) + v·σ(v)(1 − σ(v)) = σ(v) + v·e/(1 + e)², e = e^(−|v|), one division; the backward
// rows with this shape are measured with floor 1 (docs/conventions.md §7).
HWY_INLINE V SigmoidSlopeSum(D d, V v, V dv, V x) {
  const V e = vf::Exp<true, false>(d, hn::Neg(hn::Abs(v)), hn::Zero(d));
  const V rw = vf::Reciprocal(d, hn::Add(hn::Set(d, 1.0f), e));
  const V sig = hn::IfThenElse(hn::Lt(v, hn::Zero(d)), hn::Mul(e, rw), rw);
  const V slope = hn::Mul(hn::Mul(e, rw), rw);
  const V term = hn::IfThenZeroElse(hn::Eq(slope, hn::Zero(d)), hn::Mul(hn::Mul(x, slope), dv));
  return InfLimits(d, x, hn::Add(sig, term));
}

template <>
struct FastOp<ops::Silu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // x·σ(β·x) with β·x's rounding error through the exponent.
  static V Forward(D d, const ops::Silu& op, V x) {
    const V beta = hn::Set(d, op.beta);
    const V v = hn::Mul(beta, x);
    if (op.beta == 1.0f) return vf::TimesSigmoid<false, false>(d, x, x, hn::Zero(d));
    return vf::TimesSigmoid<false, true>(d, x, v,
                                         vm::FiniteOrZero(d, vm::ProductError(beta, x, v)));
  }
  // σ(v) + v·σ'(v) = σ(v) + x·σ'(v)·β.
  static V Derivative(D d, const ops::Silu& op, V x) {
    const V beta = hn::Set(d, op.beta);
    return SigmoidSlopeSum(d, hn::Mul(beta, x), beta, x);
  }
};

template <>
struct FastOp<ops::GeluTanh> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  using G = ops::GeluTanh;
  // x·σ(v), v = a·x + b·x³ as hi + lo (σ(v) ≈ e^v amplifies v's error by |v|).
  static V Forward(D d, const G&, V x) {
    const vm::Pair<D> v = VecOp<G>::Argument(d, x);
    return vf::TimesSigmoid<false, true>(d, x, v.hi, v.lo);
  }
  static V Derivative(D d, const G&, V x) {
    const V a = hn::Set(d, G::kAHi), b = hn::Set(d, G::kBHi);
    const V x2 = hn::Mul(x, x);
    const V v = hn::Mul(x, hn::MulAdd(b, x2, a));
    const V dv = hn::MulAdd(hn::Mul(hn::Set(d, 3.0f), b), x2, a);
    return SigmoidSlopeSum(d, v, dv, x);
  }
};

template <>
struct FastOp<ops::Elu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  static V Forward(D d, const ops::Elu& op, V x) {
    // x > 0 lanes compute garbage (no upper clamp), discarded by the select
    const V neg = vf::TimesExpm1(d, hn::Set(d, op.alpha), x);
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  static V Derivative(D d, const ops::Elu& op, V x) {
    const V neg = vf::TimesExp<true, false>(d, hn::Set(d, op.alpha), x, hn::Zero(d));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), neg);
  }
};

template <>
struct FastOp<ops::Selu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  using S = ops::Selu;
  // scale·alpha = c_hi + c_lo: c_hi in the exp, then y·(1 + c_lo/c_hi).
  static V WithLo(D d, V y) {
    return hn::MulAdd(y, hn::Set(d, S::kScaleAlphaLo / S::kScaleAlphaF), y);
  }
  static V Forward(D d, const S&, V x) {
    const V pos = TimesConstant(d, S::kScaleF, S::kScaleLo, x, hn::Zero(d));
    const V neg = WithLo(d, vf::TimesExpm1(d, hn::Set(d, S::kScaleAlphaF), x));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), pos, neg);
  }
  static V Derivative(D d, const S&, V x) {
    const V neg =
        WithLo(d, vf::TimesExp<true, false>(d, hn::Set(d, S::kScaleAlphaF), x, hn::Zero(d)));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, S::kScaleF), neg);
  }
};

template <>
struct FastOp<ops::Celu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // u + u_lo = x/alpha for x ≤ 0 (the remainder by fma).
  static vm::Pair<D> Argument(D d, const ops::Celu& op, V x) {
    const V alpha = hn::Set(d, op.alpha);
    const V xn = NonPositive(d, x);
    const V u = hn::Mul(xn, hn::Set(d, 1.0f / op.alpha));  // u_lo takes the exact remainder
    const V u_lo = hn::Mul(hn::Neg(vm::ProductError(u, alpha, xn)), hn::Set(d, 1.0f / op.alpha));
    // 0 where e^u is 0 anyway (u_lo can be ~1e12 there, too large for the exp's reduction)
    return {u, hn::IfThenZeroElse(hn::Lt(u, hn::Set(d, vf::kMin)), vm::FiniteOrZero(d, u_lo))};
  }
  // α·expm1(u) + α·e^u·u_lo, α·e^u = α + α·expm1(u).
  static V Forward(D d, const ops::Celu& op, V x) {
    if (op.alpha == 1.0f) return FastOp<ops::Elu>::Forward(d, ops::Elu{1.0f}, x);  // u = x
    const vm::Pair<D> u = Argument(d, op, x);
    const V alpha = hn::Set(d, op.alpha);
    const V m = vf::TimesExpm1(d, alpha, u.hi);
    const V neg = hn::IfThenElse(hn::Eq(m, hn::Zero(d)), m, hn::MulAdd(hn::Add(alpha, m), u.lo, m));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  static V Derivative(D d, const ops::Celu& op, V x) {
    if (op.alpha == 1.0f) return FastOp<ops::Elu>::Derivative(d, ops::Elu{1.0f}, x);
    const vm::Pair<D> u = Argument(d, op, x);
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f),
                          vf::Exp<true, true>(d, u.hi, u.lo));
  }
};

template <>
struct FastOp<ops::Softplus> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // (max(v, 0) + log1p(e^(−|v|)) + σ(v)·v_lo)/β, v + v_lo = β·x; x past the threshold.
  static V Forward(D d, const ops::Softplus& op, V x) {
    const V beta = hn::Set(d, op.beta);
    const V v = hn::Mul(beta, x);
    const V e = vf::Exp<true, false>(d, hn::Neg(hn::Abs(v)), hn::Zero(d));
    const V l = vf::Log1p(d, e);
    const auto positive = hn::Gt(v, hn::Zero(d));
    if (op.beta == 1.0f) {  // v = x exactly
      return hn::IfThenElse(hn::Gt(x, hn::Set(d, op.threshold)), x,
                            hn::IfThenElse(positive, hn::Add(x, l), l));
    }
    const V v_lo = vm::FiniteOrZero(d, vm::ProductError(beta, x, v));
    const V slope = hn::Mul(hn::IfThenElse(positive, hn::Set(d, 1.0f), e),
                            hn::ApproximateReciprocal(hn::Add(hn::Set(d, 1.0f), e)));
    const V num = hn::MulAdd(slope, v_lo, hn::IfThenElse(positive, hn::Add(v, l), l));
    const V y = hn::Div(num, beta);
    return hn::IfThenElse(hn::Gt(v, hn::Set(d, op.threshold)), x, y);
  }
  static V Derivative(D d, const ops::Softplus& op, V x) {
    const V beta = hn::Set(d, op.beta);
    const V v = hn::Mul(beta, x);
    const V s = vf::TimesSigmoid<true, true>(d, hn::Set(d, 1.0f), v,
                                             vm::FiniteOrZero(d, vm::ProductError(beta, x, v)));
    return hn::IfThenElse(hn::Gt(v, hn::Set(d, op.threshold)), hn::Set(d, 1.0f), s);
  }
};

template <>
struct FastOp<ops::LogSigmoid> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // min(x, 0) − log1p(e^(−|x|)).
  static V Forward(D d, const ops::LogSigmoid&, V x) {
    const V l = vf::Log1p(d, vf::Exp<true, false>(d, hn::Neg(hn::Abs(x)), hn::Zero(d)));
    return hn::Sub(hn::IfThenElseZero(hn::Lt(x, hn::Zero(d)), x), l);
  }
  static V Derivative(D d, const ops::LogSigmoid&, V x) {
    return vf::TimesSigmoid<true, false>(d, hn::Set(d, 1.0f), hn::Neg(x), hn::Zero(d));
  }
};

template <>
struct FastOp<ops::Mish> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  // x·N/D (ops::Mish::forward): x ≤ 0: N = e(2 + e), D = N + 2, e = e^x, N's factor e
  // unscaled and the quotient scaled last; x > 0: N = 1 + 2e, D = N + 2e², e = e^(−x).
  // The roundings of 1 + q, 2 + e, 1 + 2e, D and x·N go into one correction of the quotient
  // (3.4 ULP without).
  static V Forward(D d, const ops::Mish&, V x) {
    const V zero = hn::Zero(d), one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
    const vf::ExpCore<D> ec = vf::Reduce<true, false>(d, hn::Neg(hn::Abs(x)), zero);
    const V eu = hn::Add(one, ec.q);
    const V e = vf::Scale(d, ec, eu);
    const V e2 = hn::Add(e, e);
    // x ≤ 0: N = eu·w, w = 2 + e (+ w_lo); D = e·(e + 2) + 2
    const V w = hn::Add(two, e);
    const V w_lo = hn::Add(hn::Sub(two, w), e);
    const V eu_lo = hn::Sub(ec.q, hn::Sub(eu, one));  // 1 + q's rounding, exact
    const V nn = hn::Mul(eu, w);
    const V nn_lo = hn::MulAdd(eu_lo, w, hn::MulAdd(eu, w_lo, hn::MulSub(eu, w, nn)));
    const V n = hn::MulAdd(e, e, e2);
    const V dn = hn::Add(two, n);
    const V dn_lo = hn::Add(hn::Sub(hn::Max(two, n), dn), hn::Min(two, n));
    // x > 0: N = 1 + 2e, D = N + 2e²
    const V np = hn::Add(one, e2);
    const V np_lo = hn::Add(hn::Sub(hn::Max(one, e2), np), hn::Min(one, e2));
    const V ee = hn::Mul(e2, e);
    const V dp = hn::Add(np, ee);
    const V dp_lo = hn::Add(hn::Add(hn::Sub(np, dp), ee), hn::Add(np_lo, hn::MulSub(e2, e, ee)));
    const auto negative = hn::Le(x, zero);
    const V num = hn::IfThenElse(negative, nn, np);
    const V num_lo = hn::IfThenElse(negative, nn_lo, np_lo);
    const V den = hn::IfThenElse(negative, dn, dp);
    const V den_lo = hn::IfThenElse(negative, dn_lo, dp_lo);
    const V p = hn::Mul(x, num);
    const V p_lo = vm::FiniteOrZero(d, hn::MulAdd(x, num_lo, hn::MulSub(x, num, p)));
    const V y = vf::Scale(d, vf::Only(d, ec, negative), vf::DividePairs(d, p, p_lo, den, den_lo));
    // ±0 and +inf give x; below kMin ±0 with x's sign (−inf included)
    const V special = hn::IfThenElse(hn::Lt(x, hn::Set(d, vf::kMin)), hn::CopySign(zero, x), x);
    const auto is_special =
        hn::Or(hn::Or(hn::Eq(x, zero), hn::IsInf(x)), hn::Lt(x, hn::Set(d, vf::kMin)));
    return hn::IfThenElse(is_special, special, y);
  }
  // tanh(sp) + x·(1 − tanh(sp))(1 + tanh(sp))·σ(x), as ops::Mish::parts.
  static V Derivative(D d, const ops::Mish&, V x) {
    const V zero = hn::Zero(d), one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
    const V e = vf::Exp<true, false>(d, hn::Neg(hn::Abs(x)), zero);
    const V n = hn::Mul(e, hn::Add(e, two));
    const V ee2 = hn::Mul(two, hn::Mul(e, e));
    const V np = hn::MulAdd(two, e, one);
    const auto negative = hn::Le(x, zero);
    const V rd = vf::Reciprocal(d, hn::IfThenElse(negative, hn::Add(n, two), hn::Add(np, ee2)));
    const V t = hn::Mul(hn::IfThenElse(negative, n, np), rd);
    const V om = hn::Mul(hn::IfThenElse(negative, two, ee2), rd);
    const V sig = hn::Mul(hn::IfThenElse(negative, e, one), vf::Reciprocal(d, hn::Add(one, e)));
    return InfLimits(d, x, hn::MulAdd(hn::Mul(x, hn::Mul(om, hn::Add(one, t))), sig, t));
  }
};

template <>
struct FastOp<ops::Gelu> {
  static constexpr bool kForward = true;
  static constexpr bool kBackward = true;
  using G = ops::Gelu;
  // Φ(−a) = 0.5·erfc(a/√2) = e^(−a²/2)·S(a), a = |x|, with S(a) = t·P(t), t = 1/(1 + k·a),
  // k = 0.3f, a ∈ [0, 16.5] (t ∈ [0.168, 1]). P of degree 9 fitted to S's relative error
  // (Lawson's iteratively reweighted least squares on 1500 Chebyshev nodes in t; reference
  // mpmath erfc at 30 digits), the coefficients rounded to float one at a time from c0 up
  // and the others refitted: max relative error 3.7e-9 with these float coefficients
  // (numpy). One fitted rational for all of [0, 16.5], no table; S carries no √2
  // rounding, and −a²/2 is an exact pair by fma.
  //
  // t + t_lo = 1/(1 + k·a), k = 0.3f: 1 + k·a as den + den_lo (1 − den is exact, and so
  // is den_lo to a rounding of its own) through the reciprocal's correction step, and
  // t's own rounding as t_lo.
  static V Reciprocal(D d, V a, V& t_lo) {
    const V one = hn::Set(d, 1.0f), k = hn::Set(d, 0.3f);
    const V den = hn::MulAdd(k, a, one);
    const V den_lo = hn::MulAdd(k, a, hn::Sub(one, den));
    V t = hn::ApproximateReciprocal(den);
    if constexpr (!vf::kHasScalef) t = hn::MulAdd(hn::NegMulAdd(den, t, one), t, t);
    t = hn::MulAdd(hn::NegMulAdd(den_lo, t, hn::NegMulAdd(den, t, one)), t, t);
    t_lo = hn::Mul(t, hn::NegMulAdd(den_lo, t, hn::NegMulAdd(den, t, one)));
    return t;
  }
  // S's relative sensitivity to t, 1 + t·P'(t)/P(t) (1.19 to 2.66 over t's range), as a
  // least-squares line (off by at most 0.031).
  static V Sensitivity(D d, V t) {
    return hn::MulAdd(hn::Set(d, 1.819f), t, hn::Set(d, 0.8565f));
  }
  // P(t) (kFull) or its steps down to c1 (the caller adds c0 = 0.11968673).
  template <bool kFull = true>
  static V Horner(D d, V t) {
    V p = hn::Set(d, -0.020630578f);
    p = hn::MulAdd(p, t, hn::Set(d, 0.11247549f));
    p = hn::MulAdd(p, t, hn::Set(d, -0.22831067f));
    p = hn::MulAdd(p, t, hn::Set(d, 0.19191885f));
    p = hn::MulAdd(p, t, hn::Set(d, -0.07953967f));
    p = hn::MulAdd(p, t, hn::Set(d, 0.09622181f));
    p = hn::MulAdd(p, t, hn::Set(d, 0.0783662f));
    p = hn::MulAdd(p, t, hn::Set(d, 0.11024068f));
    p = hn::MulAdd(p, t, hn::Set(d, 0.11957116f));
    if constexpr (kFull) p = hn::MulAdd(p, t, hn::Set(d, 0.11968673f));
    return p;
  }
  // w = x·Φ(−a) = x·t·P(t)·e^(−a²/2); gelu = w for x < 0 and x − w for x ≥ 0 (w ≤ x/2
  // there). a clamped to 16.5, and x to ±a in w: beyond, e^(−a²/2) is under kMin and w
  // rounds to ±0. Measured over all floats: 2.02 ULP at x = −1.406 (bound 4); dense sweep
  // 1.27 (the erfcx table before: 1.36, at 0.6× the speed).
  static V Forward(D d, const G&, V x) {
    const V a = hn::Min(hn::Abs(x), hn::Set(d, 16.5f));
    V t_lo;
    const V t = Reciprocal(d, a, t_lo);
    V p = Horner<false>(d, t);
    // the last step, c0 + t·R, with both roundings kept (c0 and t·R are positive)
    const V c0 = hn::Set(d, 0.11968673f);
    const V u = hn::Mul(p, t);
    const V u_lo = vm::ProductError(p, t, u);
    p = hn::Add(c0, u);
    const V p_lo = hn::Add(hn::Sub(hn::Min(c0, u), hn::Sub(p, hn::Max(c0, u))), u_lo);
    // x·t·P(t) as m + m_lo: the roundings of x·t and of the product, and t's own rounding
    // t_lo (times S's sensitivity g) go into the exp's last step.
    const V g = Sensitivity(d, t);
    const V xc = hn::CopySign(a, x);  // clamped as a: m stays finite
    const V xt = hn::Mul(xc, t);
    const V xt_lo = hn::MulAdd(hn::Mul(xc, g), t_lo, vm::ProductError(xc, t, xt));
    const V m = hn::Mul(xt, p);
    const V m_lo = hn::MulAdd(xt_lo, p, hn::MulAdd(xt, p_lo, vm::ProductError(xt, p, m)));
    const V ha = hn::Mul(hn::Set(d, -0.5f), a);
    const V v = hn::Mul(a, ha);
    const V v_lo = hn::MulSub(a, ha, v);
    const vf::ExpCore<D> e = vf::Reduce<true, true>(d, v, v_lo);
    // |x| ≥ 16.5: v = −136.1 is clamped to kMin, and m·e^kMin (|m| < 0.4) rounds to ±0
    // (m + m_lo)·(1 + q) = m + (m·q + m_lo·(1 + q)): m_lo·q matters (2.80 ULP without)
    const V w = vf::Scale(d, e, hn::Add(m, hn::MulAdd(m, e.q, hn::MulAdd(m_lo, e.q, m_lo))));
    return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), w, hn::Sub(x, w));
  }
  // Φ(x) + x·φ(x) = ph + x·e/√(2π), e = e^(−x²/2), ph = e·S(|x|) for x ≤ 0 and 1 − e·S
  // for x > 0; S as in Forward with t's rounding only (without it: 2.13 ULP near x = 0.04,
  // where g ≈ 2.6). Over all floats 1.315 ULP (bound 1.5, floor 1). x clamped to ±16 (f'
  // is 1 or below the smallest denormal there), NaN restored.
  static V Derivative(D d, const G&, V x_in) {
    const V limit = hn::Set(d, 16.0f);
    const V x = hn::Min(hn::Max(x_in, hn::Neg(limit)), limit);
    const V a = hn::Abs(x);
    V t_lo;
    const V t = Reciprocal(d, a, t_lo);
    const V p = Horner(d, t);
    const V s = hn::MulAdd(hn::Mul(t_lo, Sensitivity(d, t)), p, hn::Mul(t, p));
    const V ex = vf::Exp<true, false>(d, hn::Mul(a, hn::Mul(hn::Set(d, -0.5f), a)), hn::Zero(d));
    const V half = hn::Mul(s, ex);
    const V phi = hn::IfThenElse(hn::Le(x, hn::Zero(d)), half, hn::Sub(hn::Set(d, 1.0f), half));
    const V term = hn::Mul(hn::Mul(x, hn::Set(d, G::kInvSqrt2PiHi)), ex);
    return hn::IfThenElse(hn::IsNaN(x_in), x_in, hn::Add(phi, term));
  }
};

#endif  // HWY_NATIVE_FMA
