// float32 kernels for every activation. Contracts:
// - sizes must match (Error kInvalidArgument otherwise);
// - forward: dst may alias src (in place);
// - backward: `saved` is the forward's input (src) when info().backward_from is kInput,
//   its output (dst) when kOutput; diff_src may alias diff_dst;
// - accuracy: within info().ulp of the double reference (docs/conventions.md says how it
//   is measured), NaN in gives NaN out, ±inf give the limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "actlab/activation.hpp"

namespace actlab::kernels {

// Elementwise activations over contiguous arrays (Error kInvalidArgument for along-dim).
void forward(const Activation& act, std::span<const float> src, std::span<float> dst);
void backward(const Activation& act, std::span<const float> saved,
              std::span<const float> diff_dst, std::span<float> diff_src);

// Any activation over a row-major array of `shape` (the input's shape); along-dim ones use
// their "dim" parameter. dst and diff_dst have output_shape(act, shape).
void forward(const Activation& act, std::span<const std::size_t> shape,
             std::span<const float> src, std::span<float> dst);
void backward(const Activation& act, std::span<const std::size_t> shape,
              std::span<const float> saved, std::span<const float> diff_dst,
              std::span<float> diff_src);

// PReLU with learned slopes: one shared slope (slopes.size() == 1) or one per channel,
// the channel being dim 1 of shape (N, C, ...) (or dim 0 of a 1-d shape (C)).
void prelu_forward(std::span<const float> slopes, std::span<const std::size_t> shape,
                   std::span<const float> src, std::span<float> dst);
// diff_slopes += Σ diff_dst·min(0, x) over each slope's elements (accumulates, as
// gradients do across a batch).
void prelu_backward(std::span<const float> slopes, std::span<const std::size_t> shape,
                    std::span<const float> src, std::span<const float> diff_dst,
                    std::span<float> diff_src, std::span<float> diff_slopes);

// RReLU in training mode: each element with x ≤ 0 gets its own slope drawn from
// U(lower, upper) (as PyTorch); elements with x > 0 get slope 1. The slopes are written to `slopes`
// for backward. Draws come from a counter-based generator keyed by (seed, index), so the
// result depends only on the seed, never on threading.
void rrelu_forward_train(const Activation& act, std::uint64_t seed, std::span<const float> src,
                         std::span<float> dst, std::span<float> slopes);
void rrelu_backward_train(std::span<const float> slopes, std::span<const float> diff_dst,
                          std::span<float> diff_src);

}  // namespace actlab::kernels
