// MaxPool2d and AvgPool2d over (N, C, H, W): window k, stride s (default k), no padding,
// output (H − k)/s + 1 rounded down (PyTorch, ceil_mode = false).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/nn/layer.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn {
namespace {

struct PoolGeometry {
  std::size_t planes, height, width, out_height, out_width;
};

class Pool2d : public Layer {
 public:
  Pool2d(std::string name, std::size_t kernel, std::size_t stride)
      : name_(std::move(name)), kernel_(kernel), stride_(stride == 0 ? kernel : stride) {
    if (kernel == 0) {
      throw Error(ErrorCode::kInvalidParameter, name_ + ": the window must be at least 1");
    }
  }

  std::string spec() const override {
    std::string s = name_ + "(" + std::to_string(kernel_);
    if (stride_ != kernel_) s += ", stride=" + std::to_string(stride_);
    return s + ")";
  }

  Shape output_shape(const Shape& input) const override {
    const PoolGeometry g = geometry(input);
    return {input[0], input[1], g.out_height, g.out_width};
  }

 protected:
  PoolGeometry geometry(const Shape& input) const {
    if (input.size() != 4 || input[2] < kernel_ || input[3] < kernel_) {
      detail::throw_shape_error(spec(), "input", input,
                                "(N, C, H, W) with H and W ≥ " + std::to_string(kernel_));
    }
    return {input[0] * input[1], input[2], input[3], (input[2] - kernel_) / stride_ + 1,
            (input[3] - kernel_) / stride_ + 1};
  }

  std::string name_;
  std::size_t kernel_, stride_;
  Shape input_shape_, output_shape_;
  bool have_forward_ = false;
};

class MaxPool2d final : public Pool2d {
 public:
  MaxPool2d(std::size_t kernel, std::size_t stride) : Pool2d("max_pool2d", kernel, stride) {}

  // Each output is the first maximum of its window in row-major order (a later equal value
  // does not replace it); a NaN wins, as in PyTorch. Its input index is kept for backward.
  Tensor forward(const Tensor& input, bool /*training*/) override {
    const PoolGeometry g = geometry(input.shape());
    input_shape_ = input.shape();
    output_shape_ = output_shape(input_shape_);
    Tensor output(output_shape_);
    argmax_.resize(output.size());
    const float* x = input.raw();
    std::size_t at = 0;
    for (std::size_t p = 0; p < g.planes; ++p) {
      const std::size_t plane = p * g.height * g.width;
      for (std::size_t oh = 0; oh < g.out_height; ++oh) {
        for (std::size_t ow = 0; ow < g.out_width; ++ow, ++at) {
          const std::size_t corner = plane + oh * stride_ * g.width + ow * stride_;
          bool has_nan = false;
          std::size_t best = first_maximum(x, corner, g.width, has_nan);
          if (has_nan) best = first_nan(x, corner, g.width);
          argmax_[at] = best;
          output[at] = x[best];
        }
      }
    }
    have_forward_ = true;
    return output;
  }

  Tensor backward(const Tensor& grad_output) override {
    detail::check_backward(spec(), have_forward_, grad_output, output_shape_);
    Tensor grad_input(input_shape_);
    for (std::size_t i = 0; i < argmax_.size(); ++i) grad_input[argmax_[i]] += grad_output[i];
    return grad_input;
  }

 private:
  // Index of the first maximum of the window at `corner`; has_nan tells whether the window
  // holds a NaN (then the result is meaningless). Branch-free (a mask select and maxss): the
  // comparison is unpredictable on real data, and the branchy loop took 3x as long on the
  // seed CNN's first pool (batch 32).
  std::size_t first_maximum(const float* x, std::size_t corner, std::size_t width,
                            bool& has_nan) const {
    std::size_t best = corner;
    float best_value = x[corner];
    for (std::size_t i = 0; i < kernel_; ++i) {
      const std::size_t row = corner + i * width;
      for (std::size_t j = 0; j < kernel_; ++j) {
        const float v = x[row + j];
        const std::size_t take =
            static_cast<std::size_t>(0) - static_cast<std::size_t>(v > best_value);
        best += (row + j - best) & take;
        best_value = std::max(best_value, v);  // v if best_value < v, as `take`
        has_nan |= v != v;
      }
    }
    return best;
  }
  // Index of the first NaN of a window that has one: a NaN wins, as in PyTorch.
  std::size_t first_nan(const float* x, std::size_t corner, std::size_t width) const {
    for (std::size_t at = 0; at < kernel_ * kernel_; ++at) {
      const std::size_t index = corner + (at / kernel_) * width + at % kernel_;
      if (std::isnan(x[index])) return index;
    }
    return corner;
  }

  std::vector<std::size_t> argmax_;
};

class AvgPool2d final : public Pool2d {
 public:
  AvgPool2d(std::size_t kernel, std::size_t stride) : Pool2d("avg_pool2d", kernel, stride) {}

  Tensor forward(const Tensor& input, bool /*training*/) override {
    const PoolGeometry g = geometry(input.shape());
    input_shape_ = input.shape();
    output_shape_ = output_shape(input_shape_);
    Tensor output(output_shape_);
    const float scale = 1.0f / static_cast<float>(kernel_ * kernel_);
    const float* x = input.raw();
    std::size_t at = 0;
    for (std::size_t p = 0; p < g.planes; ++p) {
      const float* plane = x + p * g.height * g.width;
      for (std::size_t oh = 0; oh < g.out_height; ++oh) {
        for (std::size_t ow = 0; ow < g.out_width; ++ow, ++at) {
          float sum = 0;
          for (std::size_t i = 0; i < kernel_; ++i) {
            const float* row = plane + (oh * stride_ + i) * g.width + ow * stride_;
            for (std::size_t j = 0; j < kernel_; ++j) sum += row[j];
          }
          output[at] = sum * scale;
        }
      }
    }
    have_forward_ = true;
    return output;
  }

  Tensor backward(const Tensor& grad_output) override {
    detail::check_backward(spec(), have_forward_, grad_output, output_shape_);
    const PoolGeometry g = geometry(input_shape_);
    Tensor grad_input(input_shape_);
    const float scale = 1.0f / static_cast<float>(kernel_ * kernel_);
    std::size_t at = 0;
    for (std::size_t p = 0; p < g.planes; ++p) {
      float* plane = grad_input.raw() + p * g.height * g.width;
      for (std::size_t oh = 0; oh < g.out_height; ++oh) {
        for (std::size_t ow = 0; ow < g.out_width; ++ow, ++at) {
          const float share = grad_output[at] * scale;
          for (std::size_t i = 0; i < kernel_; ++i) {
            float* row = plane + (oh * stride_ + i) * g.width + ow * stride_;
            for (std::size_t j = 0; j < kernel_; ++j) row[j] += share;
          }
        }
      }
    }
    return grad_input;
  }
};

}  // namespace

std::unique_ptr<Layer> make_max_pool2d(std::size_t kernel, std::size_t stride) {
  return std::make_unique<MaxPool2d>(kernel, stride);
}

std::unique_ptr<Layer> make_avg_pool2d(std::size_t kernel, std::size_t stride) {
  return std::make_unique<AvgPool2d>(kernel, stride);
}

}  // namespace actlab::nn
