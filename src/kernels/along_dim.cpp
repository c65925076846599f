// The portable float32 kernels of the activations that mix values along one dimension:
// softmax, log_softmax, softmin (temperature T), glu and maxout. The array is
// outer × size × inner (actlab::split_at_dim); a "line" is the `size` elements at one
// (outer, inner) position, `inner` apart.
//
// Accuracy: the softmax family computes each line in double and rounds each result once
// (0.5 ULP, measured over rows of 1 to 100,000, T 0.3 to 2.5: see the section's comment);
// glu carries its roundings as float hi + lo pairs (float_math.hpp).
//
// The softmax family, glu and maxout run vector versions (along_dim_simd.cpp) where the SIMD
// target has one (FMA targets: AVX2, AVX-512); the loops here are what SSE4 and scalar
// targets run, and lines longer than 65,536 along a dimension other than the last. (The
// vector accurate tier is these softmax loops' earlier float form: x − m by two-sum, hi + lo
// pairs, compensated sums.)
#include "kernels/along_dim.hpp"

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/shape.hpp"
#include "kernels/along_dim_simd.hpp"
#include "kernels/checks.hpp"
#include "kernels/float_math.hpp"

namespace actlab::kernels::detail {
namespace {

// Element k of the line at (o, i) of an outer × size × inner array.
struct Line {
  std::size_t base;
  std::size_t stride;
  std::size_t at(std::size_t k) const { return base + k * stride; }
};

template <class Body>
void for_each_line(const DimSplit& split, Body body) {
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t i = 0; i < split.inner; ++i) {
      body(Line{o * split.size * split.inner + i, split.inner});
    }
  }
}

// ---------------------------------------------------------------- softmax family
//
// Each line is computed in double and rounded to float once, at the end. x_k − m of two
// floats is exact in double unless their exponents are more than 29 apart, and then it is
// within 2^-53 relative, which matters nowhere: y_k is a float above 0 only for
// (x_k − m)/T > −104. e^(…) (glibc's exp, < 1 ULP of double) and the sums (plain double
// sums of positive terms, ≤ n·2^-53 relative: 4e-12 at 40,000 elements, 1e-4 of a float
// ULP) leave each result within 0.5 ULP + 1e-4 of the exact one (0.5000000 measured,
// along_dim_simd_test's TheScalarLoopsRoundEachResultOnce). The float steps with carried
// hi + lo parts these loops had before (expf's rounding uncarried) reached 2.05 ULP forward
// on a 30,000-element row at T = 0.5 (bound 2) and 3.1 backward at T = 0.3 (bound 2.5).
// Doubles are also simpler, and no slower here (glibc's exp is as fast as expf plus the
// carried terms; docs/benchmarks.md, "Softmax family").

// The maximum of sign·x over the line and the first index holding it (−inf and index 0
// when the line holds only −inf or NaN: the result is then NaN, as in PyTorch).
struct Max {
  float value;
  std::size_t index;
};
Max line_max(std::span<const float> src, const Line& line, std::size_t size, float sign) {
  Max m{-kInfF, 0};
  for (std::size_t k = 0; k < size; ++k) {
    const float v = sign * src[line.at(k)];
    if (v > m.value) m = {v, k};
  }
  return m;
}

// A line of saved softmax outputs sums to 1 within its roundings; the preimage the
// reference takes (T·log y, docs/conventions.md §7) has softmax y/Σy. A sum outside
// [1/2, 2] is not a softmax output's (the caller's own y): taken as is, divided by 1.
double normaliser(double sum) { return sum >= 0.5 && sum <= 2 ? sum : 1; }

// y = softmax(sign·x/T): sign = 1 for softmax, −1 for softmin. dst may alias src.
// e_k = e^((sign·x_k − m)/T), y_k = e_k/Σ e_j. A NaN anywhere (or inf − inf in the shift:
// a +inf entry, a line of −inf) makes the sum, and so the line, NaN.
void softmax_forward(const DimSplit& split, float sign, float temperature,
                     std::span<const float> src, std::span<float> dst) {
  std::vector<double> e(split.size);
  const double t = temperature;
  for_each_line(split, [&](const Line& line) {
    const double m = line_max(src, line, split.size, sign).value;
    double sum = 0;
    for (std::size_t k = 0; k < split.size; ++k) {
      e[k] = std::exp((sign * src[line.at(k)] - m) / t);
      sum += e[k];
    }
    for (std::size_t k = 0; k < split.size; ++k) {
      dst[line.at(k)] = static_cast<float>(e[k] / sum);
    }
  });
}

