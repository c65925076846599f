// Optuna 3.1's truncated normal (see tpe_truncnorm.hpp). Every branch and every operation order
// follows optuna/samplers/_tpe/_truncnorm.py so that results agree to the last few ulps (numpy's
// vectorised exp/log may differ from libm by an ulp; that is the only expected difference).
#include "study/tpe_truncnorm.hpp"

#include <cfloat>
#include <cmath>
#include <limits>

#include "study/numpy_random.hpp"

namespace actlab::study::truncnorm {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;  // Python's 2**0.5
const double kNormPdfLogC = std::log(std::sqrt(2 * M_PI));

// Coefficients of FreeBSD's erf, as in optuna/samplers/_tpe/_erf.py.
constexpr double kErx = 8.45062911510467529297e-01;
constexpr double kEfx = 1.28379167095512586316e-01;
constexpr double kPp[] = {1.28379167095512558561e-01, -3.25042107247001499370e-01,
                          -2.84817495755985104766e-02, -5.77027029648944159157e-03,
                          -2.37630166566501626084e-05};
constexpr double kQq[] = {0, 3.97917223959155352819e-01, 6.50222499887672944485e-02,
                          5.08130628187576562776e-03, 1.32494738004321644526e-04,
                          -3.96022827877536812320e-06};
constexpr double kPa[] = {-2.36211856075265944077e-03, 4.14856118683748331666e-01,
                          -3.72207876035701323847e-01, 3.18346619901161753674e-01,
                          -1.10894694282396677476e-01, 3.54783043256182359371e-02,
                          -2.16637559486879084300e-03};
constexpr double kQa[] = {0, 1.06420880400844228286e-01, 5.40397917702171048937e-01,
                          7.18286544141962662868e-02, 1.26171219808761642112e-01,
                          1.36370839120290507362e-02, 1.19844998467991074170e-02};
constexpr double kRa[] = {-9.86494403484714822705e-03, -6.93858572707181764372e-01,
                          -1.05586262253232909814e01, -6.23753324503260060396e01,
                          -1.62396669462573470355e02, -1.84605092906711035994e02,
                          -8.12874355063065934246e01, -9.81432934416914548592e00};
constexpr double kSa[] = {0, 1.96512716674392571292e01, 1.37657754143519042600e02,
                          4.34565877475229228821e02, 6.45387271733267880336e02,
                          4.29008140027567833386e02, 1.08635005541779435134e02,
                          6.57024977031928170135e00, -6.04244152148580987438e-02};
constexpr double kRb[] = {-9.86494292470009928597e-03, -7.99283237680523006574e-01,
                          -1.77579549177547519889e01, -1.60636384855821916062e02,
                          -6.37566443368389627722e02, -1.02509513161107724954e03,
                          -4.83519191608651397019e02};
constexpr double kSb[] = {0, 3.03380607434824582924e01, 3.25792512996573918826e02,
                          1.53672958608443695994e03, 3.19985821950859553908e03,
                          2.55305040643316442583e03, 4.74528541206955367215e02,
                          -2.24409524465858183362e01};

double sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }  // np.sign

// ndtr as Optuna's vectorised _ndtr: 0.5 + 0.5·erf(a/√2) with Optuna's erf.
double ndtr(double a) { return 0.5 + 0.5 * optuna_erf(a / kSqrt2); }

// _ndtr_single: libm erf/erfc on three ranges.
double ndtr_single(double a) {
  const double x = a / kSqrt2;
  if (x < -1 / kSqrt2) return 0.5 * std::erfc(-x);
  if (x < 1 / kSqrt2) return 0.5 + 0.5 * std::erf(x);
  return 1.0 - 0.5 * std::erfc(x);
}

double log_diff(double log_p, double log_q) { return log_p + std::log1p(-std::exp(log_q - log_p)); }

// _ndtri_exp_single: bisection (100 halvings of [−100, 100]) for log Φ(x) = y.
double ndtri_exp(double y) {
  double a = -100, b = 100, m = 0;
  if (log_ndtr(a) > y) std::swap(a, b);
  for (int i = 0; i < 100; ++i) {
    m = (a + b) / 2;
    if (log_ndtr(m) < y) {
      a = m;
    } else {
      b = m;
    }
  }
  return m;
}

}  // namespace

