// The generic gradient check that every layer must pass (tests/layers_test.cpp).
//
// For a layer and an input it checks, in this order:
//  1. forward's output shape equals output_shape(input shape);
//  2. backward accumulates: a second backward(r) after the same forward returns the same
//     input gradient and leaves every parameter gradient at twice the first one;
//  3. backward's input gradient and every parameter gradient equal the central finite
//     differences of L = Σ r·y, r a seeded random tensor in [−1, 1) of the output's shape.
//
// Precision. Layers compute in float, so the differences are of float forwards; L is summed
// in double and each difference is divided by the step actually taken, fl(v + h) − fl(v − h).
// The rounding of the unperturbed outputs cancels exactly (the same float operations run
// again), so the noise of a difference is the rounding of the outputs the perturbation
// changes: about 16·ε·Σ|r_j·y_j| over those outputs, divided by the step. The test allows
// that noise, plus atol_scale·max|analytic| (float rounding inside the layer, e.g. of long
// dot products), plus rtol·|analytic| (the O(h²) truncation of smooth functions: with h =
// 1e-2 and |f'''/f'| ≲ 10 it is below 2e-4 relative). A wrong formula is off by far more.
// Inputs must stay 2h away from kinks (relu at 0, ties of max pooling): the caller chooses
// them so.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "actlab/nn/layer.hpp"
#include "actlab/tensor.hpp"

namespace actlab::test {

struct GradCheckOptions {
  bool training = false;      // the forward mode used throughout
  double step = 1e-2;         // h of the central differences
  double rtol = 2e-3;         // relative allowance (truncation error)
  double atol_scale = 1e-4;   // absolute allowance, times max|analytic| of the tensor
  std::uint64_t seed = 1234;  // of r
  std::size_t max_printed = 6;
};

// Checks one layer instance (its forward must be deterministic for a fixed input).
::testing::AssertionResult check_layer_gradients(nn::Layer& layer, const Tensor& input,
                                                 const GradCheckOptions& options = {});

// For layers whose forward draws random numbers (dropout and rrelu in training): every
// evaluation builds a fresh layer from `make`, which must return identical layers (same
// seed, same parameters), so every forward draws the same numbers.
using LayerFactory = std::function<std::unique_ptr<nn::Layer>()>;
::testing::AssertionResult check_layer_gradients(const LayerFactory& make, const Tensor& input,
                                                 const GradCheckOptions& options = {});

}  // namespace actlab::test
