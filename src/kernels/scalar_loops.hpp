// The portable scalar loops over one op of elementwise_ops.hpp: the fallback for ops (or
// targets) without a vector form in elementwise_simd.cpp, and the model the vector loops
// follow (same NaN rule, same in-place rule).
#pragma once

#include <cmath>
#include <cstddef>

namespace actlab::kernels::detail {

// NaN is handled here once: NaN in gives NaN out (the same NaN), so no comparison in an
// op can turn it into 0 (relu(NaN) = NaN). The op is evaluated first and NaN selected
// after, and the cheap ops compute both sides of a kink before selecting: with GCC's
// default -ftrapping-math a float operation or comparison behind a branch cannot be
// speculated, and the loop would not vectorise. (GCC 12 still sinks one-sided arithmetic
// back into the branch for hard_sigmoid, softshrink and sparse_plus; -fno-trapping-math
// would vectorise those too.) dst may alias src: element i is read before it is written.
template <class Op>
void forward_loop(const Op& op_in, const float* x, float* y, std::size_t n) {
  const Op op = op_in;  // a local copy: its parameters cannot alias dst, no loads in the loop
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float f = op.forward(v);
    y[i] = std::isnan(v) ? v : f;
  }
}

// diff_src = diff_dst · f'(saved), with f'(NaN) = NaN; diff_src may alias diff_dst.
template <class Op>
void backward_loop(const Op& op_in, const float* s, const float* dy, float* dx, std::size_t n) {
  const Op op = op_in;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = s[i];
    const float d = op.derivative(v);
    dx[i] = dy[i] * (std::isnan(v) ? v : d);
  }
}

}  // namespace actlab::kernels::detail
