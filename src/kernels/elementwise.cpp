// The entry points of the elementwise kernels: argument checks, then the loops of
// elementwise_simd.cpp (one per SIMD target, chosen at run time). The shaped entry points
// also route along-dim activations to along_dim.cpp.
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/shape.hpp"
#include "kernels/along_dim.hpp"
#include "kernels/checks.hpp"
#include "kernels/elementwise_simd.hpp"
#include "kernels/thread_pool.hpp"

namespace actlab::kernels {
namespace {

// Arrays of at least parallel_min(act) elements are split across the pool's threads (one
// contiguous chunk each, chunk edges on 64-element boundaries; thread_pool.hpp says why not
// OpenMP); smaller ones run on the calling thread with no pool call at all.
// ACTLAB_NUM_THREADS=1 turns threading off.
// Thresholds chosen by measurement: the program and its output are in docs/benchmarks.md
// ("Threading threshold"; run as `OMP_NUM_THREADS=2 ./bench_threshold`). On 2 Zen 4 cores
// two threads first win at 128K elements for relu (memory-bound: 0.89× at 64K, 1.7× at
// 128K) and at 4–8K for sigmoid and gelu_tanh (1.1–1.3× at 4K, 1.4–1.5× at 8K), so the
// table's cost decides: kLow ops from 128K, the others from 8K; a backward from the output
// (y·(1 − y), 1 − y², y, [y > 0]) counts as kLow.
std::size_t parallel_min(const Activation& act, bool backward) {
  const bool cheap = act.info().cost == Cost::kLow ||
                     (backward && act.info().backward_from == BackwardFrom::kOutput);
  return cheap ? std::size_t{1} << 17 : std::size_t{1} << 13;
}
constexpr std::size_t kChunkAlign = 64;

// Calls f(begin, count) over [0, n), in parallel chunks when n is large. The element
// loops compute each element independently of its position, so the bits do not depend
// on the split.
template <class F>
void parallel_chunks(std::size_t n, std::size_t min, F&& f) {
  if (n >= min && detail::pool_threads() > 1) {
    detail::run_parallel([&](std::size_t t, std::size_t threads) {
      const std::size_t per =
          ((n + threads - 1) / threads + kChunkAlign - 1) / kChunkAlign * kChunkAlign;
      const std::size_t begin = std::min(n, t * per);
      const std::size_t end = std::min(n, begin + per);
      if (begin < end) f(begin, end - begin);
    });
    return;
  }
  f(std::size_t{0}, n);
}

[[noreturn]] void throw_along_dim(const Activation& act, std::string_view function) {
  std::string message = detail::context(function, act.name());
  message.append(": '").append(act.name());
  message.append("' works along a dimension; call the overload that takes the array's shape");
  throw Error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

void forward(const Activation& act, std::span<const float> src, std::span<float> dst) {
  if (act.info().kind == Kind::kAlongDim) throw_along_dim(act, "forward");
  detail::require_size("forward", act.name(), "dst", dst.size(), "src", src.size());
  const Precision tier = precision();  // once per call: every chunk runs the same math
  parallel_chunks(src.size(), parallel_min(act, false), [&](std::size_t begin, std::size_t count) {
    detail::simd_forward(act, src.data() + begin, dst.data() + begin, count, tier);
  });
}

void backward(const Activation& act, std::span<const float> saved, std::span<const float> diff_dst,
              std::span<float> diff_src) {
  if (act.info().kind == Kind::kAlongDim) throw_along_dim(act, "backward");
  const std::string_view saved_name = act.info().backward_from == BackwardFrom::kOutput
                                          ? "saved (the output)"
                                          : "saved (the input)";
  detail::require_size("backward", act.name(), "diff_dst", diff_dst.size(), saved_name,
                       saved.size());
  detail::require_size("backward", act.name(), "diff_src", diff_src.size(), saved_name,
                       saved.size());
  const Precision tier = precision();  // once per call: every chunk runs the same math
  parallel_chunks(saved.size(), parallel_min(act, true), [&](std::size_t begin, std::size_t count) {
    detail::simd_backward(act, saved.data() + begin, diff_dst.data() + begin,
                          diff_src.data() + begin, count, tier);
  });
}

void forward(const Activation& act, std::span<const std::size_t> shape, std::span<const float> src,
             std::span<float> dst) {
  if (act.info().kind == Kind::kAlongDim) return detail::along_dim_forward(act, shape, src, dst);
  const std::string shape_name = std::string("shape ").append(detail::shape_text(shape));
  detail::require_size("forward", act.name(), "src", src.size(), shape_name, element_count(shape));
  forward(act, src, dst);
}

void backward(const Activation& act, std::span<const std::size_t> shape,
              std::span<const float> saved, std::span<const float> diff_dst,
              std::span<float> diff_src) {
  if (act.info().kind == Kind::kAlongDim) {
    return detail::along_dim_backward(act, shape, saved, diff_dst, diff_src);
  }
  const std::string shape_name = std::string("shape ").append(detail::shape_text(shape));
  detail::require_size("backward", act.name(), "saved", saved.size(), shape_name,
                       element_count(shape));
  backward(act, saved, diff_dst, diff_src);
}

}  // namespace actlab::kernels
