// The layer contract every layer follows, and the layers themselves.
//
// Contract (checked for every layer by the generic gradient check, tests/layers_test.cpp):
// - forward(input, training) requires input's shape to fit (Error kInvalidArgument that
//   names both shapes otherwise) and returns output_shape(input.shape()); it saves what
//   backward needs.
// - backward(grad_output) requires a previous forward and grad_output of the output's shape;
//   it ADDS the parameter gradients into each Parameter::grad (so a batch can be split) and
//   returns dLoss/dInput.
// - parameters() lists every learnable tensor with its gradient, in a fixed order (the order
//   of save/load and of the optimisers).
// Batches come first: Dense takes (N, features), Conv2d and pooling (N, C, H, W).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/random.hpp"
#include "actlab/tensor.hpp"

namespace actlab::nn {

struct Parameter {
  std::string name;  // "weight", "bias", "slope"
  Tensor* value = nullptr;
  Tensor* grad = nullptr;
};

class Layer {
 public:
  virtual ~Layer() = default;
  // The layer as a model-spec item, e.g. "conv2d(1, 32, 3, padding=1)" (see model.hpp).
  virtual std::string spec() const = 0;
  virtual Shape output_shape(const Shape& input) const = 0;
  virtual Tensor forward(const Tensor& input, bool training) = 0;
  virtual Tensor backward(const Tensor& grad_output) = 0;
  // backward() for a caller that does not need dLoss/dInput (a model's first layer in
  // training): the same parameter gradients; Dense and Conv2d skip the input gradient.
  virtual void backward_parameters(const Tensor& grad_output) { backward(grad_output); }
  virtual std::vector<Parameter> parameters() { return {}; }
  // Draws fresh parameters (PyTorch's default initialisation unless the layer says otherwise).
  virtual void reset_parameters(Rng& /*rng*/) {}
  void zero_grad();

  // ---- Sequential's fast path. Every layer works without overriding these (the defaults
  // call forward()); layers override them to skip copies and passes over memory. The
  // results have the same bits as forward().
  //
  // forward() for a caller that no longer needs `input`: a layer that keeps its input for
  // backward, or can compute in place, may take its memory. The result may be a view of
  // memory the layer keeps for backward, valid until its next forward. With training =
  // false the layer may keep nothing for backward (backward then needs a new forward).
  virtual Tensor forward_consuming(Tensor&& input, bool training);
  // forward() followed by the elementwise activation `act` on the result. Dense and
  // Conv2d apply it in the pass that adds their bias (kernels::bias_forward). As with
  // forward_consuming, training = false may keep nothing for backward.
  virtual Tensor forward_fused(const Tensor& input, const Activation& act, bool training);
  // For an Activation layer: the activation Sequential may apply in its predecessor's
  // forward_fused, or nullptr where it cannot (learned or random slopes, along-dim
  // activations, or in training when backward would need the input, which fusion never
  // materialises). Other layers: nullptr.
  virtual const Activation* fusable_activation(bool /*training*/) const { return nullptr; }
  // For an Activation layer after its predecessor's forward_fused: `output` = f(input) (an
  // elementwise activation keeps the shape). Keeps what backward needs and returns the
  // tensor to pass on (possibly a view, as forward_consuming). Only valid when
  // fusable_activation(training) is not null.
  virtual Tensor adopt_fused_output(Tensor&& output, bool training);
};

enum class Init {
  kPyTorchDefault,  // weight Kaiming-uniform with a = √5 (U(±1/√fan_in)), bias U(±1/√fan_in)
  kXavierUniform,   // weight U(±√(6/(fan_in + fan_out))), bias 0
  kHeNormal,        // weight N(0, 2/fan_in), bias 0
};

// y = x·Wᵀ + b, W of shape (out, in) as in PyTorch.
std::unique_ptr<Layer> make_dense(std::size_t in_features, std::size_t out_features,
                                  bool bias = true, Init init = Init::kPyTorchDefault);
// Weight (out, in, k, k), bias (out); input (N, in, H, W).
std::unique_ptr<Layer> make_conv2d(std::size_t in_channels, std::size_t out_channels,
                                   std::size_t kernel, std::size_t stride = 1,
                                   std::size_t padding = 0, bool bias = true,
                                   Init init = Init::kPyTorchDefault);
// Window k, stride defaults to k (PyTorch); max pooling sends the gradient to the first
// maximum of each window (ties go to the first in row-major order).
std::unique_ptr<Layer> make_max_pool2d(std::size_t kernel, std::size_t stride = 0);
std::unique_ptr<Layer> make_avg_pool2d(std::size_t kernel, std::size_t stride = 0);
// (N, ...) → (N, product of the rest).
std::unique_ptr<Layer> make_flatten();
// Zeroes each element with probability p in training and scales the rest by 1/(1 − p);
// identity in evaluation. Seeded: the same seed gives the same masks.
std::unique_ptr<Layer> make_dropout(double p, std::uint64_t seed);
// Any catalogue activation. prelu learns its slope: one, or one per channel (dim 1) when
// num_parameters > 1; rrelu draws slopes in training (seeded) and uses the mean in
// evaluation; along-dim activations (softmax, …) use their "dim" parameter.
std::unique_ptr<Layer> make_activation(const Activation& act, std::uint64_t seed = 0);

}  // namespace actlab::nn
