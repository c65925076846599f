// The double-precision reference: every activation written straight from its formula in
// the stable form, sharing no code with the float32 kernels, so that a wrong formula in
// either cannot pass its own test. Slow on purpose: clarity over speed.
#pragma once

#include <cstddef>
#include <span>

#include "actlab/activation.hpp"

namespace actlab::reference {

// Elementwise activations only (Error kInvalidArgument for along-dim ones).
// rrelu is in evaluation mode here: slope (lower + upper)/2. prelu uses its scalar slope.
double forward(const Activation& act, double x);
// f'(x), with the conventions of docs/conventions.md at kinks; NaN for NaN.
double derivative(const Activation& act, double x);

// Any activation over a row-major array of `shape`; dst has output_shape(act, shape).
void forward(const Activation& act, std::span<const std::size_t> shape,
             std::span<const double> src, std::span<double> dst);
// diff_src = J(src)ᵀ · diff_dst, computed from the input (the reference recomputes what
// it needs). diff_dst has the output shape, diff_src the input shape.
void backward(const Activation& act, std::span<const std::size_t> shape,
              std::span<const double> src, std::span<const double> diff_dst,
              std::span<double> diff_src);

}  // namespace actlab::reference