// From the output y: dx_k = (sign/T)·p_k·(dy_k − Σ_j dy_j·p_j) at p = y/Σ y_j, the
// softmax of y's preimage (as the vector fast tier's SoftmaxBackward): the gradient at the
// point the saved y stands for. The products dy_j·y_j are exact in double. diff_src may
// alias diff_dst (each dy_k is read before dx_k is written).
void softmax_backward(const DimSplit& split, float sign, float temperature,
                      std::span<const float> y, std::span<const float> diff_dst,
                      std::span<float> diff_src) {
  for_each_line(split, [&](const Line& line) {
    double sum = 0;
    double dot = 0;
    for (std::size_t k = 0; k < split.size; ++k) {
      const double yk = y[line.at(k)];
      sum += yk;
      dot += static_cast<double>(diff_dst[line.at(k)]) * yk;
    }
    const double s = normaliser(sum);
    const double b = dot / s;
    const double c = sign / (s * static_cast<double>(temperature));
    for (std::size_t k = 0; k < split.size; ++k) {
      const std::size_t at = line.at(k);
      diff_src[at] = static_cast<float>(c * y[at] * (diff_dst[at] - b));
    }
  });
}

// y_k = (x_k − m)/T − log Σ_j e^((x_j − m)/T). The sum is 1 + t, t the terms other than
// the maximum's, so log1p(t) keeps the maximum's y = −log1p(t) ≈ −t accurate when t is
// tiny; both terms of y_k are ≤ 0 in sign, so no cancellation.
void log_softmax_forward(const DimSplit& split, float temperature, std::span<const float> src,
                         std::span<float> dst) {
  const double t = temperature;
  for_each_line(split, [&](const Line& line) {
    const Max m = line_max(src, line, split.size, 1);
    if (std::isinf(m.value)) {
      // A +inf entry (or a line of −inf only) leaves inf − inf in the shift: NaN, as in
      // the reference and PyTorch.
      for (std::size_t k = 0; k < split.size; ++k) dst[line.at(k)] = std::nanf("");
      return;
    }
    const double max = m.value;
    double others = 0;
    for (std::size_t k = 0; k < split.size; ++k) {
      if (k != m.index) others += std::exp((src[line.at(k)] - max) / t);
    }
    const double log_sum = std::log1p(others);
    for (std::size_t k = 0; k < split.size; ++k) {
      dst[line.at(k)] = static_cast<float>((src[line.at(k)] - max) / t - log_sum);
    }
  });
}

// From the output y: dx_k = (dy_k − p_k·Σ_j dy_j)/T at p = e^y/Σ e^(y_j), the softmax of
// y's preimage T·y (Σ e^(y_j) is 1 within y's roundings; taken as 1 outside [1/2, 2], as
// in softmax_backward). diff_src may alias diff_dst.
void log_softmax_backward(const DimSplit& split, float temperature, std::span<const float> y,
                          std::span<const float> diff_dst, std::span<float> diff_src) {
  std::vector<double> e(split.size);
  const double t = temperature;
  for_each_line(split, [&](const Line& line) {
    double sum = 0;
    double sum_dy = 0;
    for (std::size_t k = 0; k < split.size; ++k) {
      e[k] = std::exp(static_cast<double>(y[line.at(k)]));
      sum += e[k];
      sum_dy += diff_dst[line.at(k)];
    }
    const double b = sum_dy / normaliser(sum);
    for (std::size_t k = 0; k < split.size; ++k) {
      const std::size_t at = line.at(k);
      diff_src[at] = static_cast<float>((diff_dst[at] - e[k] * b) / t);
    }
  });
}

// ---------------------------------------------------------------- glu

// y = a·σ(b), x = [a, b] split in halves along dim; y has half the size along dim.
void glu_forward(const DimSplit& split, std::span<const float> src, std::span<float> dst) {
  const std::size_t half = split.size / 2;
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t k = 0; k < half; ++k) {
      const float* a = &src[(o * split.size + k) * split.inner];
      const float* b = &src[(o * split.size + half + k) * split.inner];
      float* y = &dst[(o * half + k) * split.inner];
      for (std::size_t i = 0; i < split.inner; ++i) y[i] = times_sigmoid(a[i], b[i], 0.0f);
    }
  }
}

