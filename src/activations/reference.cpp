// The double-precision reference: each activation written straight from its formula in
// activations.def, in the form that does not lose accuracy (max subtraction, log-sum-exp,
// log1p/expm1, exp(−|x|)), with PyTorch 1.13's conventions at kinks. It shares no code with
// src/kernels/ on purpose: a wrong formula in either must not pass its own test.
//
// NaN: forward and derivative return NaN for NaN input (one guard at the top, so no
// comparison below can swallow it). ±inf: every formula gives its limit; where the plain
// formula would compute inf·0 or inf/inf, an explicit case returns the limit instead.
#include "actlab/reference.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/shape.hpp"

namespace actlab::reference {
namespace {

// SELU's constants (Klambauer et al. 2017), as PyTorch writes them.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
// PyTorch multiplies the two first (negcoef = alpha·scale); so does the table's range_min.
constexpr double kSeluScaleAlpha = kSeluScale * kSeluAlpha;

constexpr double kSqrt2OverPi = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;  // √(2/π)
constexpr double kInvSqrt2Pi = std::numbers::inv_sqrtpi / std::numbers::sqrt2;   // 1/√(2π)
constexpr double kGeluTanhCubic = 0.044715;  // GELU's tanh approximation (Hendrycks & Gimpel 2016)

// ---------------------------------------------------------------- stable building blocks

// σ(z) from e^(−|z|), which never overflows.
double sigmoid(double z) {
  const double e = std::exp(-std::fabs(z));
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

// σ'(z) = σ(z)·(1 − σ(z)) = e^(−|z|)/(1 + e^(−|z|))², without the cancellation of 1 − σ.
double sigmoid_slope(double z) {
  const double e = std::exp(-std::fabs(z));
  return e / ((1 + e) * (1 + e));
}

// tanh'(z) = sech²(z) = 4·σ'(2z), which keeps its relative accuracy where 1 − tanh² is 0.
double tanh_slope(double z) { return 4 * sigmoid_slope(2 * z); }

// log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)): no overflow, no loss for z ≪ 0.
double softplus_unit(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

// slope·x for the negative side of the ReLU family; a zero slope gives 0 even at x = −∞,
// the limit, where the product would be NaN.
double scaled(double slope, double x) { return slope == 0 ? 0.0 : slope * x; }

// Taylor coefficients of x − tanh(x) = Σ_{k≥1} c_k·x^(2k+1). With tanh = Σ a_k x^(2k+1),
// tanh' = 1 − tanh² gives (2k + 1)·a_k = −Σ_{i+j=k−1} a_i·a_j, a_0 = 1; then c_k = −a_k.
// 24 terms reach double precision for |x| < 0.5 (the ratio of terms is about (2x/π)²).
constexpr std::size_t kTanhshrinkTerms = 24;
constexpr double kTanhshrinkSeriesBelow = 0.5;
constexpr std::array<double, kTanhshrinkTerms> tanhshrink_coefficients() {
  std::array<double, kTanhshrinkTerms + 1> a{};
  a[0] = 1;
  for (std::size_t k = 1; k <= kTanhshrinkTerms; ++k) {
    double sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += a[i] * a[k - 1 - i];
    a[k] = -sum / static_cast<double>(2 * k + 1);
  }
  std::array<double, kTanhshrinkTerms> c{};
  for (std::size_t k = 1; k <= kTanhshrinkTerms; ++k) c[k - 1] = -a[k];
  return c;
}
constexpr std::array<double, kTanhshrinkTerms> kTanhshrinkCoefficients = tanhshrink_coefficients();

// x − tanh(x): the series near 0, where the subtraction cancels (x − tanh x ≈ x³/3 loses
// about log10(3/x²) digits: 4.5 at |x| = 1e-2, 10.5 at 1e-5, all of them below 1e-8); the
// plain difference elsewhere, where it loses at most log10(12) ≈ 1 digit.
double tanhshrink(double x) {
  if (std::fabs(x) >= kTanhshrinkSeriesBelow) return x - std::tanh(x);
  const double x2 = x * x;
  double sum = 0;  // Horner, smallest terms first
  for (std::size_t k = kTanhshrinkTerms; k-- > 0;) sum = sum * x2 + kTanhshrinkCoefficients[k];
  return sum * x2 * x;
}

std::string shape_text(std::span<const std::size_t> shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(std::to_string(shape[i]));
  }
  return out.append(")");
}

[[noreturn]] void throw_not_elementwise(const Activation& act, const char* function) {
  std::string message = "reference::";
  message.append(function).append(": '").append(act.name());
  message.append("' works along a dimension; call the shaped overload with the array's shape");
  throw Error(ErrorCode::kInvalidArgument, message);
}

void check_size(const Activation& act, const char* function, const char* what, std::size_t got,
                std::span<const std::size_t> shape) {
  const std::size_t wanted = element_count(shape);
  if (got == wanted) return;
  std::string message = "reference::";
  message.append(function).append("(").append(act.name()).append("): ").append(what);
  message.append(" has ").append(std::to_string(got)).append(" elements, but shape ");
  message.append(shape_text(shape)).append(" needs ").append(std::to_string(wanted));
  throw Error(ErrorCode::kInvalidArgument, message);
}

// ---------------------------------------------------------------- along a dimension

// One line along `dim`: the array is outer × size × inner, so element k of the line at
// (o, i) sits at (o·size + k)·inner + i.
struct Line {
  std::size_t outer_index;
  std::size_t inner_index;
  std::size_t inner;
  std::size_t at(std::size_t size, std::size_t k) const {
    return (outer_index * size + k) * inner + inner_index;
  }
};

template <class Body>
void for_each_line(const DimSplit& split, Body body) {
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t i = 0; i < split.inner; ++i) body(Line{o, i, split.inner});
  }
}

std::vector<double> gather(std::span<const double> data, const Line& line, std::size_t size) {
  std::vector<double> out(size);
  for (std::size_t k = 0; k < size; ++k) out[k] = data[line.at(size, k)];
  return out;
}

// softmax(sign·x/T) of one line, with the maximum subtracted before exp.
std::vector<double> softmax_line(const std::vector<double>& x, double sign, double temperature) {
  std::vector<double> z(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = sign * x[k] / temperature;
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double& v : z) {
    v = std::exp(v - m);
    sum += v;
  }
  for (double& v : z) v /= sum;
  return z;
}

// log_softmax(x/T) of one line by log-sum-exp: x/T − m − log Σ e^(x/T − m).
std::vector<double> log_softmax_line(const std::vector<double>& x, double temperature) {
  std::vector<double> z(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = x[k] / temperature;
  const auto max_at = std::max_element(z.begin(), z.end());
  const double m = *max_at;
  // The maximal term contributes exactly 1, so log Σ = log1p(Σ of the others): log(1 + t)
  // would round the largest entry's tiny negative value (≈ −t) to 0.
  double rest = 0;
  for (auto it = z.begin(); it != z.end(); ++it) {
    if (it != max_at) rest += std::exp(*it - m);
  }
  const double log_sum = std::isfinite(m) ? std::log1p(rest) : std::log(rest + std::exp(m - m));
  for (double& v : z) v = v - m - log_sum;
  return z;
}

// Index of the first maximal element of x[begin, end); a NaN counts as the maximum (the
// first NaN wins), so that NaN propagates as in torch.amax.
std::size_t first_max(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  std::size_t best = begin;
  for (std::size_t k = begin + 1; k < end; ++k) {
    if (std::isnan(x[best])) break;
    if (std::isnan(x[k]) || x[k] > x[best]) best = k;
  }
  return best;
}

void softmax_forward(const DimSplit& split, double sign, double temperature,
                     std::span<const double> src, std::span<double> dst) {
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> y = softmax_line(gather(src, line, split.size), sign, temperature);
    for (std::size_t k = 0; k < split.size; ++k) dst[line.at(split.size, k)] = y[k];
  });
}