double optuna_erf(double x) {
  if (std::isnan(x)) return x;
  if (std::isinf(x)) return x > 0 ? 1.0 : -1.0;
  const double a = std::fabs(x);
  if (a < 0x1p-28) return x + kEfx * x;
  if (a < 0.84375) {
    const double z = x * x;
    const double r = kPp[0] + z * (kPp[1] + z * (kPp[2] + z * (kPp[3] + z * kPp[4])));
    const double s = 1 + z * (kQq[1] + z * (kQq[2] + z * (kQq[3] + z * (kQq[4] + z * kQq[5]))));
    return x + x * (r / s);
  }
  if (a < 1.25) {
    const double s = a - 1;
    const double p =
        kPa[0] +
        s * (kPa[1] + s * (kPa[2] + s * (kPa[3] + s * (kPa[4] + s * (kPa[5] + s * kPa[6])))));
    const double q =
        1 + s * (kQa[1] + s * (kQa[2] + s * (kQa[3] + s * (kQa[4] + s * (kQa[5] + s * kQa[6])))));
    return (kErx + p / q) * sign(x);
  }
  if (a < 1 / 0.35) {
    const double s = 1 / (a * a);
    const double r =
        kRa[0] +
        s * (kRa[1] +
             s * (kRa[2] + s * (kRa[3] + s * (kRa[4] + s * (kRa[5] + s * (kRa[6] + s * kRa[7]))))));
    const double q =
        1 + s * (kSa[1] +
                 s * (kSa[2] +
                      s * (kSa[3] +
                           s * (kSa[4] + s * (kSa[5] + s * (kSa[6] + s * (kSa[7] + s * kSa[8])))))));
    const double e = std::exp(-a * a - 0.5625) * std::exp(r / q);
    return (1 - e / a) * sign(x);
  }
  if (a < 6) {
    const double s = 1 / (a * a);
    const double r =
        kRb[0] + s * (kRb[1] + s * (kRb[2] + s * (kRb[3] + s * (kRb[4] + s * (kRb[5] + s * kRb[6])))));
    const double q =
        1 + s * (kSb[1] +
                 s * (kSb[2] + s * (kSb[3] + s * (kSb[4] + s * (kSb[5] + s * (kSb[6] + s * kSb[7]))))));
    const double e = std::exp(-a * a - 0.5625) * std::exp(r / q);
    return (1 - e / a) * sign(x);
  }
  return sign(x);
}

double log_ndtr(double a) {
  if (a > 6) return -ndtr_single(-a);
  if (a > -20) return std::log(ndtr_single(a));
  const double log_lhs = -0.5 * (a * a) - std::log(-a) - 0.5 * std::log(2 * M_PI);
  double last_total = 0.0, right_hand_side = 1.0, numerator = 1.0, denom_factor = 1.0;
  const double denom_cons = 1 / (a * a);
  double sign_term = 1;
  int i = 0;
  while (std::fabs(last_total - right_hand_side) > DBL_EPSILON) {
    ++i;
    last_total = right_hand_side;
    sign_term = -sign_term;
    denom_factor *= denom_cons;
    numerator *= 2 * i - 1;
    right_hand_side += sign_term * numerator * denom_factor;
  }
  return log_lhs + std::log(right_hand_side);
}

double log_gauss_mass(double a, double b) {
  if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
  if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
  return std::log1p(-ndtr(a) - ndtr(-b));
}

double ppf(double q, double a, double b) {
  if (a == b) return std::numeric_limits<double>::quiet_NaN();
  if (q == 0) return a;
  if (q == 1) return b;
  if (a < 0) {
    return ndtri_exp(numpy::logaddexp(log_ndtr(a), numpy::log(q) + log_gauss_mass(a, b)));
  }
  return -ndtri_exp(numpy::logaddexp(log_ndtr(-b), std::log1p(-q) + log_gauss_mass(a, b)));
}

double logpdf(double x, double a, double b, double loc, double scale, bool omit_log_sigma) {
  if (a == b) return std::numeric_limits<double>::quiet_NaN();
  const double z = (x - loc) / scale;
  if (z < a || b < z) return -std::numeric_limits<double>::infinity();
  const double out = -(z * z) / 2.0 - kNormPdfLogC - log_gauss_mass(a, b);
  return omit_log_sigma ? out : out - numpy::log(scale);
}

}  // namespace actlab::study::truncnorm
