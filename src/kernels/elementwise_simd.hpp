// The elementwise loops compiled once per SIMD target (elementwise_simd.cpp, Highway), the
// best target for this CPU chosen once, at the first call (HWY_DYNAMIC_DISPATCH). Sizes
// are checked by the callers (elementwise.cpp); `act` must be elementwise.
#pragma once

#include <cstddef>

#include "actlab/activation.hpp"
#include "actlab/kernels.hpp"

namespace actlab::kernels::detail {

// y[i] = f(x[i]) for i < n; y may alias x. `precision` picks the fast or the accurate
// vector math where an op has both (the callers read kernels::precision() once per call).
void simd_forward(const Activation& act, const float* x, float* y, std::size_t n,
                  Precision precision);
// dx[i] = dy[i]·f'(s[i]) for i < n; dx may alias dy.
void simd_backward(const Activation& act, const float* s, const float* dy, float* dx,
                   std::size_t n, Precision precision);

}  // namespace actlab::kernels::detail
