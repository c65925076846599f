// The along-dim kernels (softmax family, glu, maxout), called by the shaped entry points
// of elementwise.cpp after they see Kind::kAlongDim.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include "actlab/activation.hpp"

namespace actlab::kernels::detail {

void along_dim_forward(const Activation& act, std::span<const std::size_t> shape,
                       std::span<const float> src, std::span<float> dst);
void along_dim_backward(const Activation& act, std::span<const std::size_t> shape,
                        std::span<const float> saved, std::span<const float> diff_dst,
                        std::span<float> diff_src);

// maxout's choice: the first maximal element of a group of `pieces` at x[0], x[stride], …
// (a NaN counts as maximal, so the first NaN wins and propagates, as in torch.amax). Shared
// by the scalar loops and the vector kernels' tails, which must pick the same element.
inline std::size_t first_max(const float* x, std::size_t pieces, std::size_t stride) {
  std::size_t best = 0;
  for (std::size_t p = 1; p < pieces; ++p) {
    if (std::isnan(x[best * stride])) break;
    const float v = x[p * stride];
    if (std::isnan(v) || v > x[best * stride]) best = p;
  }
  return best;
}

}  // namespace actlab::kernels::detail