// dx_i = (sign/T)·y_i·(dy_i − Σ_j dy_j·y_j), y = softmax(sign·x/T).
void softmax_backward(const DimSplit& split, double sign, double temperature,
                      std::span<const double> src, std::span<const double> diff_dst,
                      std::span<double> diff_src) {
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> y = softmax_line(gather(src, line, split.size), sign, temperature);
    const std::vector<double> dy = gather(diff_dst, line, split.size);
    double dot = 0;
    for (std::size_t k = 0; k < split.size; ++k) dot += dy[k] * y[k];
    for (std::size_t k = 0; k < split.size; ++k) {
      diff_src[line.at(split.size, k)] = sign / temperature * y[k] * (dy[k] - dot);
    }
  });
}

void log_softmax_forward(const DimSplit& split, double temperature, std::span<const double> src,
                         std::span<double> dst) {
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> y = log_softmax_line(gather(src, line, split.size), temperature);
    for (std::size_t k = 0; k < split.size; ++k) dst[line.at(split.size, k)] = y[k];
  });
}

// dx_i = (dy_i − softmax_i·Σ_j dy_j)/T.
void log_softmax_backward(const DimSplit& split, double temperature, std::span<const double> src,
                          std::span<const double> diff_dst, std::span<double> diff_src) {
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> p = softmax_line(gather(src, line, split.size), 1, temperature);
    const std::vector<double> dy = gather(diff_dst, line, split.size);
    double sum = 0;
    for (double v : dy) sum += v;
    for (std::size_t k = 0; k < split.size; ++k) {
      diff_src[line.at(split.size, k)] = (dy[k] - p[k] * sum) / temperature;
    }
  });
}

