// MaxPool2d and AvgPool2d over (N, C, H, W): window k, stride s (default k), no padding,
// output (H − k)/s + 1 rounded down (PyTorch, ceil_mode = false).
//
// MaxPool2d's 2×2 stride-2 case (the seed CNN's) has a vector loop compiled once per SIMD
// target by Highway (this file is included once per target by foreach_target.h; everything
// outside the HWY_NAMESPACE block is in HWY_ONCE) and dispatched at run time.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "nn/pooling.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/nn/layer.hpp"
#include "kernels/thread_pool.hpp"
#include "nn/layer_support.hpp"

HWY_BEFORE_NAMESPACE();
namespace actlab::nn::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One 2×2 window, rows r0 and r1: its first maximum in row-major order (a later equal value
// does not replace it), or its first NaN if it has one; code = the winner's position
// 0..3 (row-major). The same choice as MaxPool2d's general loop.
inline void Window2x2(const float* r0, const float* r1, float& out, std::uint8_t& code) {
  const float v[4] = {r0[0], r0[1], r1[0], r1[1]};
  float best = v[0];
  std::uint8_t at = 0;
  for (std::uint8_t i = 1; i < 4; ++i) {
    if (v[i] > best) {
      best = v[i];
      at = i;
    }
  }
  for (std::uint8_t i = 4; i-- > 0;) {
    if (std::isnan(v[i])) {
      best = v[i];
      at = i;
    }
  }
  out = best;
  code = at;
}

#if HWY_TARGET != HWY_SCALAR
// Outputs [0, count) of one output row (count ≥ Lanes(d)) from input rows r0, r1: Lanes(d)
// outputs at a time, the last vector overlapping the one before (each output depends on
// its window only, so computing one twice stores the same value).
template <class DF>
void RowVectors(DF d, const float* r0, const float* r1, std::size_t count, float* out,
                std::uint8_t* code) {
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<std::uint8_t, DF> du8;
  using VF = hn::Vec<DF>;
  const std::size_t lanes = hn::Lanes(d);
  for (std::size_t ow = 0;; ow += lanes) {
    if (ow + lanes > count) ow = count - lanes;
    const VF t0 = hn::LoadU(d, r0 + 2 * ow);
    const VF t1 = hn::LoadU(d, r0 + 2 * ow + lanes);
    const VF b0 = hn::LoadU(d, r1 + 2 * ow);
    const VF b1 = hn::LoadU(d, r1 + 2 * ow + lanes);
    const VF v[4] = {hn::ConcatEven(d, t1, t0), hn::ConcatOdd(d, t1, t0),
                     hn::ConcatEven(d, b1, b0), hn::ConcatOdd(d, b1, b0)};
    VF best = v[0];
    auto at = hn::Zero(di);
    for (int i = 1; i < 4; ++i) {
      const auto greater = hn::Gt(v[i], best);
      best = hn::IfThenElse(greater, v[i], best);
      at = hn::IfThenElse(hn::RebindMask(di, greater), hn::Set(di, i), at);
    }
    for (int i = 4; i-- > 0;) {
      const auto nan = hn::IsNaN(v[i]);
      best = hn::IfThenElse(nan, v[i], best);
      at = hn::IfThenElse(hn::RebindMask(di, nan), hn::Set(di, i), at);
    }
    hn::StoreU(best, d, out + ow);
    hn::StoreU(hn::DemoteTo(du8, at), du8, code + ow);
    if (ow + lanes >= count) break;
  }
}
#endif

// MaxPool2d(2, stride 2) over `planes` planes of height × width (both ≥ 2): out has
// (height/2)·(width/2) outputs per plane, code their winners' positions in the window.
void MaxPool2x2(const float* x, std::size_t planes, std::size_t height, std::size_t width,
                float* out, std::uint8_t* code) {
  const std::size_t out_height = height / 2, out_width = width / 2;
  for (std::size_t p = 0; p < planes; ++p) {
    for (std::size_t oh = 0; oh < out_height; ++oh) {
      const float* r0 = x + (p * height + 2 * oh) * width;
      const float* r1 = r0 + width;
      const std::size_t at = (p * out_height + oh) * out_width;
#if HWY_TARGET != HWY_SCALAR
      const hn::CappedTag<float, 8> d8;
      const hn::CappedTag<float, 4> d4;
      if (out_width >= hn::Lanes(d8)) {
        RowVectors(d8, r0, r1, out_width, out + at, code + at);
        continue;
      }
      if (out_width >= hn::Lanes(d4)) {
        RowVectors(d4, r0, r1, out_width, out + at, code + at);
        continue;
      }
#endif
      for (std::size_t ow = 0; ow < out_width; ++ow) {
        Window2x2(r0 + 2 * ow, r1 + 2 * ow, out[at + ow], code[at + ow]);
      }
    }
  }
}

}  // namespace actlab::nn::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace actlab::nn {

