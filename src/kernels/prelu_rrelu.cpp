// The two ReLU variants whose slopes do not come from the Activation's parameters alone:
// PReLU with learned slopes (one shared, or one per channel) and RReLU in training mode
// (a random slope per element, kept for backward). The generic forward/backward use
// prelu's scalar "slope" parameter and rrelu's evaluation mode (elementwise.cpp).
// The element loops are Highway's (prelu_simd.cpp); this file splits the shape into runs of
// one slope and the work across threads.
#include <algorithm>
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
#include "kernels/prelu_simd.hpp"
#include "kernels/thread_pool.hpp"

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

// ---------------------------------------------------------------- threading

// Arrays of at least kParallelMin elements are split across the pool's threads (a cheap,
// memory-bound op like relu: elementwise.cpp's threshold); ACTLAB_NUM_THREADS=1 turns
// threading off.
constexpr std::size_t kParallelMin = std::size_t{1} << 17;
constexpr std::size_t kChunkAlign = 64;
// Elements per partial sum of the slope gradient.
constexpr std::size_t kSumBlock = 4096;

// Calls f(begin, end) over [0, n), in parallel chunks (edges on 64-element boundaries) when
// n is large.
template <class F>
void parallel_ranges(std::size_t n, F&& f) {
  if (n >= kParallelMin && detail::pool_threads() > 1) {
    detail::run_parallel([&](std::size_t t, std::size_t threads) {
      const std::size_t per =
          ((n + threads - 1) / threads + kChunkAlign - 1) / kChunkAlign * kChunkAlign;
      const std::size_t begin = std::min(n, t * per);
      const std::size_t end = std::min(n, begin + per);
      if (begin < end) f(begin, end);
    });
    return;
  }
  f(std::size_t{0}, n);
}

// Calls f(first, last) over the blocks [0, blocks) of an array of n elements, in parallel
// runs of blocks when n is large.
template <class F>
void parallel_blocks(std::size_t blocks, std::size_t n, F&& f) {
  if (n >= kParallelMin && blocks > 1 && detail::pool_threads() > 1) {
    detail::run_parallel([&](std::size_t t, std::size_t threads) {
      const std::size_t per = (blocks + threads - 1) / threads;
      const std::size_t first = std::min(blocks, t * per);
      const std::size_t last = std::min(blocks, first + per);
      if (first < last) f(first, last);
    });
    return;
  }
  f(std::size_t{0}, blocks);
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
  const std::size_t n = src.size();
  // Each element on its own: any split gives the same bits.
  parallel_ranges(n, [&](std::size_t begin, std::size_t end) {
    while (begin < end) {
      const std::size_t row = begin / layout.inner;
      const std::size_t row_end = std::min(end, (row + 1) * layout.inner);
      detail::simd_prelu_forward(slopes[row % layout.channels], src.data() + begin,
                                 dst.data() + begin, row_end - begin);
      begin = row_end;
    }
  });
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
  // ∂y/∂x = 1 for x > 0, slope for x ≤ 0 (NaN stays NaN); ∂y/∂slope = min(0, x). The slope
  // sums run over N·H·W terms: each row (o, c) of `inner` elements is cut into blocks of
  // kSumBlock, each block summed in double on its own, and the blocks' sums added per
  // channel in a fixed order, so the result does not depend on the thread count.
  const std::size_t rows = layout.outer * layout.channels;
  const std::size_t blocks_per_row = layout.inner == 0 ? 0 : (layout.inner - 1) / kSumBlock + 1;
  std::vector<double> block_sums(rows * blocks_per_row, 0.0);
  parallel_blocks(block_sums.size(), n, [&](std::size_t first, std::size_t last) {
    for (std::size_t b = first; b < last; ++b) {
      const std::size_t row = b / blocks_per_row;
      const std::size_t begin = row * layout.inner + (b % blocks_per_row) * kSumBlock;
      const std::size_t end = std::min((row + 1) * layout.inner, begin + kSumBlock);
      block_sums[b] = detail::simd_prelu_backward(slopes[row % layout.channels], src.data() + begin,
                                                  diff_dst.data() + begin,
                                                  diff_src.data() + begin, end - begin);
    }
  });
  for (std::size_t c = 0; c < layout.channels; ++c) {
    double sum = 0;
    for (std::size_t o = 0; o < layout.outer; ++o) {
      const double* row = block_sums.data() + (o * layout.channels + c) * blocks_per_row;
      for (std::size_t k = 0; k < blocks_per_row; ++k) sum += row[k];
    }
    diff_slopes[c] += static_cast<float>(sum);
  }
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
  parallel_ranges(slopes.size(), [&](std::size_t begin, std::size_t end) {
    detail::simd_multiply(slopes.data() + begin, diff_dst.data() + begin, diff_src.data() + begin,
                          end - begin);
  });
}

}  // namespace actlab::kernels