// y = a·σ(b), x = [a, b] split in halves along dim.
void glu_forward(const DimSplit& split, std::span<const double> src, std::span<double> dst) {
  const std::size_t half = split.size / 2;
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> x = gather(src, line, split.size);
    for (std::size_t k = 0; k < half; ++k) dst[line.at(half, k)] = x[k] * sigmoid(x[half + k]);
  });
}

// da = dy·σ(b), db = dy·a·σ'(b).
void glu_backward(const DimSplit& split, std::span<const double> src,
                  std::span<const double> diff_dst, std::span<double> diff_src) {
  const std::size_t half = split.size / 2;
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> x = gather(src, line, split.size);
    for (std::size_t k = 0; k < half; ++k) {
      const double dy = diff_dst[line.at(half, k)];
      const double b = x[half + k];
      diff_src[line.at(split.size, k)] = dy * sigmoid(b);
      diff_src[line.at(split.size, half + k)] = dy * x[k] * sigmoid_slope(b);
    }
  });
}

// y_j = max(x_{jk}, …, x_{jk+k−1}).
void maxout_forward(const DimSplit& split, std::size_t pieces, std::span<const double> src,
                    std::span<double> dst) {
  const std::size_t groups = split.size / pieces;
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> x = gather(src, line, split.size);
    for (std::size_t j = 0; j < groups; ++j) {
      dst[line.at(groups, j)] = x[first_max(x, j * pieces, (j + 1) * pieces)];
    }
  });
}

// dy_j goes to the first maximal input of group j; the others get 0.
void maxout_backward(const DimSplit& split, std::size_t pieces, std::span<const double> src,
                     std::span<const double> diff_dst, std::span<double> diff_src) {
  const std::size_t groups = split.size / pieces;
  for_each_line(split, [&](const Line& line) {
    const std::vector<double> x = gather(src, line, split.size);
    for (std::size_t k = 0; k < split.size; ++k) diff_src[line.at(split.size, k)] = 0;
    for (std::size_t j = 0; j < groups; ++j) {
      const std::size_t winner = first_max(x, j * pieces, (j + 1) * pieces);
      diff_src[line.at(split.size, winner)] = diff_dst[line.at(groups, j)];
    }
  });
}

DimSplit split_of(const Activation& act, std::span<const std::size_t> shape) {
  return split_at_dim(shape, static_cast<int>(act.get("dim")));
}

}  // namespace

// ---------------------------------------------------------------- elementwise

