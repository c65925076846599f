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

// Which float math the transcendental kernels (exp, log, erf based) run on the vector
// targets (AVX2, AVX-512). Both are held to the table's ULP bounds (info().ulp), and the
// tests check both.
// - kFast (the default): plain-float polynomial exp/log1p with a few compensations (1 + e
//   and the numerator kept as pairs, the quotient corrected once): ≤ 1.66 ULP forward over
//   all float32 inputs where run (docs/accuracy.md); 1.3–5× faster than kAccurate.
// - kAccurate: every exp and log carried as a hi + lo pair and rounded once at the end
//   (≤ 0.91 ULP forward over all float32 inputs where run).
// Process-wide; ACTLAB_PRECISION=fast|accurate in the environment sets it at start-up.
// The scalar and SSE4 targets run the same <cmath>-based loops for both.
enum class Precision { kFast, kAccurate };
void set_precision(Precision precision);
Precision precision();

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

// Bias + activation in one pass (what Dense and Conv2d do after their product):
// dst[i] = f(src[i] + bias[c]) where c = (i / inner) % bias.size(), i.e. src is (N, C, inner)
// row-major with C = bias.size() (Dense: inner = 1; Conv2d: inner = H·W). The sum is rounded
// to float first, so the result has the same bits as adding the bias and then calling forward.
// dst may alias src. Elementwise activations only (kInvalidArgument for along-dim ones);
// src.size() must be a multiple of bias.size()·inner (and bias non-empty, inner ≥ 1).
void bias_forward(const Activation& act, std::span<const float> bias, std::size_t inner,
                  std::span<const float> src, std::span<float> dst);

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
