// Any catalogue activation as a layer, computed by actlab::kernels:
// - elementwise ones save the input or the output (info().backward_from) for backward;
// - along-dim ones (softmax, glu, maxout, ...) use the shaped kernels along their "dim";
// - prelu learns its slope tensor (1 shared slope, or num_parameters per channel on dim 1),
//   initialised from the "slope" parameter;
// - rrelu draws a slope per element in training (kernels::rrelu_forward_train, with a new
//   seed from the layer's Rng on every call) and uses the generic kernel (mean slope) in
//   evaluation.
#include <memory>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/nn/layer.hpp"
#include "actlab/shape.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn {
namespace {

enum class Mode { kGeneric, kPrelu, kRreluTrain };

class ActivationLayer final : public Layer {
 public:
  ActivationLayer(const Activation& act, std::uint64_t seed) : act_(act), rng_(seed) {
    if (act_.id() == ActivationId::kPrelu) {
      const auto count = static_cast<std::size_t>(act_.get("num_parameters"));
      slopes_ = Tensor({count}, static_cast<float>(act_.get("slope")));
      slopes_grad_ = Tensor({count});
    }
  }

  std::string spec() const override { return act_.to_string(); }

  Shape output_shape(const Shape& input) const override {
    if (is_prelu() && slopes_.size() > 1) {
      const std::size_t channel_dim = input.size() == 1 ? 0 : 1;
      if (input.empty() || input[channel_dim] != slopes_.size()) {
        detail::throw_shape_error(
            spec(), "input", input,
            "(N, " + std::to_string(slopes_.size()) + ", ...) (one slope per channel on dim 1)");
      }
    }
    try {
      return actlab::output_shape(act_, input);
    } catch (const Error& e) {
      throw Error(e.code(), spec() + ": input shape " + shape_to_string(input) +
                                " does not fit: " + e.what());
    }
  }

  Tensor forward(const Tensor& input, bool training) override {
    input_shape_ = input.shape();
    output_shape_ = output_shape(input_shape_);
    Tensor output = Tensor::uninitialized(output_shape_);  // every element written below
    const bool from_output = act_.info().backward_from == BackwardFrom::kOutput;
    if (is_prelu()) {
      mode_ = Mode::kPrelu;
      kernels::prelu_forward(slopes_.data(), input_shape_, input.data(), output.data());
    } else if (act_.id() == ActivationId::kRrelu && training) {
      mode_ = Mode::kRreluTrain;
      rrelu_slopes_.resize(input.size());
      kernels::rrelu_forward_train(act_, rng_.next_u64(), input.data(), output.data(),
                                   rrelu_slopes_);
    } else {
      mode_ = Mode::kGeneric;
      kernels::forward(act_, input_shape_, input.data(), output.data());
    }
    // Backward reads the output only for generic activations whose info says so.
    if (mode_ == Mode::kGeneric && from_output) {
      detail::keep_copy(output, saved_);
    } else {
      detail::keep_copy(input, saved_);
    }
    have_forward_ = true;
    return output;
  }

  Tensor backward(const Tensor& grad_output) override {
    detail::check_backward(spec(), have_forward_, grad_output, output_shape_);
    Tensor grad_input = Tensor::uninitialized(input_shape_);  // every element written below
    switch (mode_) {
      case Mode::kPrelu:
        kernels::prelu_backward(slopes_.data(), input_shape_, saved_.data(), grad_output.data(),
                                grad_input.data(), slopes_grad_.data());
        break;
      case Mode::kRreluTrain:
        kernels::rrelu_backward_train(rrelu_slopes_, grad_output.data(), grad_input.data());
        break;
      case Mode::kGeneric:
        kernels::backward(act_, input_shape_, saved_.data(), grad_output.data(), grad_input.data());
        break;
    }
    return grad_input;
  }