double forward(const Activation& act, double x) {
  if (std::isnan(x)) return x;
  switch (act.id()) {
    case ActivationId::kBinaryStep:
      return x < act.get("threshold") ? 0.0 : 1.0;
    case ActivationId::kIdentity:
      return x;
    case ActivationId::kSigmoid:
      return sigmoid(x);
    case ActivationId::kHardSigmoid:
      return x <= -3 ? 0.0 : x >= 3 ? 1.0 : (x + 3) / 6;
    case ActivationId::kLogSigmoid:
      return std::min(x, 0.0) - std::log1p(std::exp(-std::fabs(x)));
    case ActivationId::kTanh:
      return std::tanh(x);
    case ActivationId::kHardTanh: {
      const double lo = act.get("min_val");
      const double hi = act.get("max_val");
      return x < lo ? lo : x > hi ? hi : x;
    }
    case ActivationId::kRelu:
      return x > 0 ? x : 0.0;
    case ActivationId::kRelu6:
      return x <= 0 ? 0.0 : x >= 6 ? 6.0 : x;
    case ActivationId::kLeakyRelu:
      return x > 0 ? x : scaled(act.get("negative_slope"), x);
    case ActivationId::kPrelu:
      return x > 0 ? x : scaled(act.get("slope"), x);
    case ActivationId::kRrelu:
      return x > 0 ? x : scaled((act.get("lower") + act.get("upper")) / 2, x);
    case ActivationId::kThreshold:
      return x > act.get("threshold") ? x : act.get("value");
    case ActivationId::kElu:
      return x > 0 ? x : act.get("alpha") * std::expm1(x);
    case ActivationId::kCelu: {
      const double alpha = act.get("alpha");
      return x > 0 ? x : alpha * std::expm1(x / alpha);
    }
    case ActivationId::kSelu:
      return x > 0 ? kSeluScale * x : kSeluScaleAlpha * std::expm1(x);
    case ActivationId::kExponential:
      return std::exp(x);
    case ActivationId::kGelu:
      if (std::isinf(x)) return x > 0 ? x : -0.0;
      return 0.5 * x * std::erfc(-x / std::numbers::sqrt2);
    case ActivationId::kGeluTanh: {
      // 0.5·x·(1 + tanh u) = x·σ(2u): no cancellation of 1 + tanh u for x < 0.
      if (std::isinf(x)) return x > 0 ? x : -0.0;
      const double u = kSqrt2OverPi * (x + kGeluTanhCubic * x * x * x);
      return x * sigmoid(2 * u);
    }
    case ActivationId::kSilu:
      if (std::isinf(x)) return x > 0 ? x : -0.0;
      return x * sigmoid(act.get("beta") * x);
    case ActivationId::kHardswish:
      return x <= -3 ? 0.0 : x >= 3 ? x : x * (x + 3) / 6;
    case ActivationId::kMish:
      if (std::isinf(x)) return x > 0 ? x : -0.0;
      return x * std::tanh(softplus_unit(x));
    case ActivationId::kSoftplus: {
      // PyTorch's rule: x itself once beta·x exceeds the threshold.
      const double beta = act.get("beta");
      const double bx = beta * x;
      return bx > act.get("threshold") ? x : softplus_unit(bx) / beta;
    }
    case ActivationId::kSquareplus: {
      // For x < 0, (x + r)/2 cancels; (x + r)(r − x) = b gives b/(2(r − x)) instead.
      const double b = act.get("b");
      const double r = std::hypot(x, std::sqrt(b));
      // Halving each term keeps (x + r)/2 finite for x near DBL_MAX.
      return x < 0 ? b / (2 * (r - x)) : 0.5 * x + 0.5 * r;
    }
    case ActivationId::kSparsePlus:
      return x <= -1 ? 0.0 : x >= 1 ? x : (x + 1) * (x + 1) / 4;
    case ActivationId::kSoftsign:
      if (std::isinf(x)) return std::copysign(1.0, x);
      return x / (1 + std::fabs(x));
    case ActivationId::kSoftshrink: {
      const double lambd = act.get("lambd");
      return x > lambd ? x - lambd : x < -lambd ? x + lambd : 0.0;
    }
    case ActivationId::kHardshrink: {
      const double lambd = act.get("lambd");
      return x > lambd || x < -lambd ? x : 0.0;
    }
    case ActivationId::kTanhshrink:
      return tanhshrink(x);
    case ActivationId::kSoftmax:
    case ActivationId::kLogSoftmax:
    case ActivationId::kSoftmin:
    case ActivationId::kGlu:
    case ActivationId::kMaxout:
      throw_not_elementwise(act, "forward");
  }
  throw_not_elementwise(act, "forward");  // unreachable: the switch covers every id
}