// From the input: da = dy·σ(b), db = dy·a·σ'(b).
void glu_backward(const DimSplit& split, std::span<const float> src,
                  std::span<const float> diff_dst, std::span<float> diff_src) {
  const std::size_t half = split.size / 2;
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t k = 0; k < half; ++k) {
      const std::size_t a_at = (o * split.size + k) * split.inner;
      const std::size_t b_at = (o * split.size + half + k) * split.inner;
      const std::size_t y_at = (o * half + k) * split.inner;
      for (std::size_t i = 0; i < split.inner; ++i) {
        const float dy = diff_dst[y_at + i];
        const float a = src[a_at + i];
        const float b = src[b_at + i];
        diff_src[a_at + i] = times_sigmoid(dy, b, 0.0f);
        diff_src[b_at + i] = times_sigmoid_slope(dy, a, b);
      }
    }
  }
}

// ---------------------------------------------------------------- maxout

// first_max (along_dim.hpp) picks each group's element.

// y_j = max(x_{jk}, …, x_{jk+k−1}) along dim.
void maxout_forward(const DimSplit& split, std::size_t pieces, std::span<const float> src,
                    std::span<float> dst) {
  const std::size_t groups = split.size / pieces;
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t j = 0; j < groups; ++j) {
      for (std::size_t i = 0; i < split.inner; ++i) {
        const float* x = &src[(o * split.size + j * pieces) * split.inner + i];
        dst[(o * groups + j) * split.inner + i] =
            x[first_max(x, pieces, split.inner) * split.inner];
      }
    }
  }
}