HWY_EXPORT(MaxPool2x2);

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
    Tensor output = Tensor::uninitialized(output_shape_);  // every output written below
    const float* x = input.raw();
    fast_ = kernel_ == 2 && stride_ == 2;
    if (fast_) {
      codes_.resize(output.size());
      const std::size_t in_plane = g.height * g.width, out_plane = g.out_height * g.out_width;
      float* y = output.raw();
      for_plane_ranges(g, [&](std::size_t begin, std::size_t end) {
        HWY_DYNAMIC_DISPATCH(MaxPool2x2)(x + begin * in_plane, end - begin, g.height, g.width,
                                         y + begin * out_plane, codes_.data() + begin * out_plane);
      });
      have_forward_ = true;
      return output;
    }
    argmax_.resize(output.size());
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
    if (fast_) {
      // 2×2 stride 2: the windows do not overlap; code = the winner's row-major position.
      const PoolGeometry g = geometry(input_shape_);
      const float* dy = grad_output.raw();
      float* dx = grad_input.raw();
      for_plane_ranges(g, [&](std::size_t begin, std::size_t end) {
        std::size_t at = begin * g.out_height * g.out_width;
        for (std::size_t p = begin; p < end; ++p) {
          for (std::size_t oh = 0; oh < g.out_height; ++oh) {
            float* row = dx + (p * g.height + 2 * oh) * g.width;
            for (std::size_t ow = 0; ow < g.out_width; ++ow, ++at) {
              const std::uint8_t code = codes_[at];
              row[(code >> 1) * g.width + 2 * ow + (code & 1)] += dy[at];
            }
          }
        }
      });
      return grad_input;
    }
    for (std::size_t i = 0; i < argmax_.size(); ++i) grad_input[argmax_[i]] += grad_output[i];
    return grad_input;
  }

 private:
  // Calls f(begin, end) over ranges of planes: split across the kernels' pool when the input
  // has at least 64K floats (conv1's pool in the seed CNN: 802K at batch 32; it ran on one
  // thread while the other core waited), else f(0, planes). Planes are independent, so the
  // results do not depend on the split.
  template <class F>
  static void for_plane_ranges(const PoolGeometry& g, F&& f) {
    if (g.planes * g.height * g.width >= (std::size_t{1} << 16) && g.planes > 1 &&
        kernels::detail::pool_threads() > 1) {
      kernels::detail::run_parallel([&](std::size_t t, std::size_t count) {
        const std::size_t begin = g.planes * t / count, end = g.planes * (t + 1) / count;
        if (begin < end) f(begin, end);
      });
      return;
    }
    f(0, g.planes);
  }

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

  std::vector<std::size_t> argmax_;        // input index of each output (general case)
  std::vector<std::uint8_t> codes_;        // 2×2 stride 2: the winner's position 0..3
  bool fast_ = false;
};

class AvgPool2d final : public Pool2d {
 public:
  AvgPool2d(std::size_t kernel, std::size_t stride) : Pool2d("avg_pool2d", kernel, stride) {}

  Tensor forward(const Tensor& input, bool /*training*/) override {
    const PoolGeometry g = geometry(input.shape());
    input_shape_ = input.shape();
    output_shape_ = output_shape(input_shape_);
    Tensor output = Tensor::uninitialized(output_shape_);  // every output written below
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
#endif  // HWY_ONCE
