// The along-dim kernels (softmax family, glu, maxout), called by the shaped entry points
// of elementwise.cpp after they see Kind::kAlongDim.
#pragma once

#include <cstddef>
#include <span>

#include "actlab/activation.hpp"

namespace actlab::kernels::detail {

void along_dim_forward(const Activation& act, std::span<const std::size_t> shape,
                       std::span<const float> src, std::span<float> dst);
void along_dim_backward(const Activation& act, std::span<const std::size_t> shape,
                        std::span<const float> saved, std::span<const float> diff_dst,
                        std::span<float> diff_src);

}  // namespace actlab::kernels::detail