  // Sequential's path: the input's memory is ours. In training the layer keeps the tensor
  // its backward reads (the input, or the output computed in place and passed on as a
  // view); in evaluation it computes in place and keeps nothing.
  Tensor forward_consuming(Tensor&& input, bool training) override {
    const bool generic = !is_prelu() && act_.info().kind == Kind::kElementwise &&
                         !(act_.id() == ActivationId::kRrelu && training);
    if (input.is_view() || !(generic || is_prelu())) return forward(input, training);
    input_shape_ = input.shape();
    output_shape_ = input_shape_;
    if (is_prelu() && !training) {
      // In place (kernels.hpp: a forward's dst may alias its src); nothing kept.
      mode_ = Mode::kPrelu;
      kernels::prelu_forward(slopes_.data(), input_shape_, input.data(), input.data());
      keep_for_backward(Tensor(), false);
      return std::move(input);
    }
    if (is_prelu()) {
      mode_ = Mode::kPrelu;
      Tensor output = Tensor::uninitialized(output_shape_);
      kernels::prelu_forward(slopes_.data(), input_shape_, input.data(), output.data());
      keep_for_backward(std::move(input), training);
      return output;
    }
    mode_ = Mode::kGeneric;
    if (!training) {
      kernels::forward(act_, input.data(), input.data());
      keep_for_backward(Tensor(), false);
      return std::move(input);
    }
    if (act_.info().backward_from == BackwardFrom::kOutput) {
      kernels::forward(act_, input.data(), input.data());
      return adopt_output(std::move(input));
    }
    Tensor output = Tensor::uninitialized(output_shape_);
    kernels::forward(act_, input.data(), output.data());
    keep_for_backward(std::move(input), true);
    return output;
  }

  const Activation* fusable_activation(bool training) const override {
    if (is_prelu() || act_.info().kind != Kind::kElementwise) return nullptr;
    if (training && (act_.id() == ActivationId::kRrelu ||
                     act_.info().backward_from != BackwardFrom::kOutput)) {
      return nullptr;
    }
    return &act_;
  }

  Tensor adopt_fused_output(Tensor&& output, bool training) override {
    input_shape_ = output.shape();
    output_shape_ = input_shape_;
    mode_ = Mode::kGeneric;
    if (!training) {
      keep_for_backward(Tensor(), false);
      return std::move(output);
    }
    if (output.is_view()) {
      detail::keep_copy(output, saved_);
      have_forward_ = true;
      return std::move(output);
    }
    return adopt_output(std::move(output));
  }

  std::vector<Parameter> parameters() override {
    if (!is_prelu()) return {};
    return {{"slope", &slopes_, &slopes_grad_}};
  }

  // PReLU's slopes start from the "slope" parameter (PyTorch: constant 0.25), not random.
  void reset_parameters(Rng& /*rng*/) override {
    if (is_prelu()) slopes_.fill(static_cast<float>(act_.get("slope")));
  }

 private:
  bool is_prelu() const { return act_.id() == ActivationId::kPrelu; }

  // Keeps `saved`, the input or output backward reads; in evaluation (training = false)
  // nothing is kept and backward needs a new forward.
  void keep_for_backward(Tensor&& saved, bool training) {
    saved_ = training ? std::move(saved) : Tensor();
    have_forward_ = training;
  }
  // Keeps the output for backward and passes on a view of it.
  Tensor adopt_output(Tensor&& output) {
    keep_for_backward(std::move(output), true);
    return Tensor::view(saved_.shape(), saved_.data());
  }

  Activation act_;
  Rng rng_;
  Tensor slopes_, slopes_grad_;
  std::vector<float> rrelu_slopes_;
  Tensor saved_;
  Shape input_shape_, output_shape_;
  Mode mode_ = Mode::kGeneric;
  bool have_forward_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_activation(const Activation& act, std::uint64_t seed) {
  return std::make_unique<ActivationLayer>(act, seed);
}

}  // namespace actlab::nn
