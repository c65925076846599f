// Flatten, (N, ...) → (N, product of the rest), and Dropout.
#include <memory>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/nn/layer.hpp"
#include "actlab/random.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn {
namespace {

class Flatten final : public Layer {
 public:
  std::string spec() const override { return "flatten"; }

  Shape output_shape(const Shape& input) const override {
    if (input.empty()) detail::throw_shape_error(spec(), "input", input, "(N, ...)");
    std::size_t rest = 1;
    for (std::size_t i = 1; i < input.size(); ++i) rest *= input[i];
    return {input[0], rest};
  }

  Tensor forward(const Tensor& input, bool /*training*/) override {
    input_shape_ = input.shape();
    have_forward_ = true;
    return input.reshaped(output_shape(input_shape_));
  }

  // The same memory with the new shape (a view stays a view of the same memory).
  Tensor forward_consuming(Tensor&& input, bool /*training*/) override {
    input_shape_ = input.shape();
    have_forward_ = true;
    input.reshape(output_shape(input_shape_));
    return std::move(input);
  }

  Tensor backward(const Tensor& grad_output) override {
    detail::check_backward(spec(), have_forward_, grad_output, output_shape(input_shape_));
    return grad_output.reshaped(input_shape_);
  }

 private:
  Shape input_shape_;
  bool have_forward_ = false;
};

// In training each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
// expected output equals the input; the mask of a call is drawn from the layer's Rng, which
// advances call after call (the same seed gives the same sequence of masks).
class Dropout final : public Layer {
 public:
  Dropout(double p, std::uint64_t seed) : p_(p), rng_(seed) {
    if (!(p >= 0 && p <= 1)) {
      throw Error(ErrorCode::kInvalidParameter,
                  "dropout: p = " + detail::format_number(p) + " must lie in [0, 1]");
    }
  }

  std::string spec() const override { return "dropout(" + detail::format_number(p_) + ")"; }

  Shape output_shape(const Shape& input) const override { return input; }

  Tensor forward(const Tensor& input, bool training) override {
    training_ = training;
    have_forward_ = true;
    shape_ = input.shape();
    Tensor output(input.shape());
    if (!training) {
      std::copy(input.raw(), input.raw() + input.size(), output.raw());
      return output;
    }
    // p = 1 drops everything (scale 0, not 1/0).
    const float scale = p_ < 1 ? static_cast<float>(1.0 / (1.0 - p_)) : 0.0f;
    mask_.resize(input.size());
    for (std::size_t i = 0; i < input.size(); ++i) {
      mask_[i] = rng_.uniform() < p_ ? 0.0f : scale;
      output[i] = input[i] * mask_[i];
    }
    return output;
  }

  Tensor backward(const Tensor& grad_output) override {
    detail::check_backward(spec(), have_forward_, grad_output, shape_);
    Tensor grad_input(shape_);
    for (std::size_t i = 0; i < grad_input.size(); ++i) {
      grad_input[i] = training_ ? grad_output[i] * mask_[i] : grad_output[i];
    }
    return grad_input;
  }

 private:
  double p_;
  Rng rng_;
  std::vector<float> mask_;
  Shape shape_;
  bool training_ = false;
  bool have_forward_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_flatten() { return std::make_unique<Flatten>(); }

std::unique_ptr<Layer> make_dropout(double p, std::uint64_t seed) {
  return std::make_unique<Dropout>(p, seed);
}

}  // namespace actlab::nn
