// The two ReLU variants whose slopes do not come from the Activation's parameters alone:
// PReLU with learned slopes (one shared, or one per channel) and RReLU in training mode
// (a random slope per element, kept for backward). The generic forward/backward use
// prelu's scalar "slope" parameter and rrelu's evaluation mode (elementwise.cpp).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/shape.hpp"
#include "kernels/checks.hpp"
#include "kernels/float_math.hpp"

namespace actlab::kernels {
namespace {

// ---------------------------------------------------------------- PReLU layout

// Shape (N, C, ...) seen as outer × channels × inner with the channel at dim 1 (dim 0 of a
// 1-d shape (C)); a single slope covers everything (channels = 1).
struct ChannelLayout {
  std::size_t outer = 1;
  std::size_t channels = 1;
  std::size_t inner = 1;
};

ChannelLayout channel_layout(std::span<const float> slopes, std::span<const std::size_t> shape,
                             std::string_view function) {
  const std::size_t n = element_count(shape);
  if (slopes.size() == 1) return {1, 1, n};
  const int channel_dim = shape.size() == 1 ? 0 : 1;
  if (shape.empty() || slopes.size() != shape[static_cast<std::size_t>(channel_dim)]) {
    std::string message = detail::context(function, "prelu");
    message.append(": slopes has ").append(std::to_string(slopes.size()));
    message.append(" elements, but must be 1 (shared) or the channel count (dim 1 of (N, C, ...),");
    message.append(" dim 0 of (C)) of shape ").append(detail::shape_text(shape));
    throw Error(ErrorCode::kInvalidArgument, message);
  }
  const DimSplit split = split_at_dim(shape, channel_dim);
  return {split.outer, split.size, split.inner};
}

// slope·x; a zero slope gives 0 even at x = −inf (the limit).
float scaled(float slope, float x) { return slope == 0 ? 0.0f : slope * x; }

// ---------------------------------------------------------------- RReLU generator

// The index-th output of SplitMix64 seeded with `seed` (Steele, Lea & Flood 2014): a
// counter-based draw, so element i's slope depends on (seed, i) only, never on the order
// or the thread that computes it.
std::uint64_t splitmix64(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// U(lower, upper) from the top 24 bits of the draw (u in [0, 1) on a 2^-24 grid, every
// float step); clamped since lower + (upper − lower)·u may round past upper.
float uniform_slope(std::uint64_t seed, std::uint64_t index, float lower, float upper) {
  const float u = static_cast<float>(splitmix64(seed, index) >> 40) * 0x1p-24f;
  const float a = lower + (upper - lower) * u;
  return a < upper ? a : upper;
}

}  // namespace

// ---------------------------------------------------------------- PReLU

void prelu_forward(std::span<const float> slopes, std::span<const std::size_t> shape,
                   std::span<const float> src, std::span<float> dst) {
  const std::string shape_name = std::string("shape ").append(detail::shape_text(shape));
  detail::require_size("prelu_forward", "", "src", src.size(), shape_name, element_count(shape));
  detail::require_size("prelu_forward", "", "dst", dst.size(), shape_name, element_count(shape));
  const ChannelLayout layout = channel_layout(slopes, shape, "prelu_forward");
  std::size_t at = 0;
  for (std::size_t o = 0; o < layout.outer; ++o) {
    for (std::size_t c = 0; c < layout.channels; ++c) {
      const float slope = slopes[c];
      for (std::size_t i = 0; i < layout.inner; ++i, ++at) {
        const float x = src[at];
        dst[at] = x > 0 ? x : scaled(slope, x);  // NaN·slope = NaN
      }
    }
  }
}

void prelu_backward(std::span<const float> slopes, std::span<const std::size_t> shape,
                    std::span<const float> src, std::span<const float> diff_dst,
                    std::span<float> diff_src, std::span<float> diff_slopes) {
  const std::string shape_name = std::string("shape ").append(detail::shape_text(shape));
  const std::size_t n = element_count(shape);
  detail::require_size("prelu_backward", "", "src", src.size(), shape_name, n);
  detail::require_size("prelu_backward", "", "diff_dst", diff_dst.size(), shape_name, n);
  detail::require_size("prelu_backward", "", "diff_src", diff_src.size(), shape_name, n);
  detail::require_size("prelu_backward", "", "diff_slopes", diff_slopes.size(), "slopes",
                       slopes.size());
  const ChannelLayout layout = channel_layout(slopes, shape, "prelu_backward");
  // One compensated sum per channel, added to diff_slopes once at the end (the sums run
  // over N·H·W terms).
  std::vector<detail::CompensatedSum> slope_sums(layout.channels);
  std::size_t at = 0;
  for (std::size_t o = 0; o < layout.outer; ++o) {
    for (std::size_t c = 0; c < layout.channels; ++c) {
      const float slope = slopes[c];
      for (std::size_t i = 0; i < layout.inner; ++i, ++at) {
        const float x = src[at];
        const float dy = diff_dst[at];  // read before diff_src (may alias) is written
        // ∂y/∂slope = min(0, x); ∂y/∂x = 1 for x > 0, slope for x ≤ 0; NaN stays NaN.
        const float negative = x > 0 ? 0.0f : x;
        slope_sums[c].add(dy * negative);
        diff_src[at] = dy * (x > 0 ? 1.0f : std::isnan(x) ? x : slope);
      }
    }
  }
  for (std::size_t c = 0; c < layout.channels; ++c) diff_slopes[c] += slope_sums[c].value();
}

// ---------------------------------------------------------------- RReLU, training mode

void rrelu_forward_train(const Activation& act, std::uint64_t seed, std::span<const float> src,
                         std::span<float> dst, std::span<float> slopes) {
  if (act.id() != ActivationId::kRrelu) {
    std::string message = detail::context("rrelu_forward_train", act.name());
    message.append(": the activation must be rrelu");
    throw Error(ErrorCode::kInvalidArgument, message);
  }
  detail::require_size("rrelu_forward_train", "rrelu", "dst", dst.size(), "src", src.size());
  detail::require_size("rrelu_forward_train", "rrelu", "slopes", slopes.size(), "src", src.size());
  const float lower = detail::param(act, 0);
  const float upper = detail::param(act, 1);
  for (std::size_t i = 0; i < src.size(); ++i) {
    const float x = src[i];
    // PyTorch draws for x ≤ 0 (so rrelu'(0) is the drawn slope, as the table's
    // derivative says); x > 0 and NaN keep slope 1.
    const float slope = x <= 0 ? uniform_slope(seed, i, lower, upper) : 1.0f;
    slopes[i] = slope;
    dst[i] = x <= 0 ? scaled(slope, x) : x;
  }
}

void rrelu_backward_train(std::span<const float> slopes, std::span<const float> diff_dst,
                          std::span<float> diff_src) {
  detail::require_size("rrelu_backward_train", "rrelu", "diff_dst", diff_dst.size(), "slopes",
                       slopes.size());
  detail::require_size("rrelu_backward_train", "rrelu", "diff_src", diff_src.size(), "slopes",
                       slopes.size());
  for (std::size_t i = 0; i < slopes.size(); ++i) diff_src[i] = diff_dst[i] * slopes[i];
}

}  // namespace actlab::kernels