double derivative(const Activation& act, double x) {
  if (std::isnan(x)) return x;
  switch (act.id()) {
    case ActivationId::kBinaryStep:
      return 0.0;
    case ActivationId::kIdentity:
      return 1.0;
    case ActivationId::kSigmoid:
      return sigmoid_slope(x);
    case ActivationId::kHardSigmoid:
      return x > -3 && x < 3 ? 1.0 / 6 : 0.0;
    case ActivationId::kLogSigmoid:
      return sigmoid(-x);
    case ActivationId::kTanh:
      return tanh_slope(x);
    case ActivationId::kHardTanh:
      return x > act.get("min_val") && x < act.get("max_val") ? 1.0 : 0.0;
    case ActivationId::kRelu:
      return x > 0 ? 1.0 : 0.0;
    case ActivationId::kRelu6:
      return x > 0 && x < 6 ? 1.0 : 0.0;
    case ActivationId::kLeakyRelu:
      return x > 0 ? 1.0 : act.get("negative_slope");
    case ActivationId::kPrelu:
      return x > 0 ? 1.0 : act.get("slope");
    case ActivationId::kRrelu:
      return x > 0 ? 1.0 : (act.get("lower") + act.get("upper")) / 2;
    case ActivationId::kThreshold:
      return x > act.get("threshold") ? 1.0 : 0.0;
    case ActivationId::kElu:
      return x > 0 ? 1.0 : act.get("alpha") * std::exp(x);
    case ActivationId::kCelu:
      return x > 0 ? 1.0 : std::exp(x / act.get("alpha"));
    case ActivationId::kSelu:
      return x > 0 ? kSeluScale : kSeluScaleAlpha * std::exp(x);
    case ActivationId::kExponential:
      return std::exp(x);
    case ActivationId::kGelu:
      // Φ(x) + x·φ(x).
      if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
      return 0.5 * std::erfc(-x / std::numbers::sqrt2) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x);
    case ActivationId::kGeluTanh: {
      // d/dx x·σ(2u) = σ(2u) + 2x·σ'(2u)·u'; σ'(2u) = 0 far out, where x·u' may overflow.
      if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
      const double u = kSqrt2OverPi * (x + kGeluTanhCubic * x * x * x);
      const double du = kSqrt2OverPi * (1 + 3 * kGeluTanhCubic * x * x);
      const double slope = sigmoid_slope(2 * u);
      return sigmoid(2 * u) + (slope == 0 ? 0.0 : 2 * x * slope * du);
    }
    case ActivationId::kSilu: {
      // s + beta·x·s·(1 − s), s = σ(beta·x).
      if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
      // σ'(bx) = 0 far out, where bx itself may have overflowed to ±inf.
      const double bx = act.get("beta") * x;
      const double slope = sigmoid_slope(bx);
      return sigmoid(bx) + (slope == 0 ? 0.0 : bx * slope);
    }
    case ActivationId::kHardswish:
      // PyTorch's ends: (2x + 3)/6 on the closed interval [−3, 3].
      return x < -3 ? 0.0 : x <= 3 ? (2 * x + 3) / 6 : 1.0;
    case ActivationId::kMish: {
      // tanh(sp) + x·sech²(sp)·σ(x), sp = softplus(x).
      if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
      const double sp = softplus_unit(x);
      return std::tanh(sp) + x * tanh_slope(sp) * sigmoid(x);
    }
    case ActivationId::kSoftplus: {
      const double bx = act.get("beta") * x;
      return bx > act.get("threshold") ? 1.0 : sigmoid(bx);
    }
    case ActivationId::kSquareplus: {
      // (1 + x/r)/2, r = √(x² + b); for x < 0, 1 + x/r = b/(r·(r − x)) without cancellation.
      if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
      const double b = act.get("b");
      const double r = std::hypot(x, std::sqrt(b));
      if (r == 0) return 0.5;  // b = 0 and x = 0: the value every b > 0 gives at 0
      return x < 0 ? b / (2 * r * (r - x)) : (1 + x / r) / 2;
    }
    case ActivationId::kSparsePlus:
      return x <= -1 ? 0.0 : x >= 1 ? 1.0 : (x + 1) / 2;
    case ActivationId::kSoftsign: {
      const double d = 1 + std::fabs(x);
      return 1 / (d * d);
    }
    case ActivationId::kSoftshrink:
    case ActivationId::kHardshrink: {
      // 0 on the closed [−lambd, lambd] (PyTorch's shrink backward).
      const double lambd = act.get("lambd");
      return x > lambd || x < -lambd ? 1.0 : 0.0;
    }
    case ActivationId::kTanhshrink: {
      const double t = std::tanh(x);
      return t * t;
    }
    case ActivationId::kSoftmax:
    case ActivationId::kLogSoftmax:
    case ActivationId::kSoftmin:
    case ActivationId::kGlu:
    case ActivationId::kMaxout:
      throw_not_elementwise(act, "derivative");
  }
  throw_not_elementwise(act, "derivative");  // unreachable: the switch covers every id
}

