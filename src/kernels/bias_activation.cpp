// kernels::bias_forward: dst = f(src + bias) in one pass over memory, for the products of
// Dense (inner = 1) and Conv2d (inner = H·W). The array is walked in blocks of kBlock
// elements: the bias is added into dst, then the activation's own forward kernel runs on
// that block in place while it is still in L1. The sum is rounded to float before f sees
// it, exactly as adding the bias and then calling kernels::forward, so the bits are the same.
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "kernels/checks.hpp"
#include "kernels/thread_pool.hpp"

namespace actlab::kernels {
namespace {

// 4096 floats = 16 KiB: dst's block stays in L1 (48 KiB here) between the add and f.
constexpr std::size_t kBlock = 4096;
// Chunks handed to the threads start on multiples of this (whole cache lines).
constexpr std::size_t kChunkAlign = 64;

// The same thresholds as kernels::forward (elementwise.cpp, measured there): cheap
// activations are worth a second thread from 128K elements, the others from 8K.
std::size_t parallel_min(const Activation& act) {
  return act.info().cost == Cost::kLow ? std::size_t{1} << 17 : std::size_t{1} << 13;
}

// dst[i] = src[i] + bias[(i / inner) % C] for i in [begin, begin + count).
void add_bias(std::span<const float> bias, std::size_t inner, const float* src, float* dst,
              std::size_t begin, std::size_t count) {
  const std::size_t channels = bias.size();
  const std::size_t end = begin + count;
  std::size_t i = begin;
  if (inner == 1) {
    // Rows of C: runs of consecutive bias entries (vectorised by the compiler).
    std::size_t c = i % channels;
    while (i < end) {
      const std::size_t run = std::min(channels - c, end - i);
      const float* b = bias.data() + c;
      for (std::size_t j = 0; j < run; ++j) dst[i + j] = src[i + j] + b[j];
      i += run;
      c = 0;
    }
    return;
  }
  // Runs of `inner` elements that share one bias entry.
  std::size_t offset = i % inner;
  std::size_t c = (i / inner) % channels;
  while (i < end) {
    const std::size_t run = std::min(inner - offset, end - i);
    const float b = bias[c];
    for (std::size_t j = 0; j < run; ++j) dst[i + j] = src[i + j] + b;
    i += run;
    offset = 0;
    if (++c == channels) c = 0;
  }
}

void bias_forward_range(const Activation& act, std::span<const float> bias, std::size_t inner,
                        const float* src, float* dst, std::size_t begin, std::size_t count) {
  for (std::size_t done = 0; done < count; done += kBlock) {
    const std::size_t n = std::min(kBlock, count - done);
    add_bias(bias, inner, src, dst, begin + done, n);
    const std::span<float> block(dst + begin + done, n);
    forward(act, block, block);  // n < every threading threshold: runs on this thread
  }
}

}  // namespace

void bias_forward(const Activation& act, std::span<const float> bias, std::size_t inner,
                  std::span<const float> src, std::span<float> dst) {
  if (act.info().kind == Kind::kAlongDim) {
    std::string message = detail::context("bias_forward", act.name());
    message.append(": '").append(act.name());
    message.append("' works along a dimension; bias_forward takes elementwise activations only");
    throw Error(ErrorCode::kInvalidArgument, message);
  }
  detail::require_size("bias_forward", act.name(), "dst", dst.size(), "src", src.size());
  if (bias.empty() || inner == 0 || src.size() % (bias.size() * inner) != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                detail::context("bias_forward", act.name()) + ": src has " +
                    std::to_string(src.size()) + " elements, which is not a whole number of (C = " +
                    std::to_string(bias.size()) + ", inner = " + std::to_string(inner) +
                    ") blocks (bias must be non-empty and inner at least 1)");
  }
  const std::size_t n = src.size();
  if (n >= parallel_min(act) && detail::pool_threads() > 1) {
    // Each element is computed independently of the split: the bits do not depend on it.
    detail::run_parallel([&](std::size_t t, std::size_t threads) {
      const std::size_t per =
          ((n + threads - 1) / threads + kChunkAlign - 1) / kChunkAlign * kChunkAlign;
      const std::size_t begin = std::min(n, t * per);
      const std::size_t end = std::min(n, begin + per);
      if (begin < end) {
        bias_forward_range(act, bias, inner, src.data(), dst.data(), begin, end - begin);
      }
    });
    return;
  }
  bias_forward_range(act, bias, inner, src.data(), dst.data(), 0, n);
}

}  // namespace actlab::kernels
