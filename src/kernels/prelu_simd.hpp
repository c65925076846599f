// PReLU's loops over one run of elements sharing a slope, and RReLU's training backward,
// compiled once per SIMD target by Highway (prelu_simd.cpp) and dispatched at run time.
// Sizes and the channel layout are handled by the callers (prelu_rrelu.cpp).
#pragma once

#include <cstddef>

namespace actlab::kernels::detail {

// y[i] = x[i] > 0 ? x[i] : slope·x[i] (0 for a zero slope, even at x = −inf or NaN;
// otherwise NaN·slope = NaN) for i < n; y may alias x.
void simd_prelu_forward(float slope, const float* x, float* y, std::size_t n);

// dx[i] = dy[i]·(x[i] > 0 ? 1 : isnan(x[i]) ? x[i] : slope) for i < n, and returns
// Σ dy[i]·min(0, x[i]) (a NaN x gives NaN) with each product exact in double and the sum
// in double. dx may alias dy. The sum's order depends on the SIMD target's lane count but
// not on anything else: callers split the work into fixed blocks for a thread-independent
// result.
double simd_prelu_backward(float slope, const float* x, const float* dy, float* dx,
                           std::size_t n);

// dx[i] = dy[i]·slopes[i] for i < n; dx may alias dy.
void simd_multiply(const float* slopes, const float* dy, float* dx, std::size_t n);

}  // namespace actlab::kernels::detail
