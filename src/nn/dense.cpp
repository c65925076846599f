// Dense (PyTorch's Linear): y = x·Wᵀ + b with W of shape (out, in).
#include <memory>
#include <string>
#include <vector>

#include "actlab/kernels.hpp"
#include "actlab/nn/layer.hpp"
#include "nn/gemm.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn {
namespace {

using detail::gemm;
using detail::Transpose;

class Dense final : public Layer {
 public:
  Dense(std::size_t in, std::size_t out, bool bias, Init init)
      : in_(in),
        out_(out),
        has_bias_(bias),
        init_(init),
        weight_({out, in}),
        weight_grad_({out, in}),
        bias_({bias ? out : 0}),
        bias_grad_({bias ? out : 0}) {
    Rng rng(detail::kConstructionSeed);
    Dense::reset_parameters(rng);
  }

  std::string spec() const override {
    std::string s = "dense(" + std::to_string(in_) + ", " + std::to_string(out_);
    if (!has_bias_) s += ", bias=false";
    return s + ")";
  }

  Shape output_shape(const Shape& input) const override {
    if (input.size() != 2 || input[1] != in_) {
      detail::throw_shape_error(spec(), "input", input,
                                "(N, " + std::to_string(in_) + ") (batch, in_features)");
    }
    return {input[0], out_};
  }

  // y (N×out) = x (N×in) · Wᵀ (in×out) + b.
  Tensor forward(const Tensor& input, bool /*training*/) override {
    Tensor output = compute(input, nullptr);
    detail::keep_copy(input, input_);
    have_forward_ = true;
    return output;
  }

  Tensor forward_consuming(Tensor&& input, bool training) override {
    Tensor output = compute(input, nullptr);
    keep_input(std::move(input), training);
    return output;
  }

  Tensor forward_fused(const Tensor& input, const Activation& act, bool training) override {
    Tensor output = compute(input, &act);
    if (training) {
      detail::keep_copy(input, input_);
    } else {
      input_ = Tensor();
    }
    have_forward_ = training;
    return output;
  }

  // dW (out×in) += dyᵀ (out×N) · x (N×in); db += Σ_N dy; dx (N×in) = dy (N×out) · W (out×in).
  Tensor backward(const Tensor& grad_output) override {
    parameter_gradients(grad_output);
    const std::size_t n = input_.shape()[0];
    Tensor grad_input = Tensor::uninitialized(input_.shape());  // beta = 0: overwritten
    gemm(Transpose::kNo, Transpose::kNo, n, in_, out_, 1.0f, grad_output.raw(), out_,
         weight_.raw(), in_, 0.0f, grad_input.raw(), in_);
    return grad_input;
  }

  void backward_parameters(const Tensor& grad_output) override {
    parameter_gradients(grad_output);
  }

 private:
  void parameter_gradients(const Tensor& grad_output) {
    const std::size_t n = input_.shape().empty() ? 0 : input_.shape()[0];
    detail::check_backward(spec(), have_forward_, grad_output, Shape{n, out_});
    const float* dy = grad_output.raw();
    gemm(Transpose::kYes, Transpose::kNo, out_, in_, n, 1.0f, dy, out_, input_.raw(), in_, 1.0f,
         weight_grad_.raw(), in_);
    if (has_bias_) {
      float* db = bias_grad_.raw();
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t o = 0; o < out_; ++o) db[o] += dy[i * out_ + o];
      }
    }
  }

 public:
  std::vector<Parameter> parameters() override {
    std::vector<Parameter> list{{"weight", &weight_, &weight_grad_}};
    if (has_bias_) list.push_back({"bias", &bias_, &bias_grad_});
    return list;
  }

  void reset_parameters(Rng& rng) override {
    detail::initialise(init_, in_, out_, rng, weight_, has_bias_ ? &bias_ : nullptr);
  }

 private:
  // x·Wᵀ, then the bias added (and `act` applied, if given) in one pass over the result.
  // The product is complete before the bias is added, in every path, so that the fused
  // and unfused results have the same bits.
  Tensor compute(const Tensor& input, const Activation* act) {
    Shape shape = output_shape(input.shape());
    const std::size_t n = shape[0];
    Tensor output = Tensor::uninitialized(shape);  // beta = 0: overwritten
    gemm(Transpose::kNo, Transpose::kYes, n, out_, in_, 1.0f, input.raw(), in_, weight_.raw(), in_,
         0.0f, output.raw(), out_);
    if (act != nullptr && has_bias_) {
      kernels::bias_forward(*act, bias_.data(), 1, output.data(), output.data());
    } else if (act != nullptr) {
      kernels::forward(*act, output.data(), output.data());
    } else if (has_bias_) {
      float* y = output.raw();
      const float* b = bias_.raw();
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t o = 0; o < out_; ++o) y[i * out_ + o] += b[o];
      }
    }
    return output;
  }

  // Keeps the input for the weight gradient: its memory when it is ours, a copy of a view;
  // nothing in evaluation.
  void keep_input(Tensor&& input, bool training) {
    if (!training) {
      input_ = Tensor();
    } else if (input.is_view()) {
      detail::keep_copy(input, input_);
    } else {
      input_ = std::move(input);
    }
    have_forward_ = training;
  }

  std::size_t in_, out_;
  bool has_bias_;
  Init init_;
  Tensor weight_, weight_grad_, bias_, bias_grad_;
  Tensor input_;
  bool have_forward_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_dense(std::size_t in_features, std::size_t out_features, bool bias,
                                  Init init) {
  return std::make_unique<Dense>(in_features, out_features, bias, init);
}

}  // namespace actlab::nn