// ---------------------------------------------------------------- shaped

void forward(const Activation& act, std::span<const std::size_t> shape, std::span<const double> src,
             std::span<double> dst) {
  const Shape out_shape = output_shape(act, shape);
  check_size(act, "forward", "src", src.size(), shape);
  check_size(act, "forward", "dst", dst.size(), out_shape);
  // Elementwise rows go through the scalar forward; the switch below covers the along-dim
  // rows only, so a new elementwise row needs no change here.
  if (act.info().kind == Kind::kElementwise) {
    for (std::size_t i = 0; i < src.size(); ++i) dst[i] = forward(act, src[i]);
    return;
  }
  switch (act.id()) {
    case ActivationId::kSoftmax:
      return softmax_forward(split_of(act, shape), 1, act.get("temperature"), src, dst);
    case ActivationId::kSoftmin:
      return softmax_forward(split_of(act, shape), -1, act.get("temperature"), src, dst);
    case ActivationId::kLogSoftmax:
      return log_softmax_forward(split_of(act, shape), act.get("temperature"), src, dst);
    case ActivationId::kGlu:
      return glu_forward(split_of(act, shape), src, dst);
    case ActivationId::kMaxout:
      return maxout_forward(split_of(act, shape), static_cast<std::size_t>(act.get("pieces")), src,
                            dst);
    default:  // elementwise rows, handled above
      break;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "no along-dim reference for '" + std::string(act.name()) + "'");
}

void backward(const Activation& act, std::span<const std::size_t> shape,
              std::span<const double> src, std::span<const double> diff_dst,
              std::span<double> diff_src) {
  const Shape out_shape = output_shape(act, shape);
  check_size(act, "backward", "src", src.size(), shape);
  check_size(act, "backward", "diff_dst", diff_dst.size(), out_shape);
  check_size(act, "backward", "diff_src", diff_src.size(), shape);
  if (act.info().kind == Kind::kElementwise) {
    for (std::size_t i = 0; i < src.size(); ++i) {
      diff_src[i] = diff_dst[i] * derivative(act, src[i]);
    }
    return;
  }
  switch (act.id()) {
    case ActivationId::kSoftmax:
      return softmax_backward(split_of(act, shape), 1, act.get("temperature"), src, diff_dst,
                              diff_src);
    case ActivationId::kSoftmin:
      return softmax_backward(split_of(act, shape), -1, act.get("temperature"), src, diff_dst,
                              diff_src);
    case ActivationId::kLogSoftmax:
      return log_softmax_backward(split_of(act, shape), act.get("temperature"), src, diff_dst,
                                  diff_src);
    case ActivationId::kGlu:
      return glu_backward(split_of(act, shape), src, diff_dst, diff_src);
    case ActivationId::kMaxout:
      return maxout_backward(split_of(act, shape), static_cast<std::size_t>(act.get("pieces")), src,
                             diff_dst, diff_src);
    default:  // elementwise rows, handled above
      break;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "no along-dim reference for '" + std::string(act.name()) + "'");
}

}  // namespace actlab::reference