// From the input: dy_j flows to the first maximal input of group j, 0 to the others.
void maxout_backward(const DimSplit& split, std::size_t pieces, std::span<const float> src,
                     std::span<const float> diff_dst, std::span<float> diff_src) {
  const std::size_t groups = split.size / pieces;
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t j = 0; j < groups; ++j) {
      for (std::size_t i = 0; i < split.inner; ++i) {
        const std::size_t first = (o * split.size + j * pieces) * split.inner + i;
        const std::size_t winner = first_max(&src[first], pieces, split.inner);
        const float dy = diff_dst[(o * groups + j) * split.inner + i];  // read before writing
        for (std::size_t p = 0; p < pieces; ++p) {
          diff_src[first + p * split.inner] = p == winner ? dy : 0.0f;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- dispatch

DimSplit split_of(const Activation& act, std::span<const std::size_t> shape) {
  return split_at_dim(shape, static_cast<int>(act.get("dim")));
}

float temperature_of(const Activation& act) { return static_cast<float>(act.get("temperature")); }

std::size_t pieces_of(const Activation& act) { return static_cast<std::size_t>(act.get("pieces")); }

// The softmax family's member, if act is one (the kernels of along_dim_simd.cpp).
std::optional<SoftmaxKind> softmax_kind(ActivationId id) {
  switch (id) {
    case ActivationId::kSoftmax:
      return SoftmaxKind::kSoftmax;
    case ActivationId::kSoftmin:
      return SoftmaxKind::kSoftmin;
    case ActivationId::kLogSoftmax:
      return SoftmaxKind::kLogSoftmax;
    default:
      return std::nullopt;
  }
}

[[noreturn]] void throw_elementwise(const Activation& act, std::string_view function) {
  std::string message = context(function, act.name());
  message.append(": '").append(act.name()).append("' is elementwise, not along a dimension");
  throw Error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

// dy·a·σ'(b), σ'(b) = e/(1 + e)², e = e^(−|b|) (no cancellation of 1 − σ), with dy·a,
// 1 + e and its square carried as hi + lo and one division (4.4 ULP rounded step by step).
// Beyond |b| = 64, σ'(b) = e to float precision and times_exp keeps dy·a·e^(−|b|) from
// passing through a denormal.
float times_sigmoid_slope(float dy, float a, float b) {  // along_dim_simd.hpp
  const float m = dy * a;
  const float m_lo = finite_or_zero(product_error(dy, a, m));
  if (-std::fabs(b) < kExpTail) return times_exp(m, -std::fabs(b), m_lo);
  const float e = std::exp(-std::fabs(b));
  const float n = m * e;
  const float n_lo = product_error(m, e, n) + m_lo * e;
  const float s = 1 + e;
  const float s_lo = fast_sum_error(1.0f, e, s);
  const float d = s * s;
  const float d_lo = product_error(s, s, d) + 2 * s * s_lo;
  return divide_pairs(n, finite_or_zero(n_lo), d, d_lo);
}

void along_dim_forward(const Activation& act, std::span<const std::size_t> shape,
                       std::span<const float> src, std::span<float> dst) {
  const Shape out_shape = output_shape(act, shape);  // throws for a bad dim or size
  require_size("forward", act.name(), "src", src.size(),
               std::string("shape ").append(shape_text(shape)), element_count(shape));
  require_size("forward", act.name(), "dst", dst.size(),
               std::string("the output shape ").append(shape_text(out_shape)),
               element_count(out_shape));
  using A = ActivationId;
  if (const auto kind = softmax_kind(act.id())) {
    if (simd_softmax_forward(*kind, split_of(act, shape), temperature_of(act), src.data(),
                             dst.data())) {
      return;
    }
  }
  switch (act.id()) {
    case A::kSoftmax:
      return softmax_forward(split_of(act, shape), 1, temperature_of(act), src, dst);
    case A::kSoftmin:
      return softmax_forward(split_of(act, shape), -1, temperature_of(act), src, dst);
    case A::kLogSoftmax:
      return log_softmax_forward(split_of(act, shape), temperature_of(act), src, dst);
    case A::kGlu:
      if (simd_glu_forward(split_of(act, shape), src.data(), dst.data())) return;
      return glu_forward(split_of(act, shape), src, dst);
    case A::kMaxout:
      if (simd_maxout_forward(split_of(act, shape), pieces_of(act), src.data(), dst.data())) {
        return;
      }
      return maxout_forward(split_of(act, shape), pieces_of(act), src, dst);
    default:  // elementwise rows (the shaped entry points route only along-dim ones here)
      break;
  }
  throw_elementwise(act, "forward");
}

void along_dim_backward(const Activation& act, std::span<const std::size_t> shape,
                        std::span<const float> saved, std::span<const float> diff_dst,
                        std::span<float> diff_src) {
  const Shape out_shape = output_shape(act, shape);
  const bool from_output = act.info().backward_from == BackwardFrom::kOutput;
  const std::span<const std::size_t> saved_shape =
      from_output ? std::span<const std::size_t>(out_shape) : shape;
  require_size("backward", act.name(), from_output ? "saved (the output)" : "saved (the input)",
               saved.size(), std::string("shape ").append(shape_text(saved_shape)),
               element_count(saved_shape));
  require_size("backward", act.name(), "diff_dst", diff_dst.size(),
               std::string("the output shape ").append(shape_text(out_shape)),
               element_count(out_shape));
  require_size("backward", act.name(), "diff_src", diff_src.size(),
               std::string("shape ").append(shape_text(shape)), element_count(shape));
  using A = ActivationId;
  if (const auto kind = softmax_kind(act.id())) {
    if (simd_softmax_backward(*kind, split_of(act, shape), temperature_of(act), saved.data(),
                              diff_dst.data(), diff_src.data())) {
      return;
    }
  }
  switch (act.id()) {
    case A::kSoftmax:
      return softmax_backward(split_of(act, shape), 1, temperature_of(act), saved, diff_dst,
                              diff_src);
    case A::kSoftmin:
      return softmax_backward(split_of(act, shape), -1, temperature_of(act), saved, diff_dst,
                              diff_src);
    case A::kLogSoftmax:
      return log_softmax_backward(split_of(act, shape), temperature_of(act), saved, diff_dst,
                                  diff_src);
    case A::kGlu:
      if (simd_glu_backward(split_of(act, shape), saved.data(), diff_dst.data(),
                            diff_src.data())) {
        return;
      }
      return glu_backward(split_of(act, shape), saved, diff_dst, diff_src);
    case A::kMaxout:
      if (simd_maxout_backward(split_of(act, shape), pieces_of(act), saved.data(),
                               diff_dst.data(), diff_src.data())) {
        return;
      }
      return maxout_backward(split_of(act, shape), pieces_of(act), saved, diff_dst, diff_src);
    default:  // elementwise rows (the shaped entry points route only along-dim ones here)
      break;
  }
  throw_elementwise(act, "backward");
}

}  // namespace actlab::kernels::detail
