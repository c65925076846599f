// Conv2d (cross-correlation, as PyTorch): y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c], with
// stride and zero padding, lowered to matrix products over im2col's columns (P = OH·OW):
// - planes of ≥ 64 outputs (the seed CNN's conv1 and conv2), one image at a time, the
//   images split across the pool: cols_n (C·k·k × P) in a per-thread buffer that stays in
//   cache, Y_n (out × P) = W · cols_n written straight into the output; backward recomputes
//   cols_n from the kept input: dW += dY_n · cols_nᵀ, dcols_n = Wᵀ · dY_n, then col2im
//   (compute_per_image, backward_per_image);
// - smaller planes (conv3's 4×4), one product over the whole batch, which keeps the
//   product wide enough: cols (C·k·k × N·P) kept for backward, Y (out × N·P) scattered to
//   (N, out, OH, OW); dW += dY · colsᵀ, dcols = Wᵀ · dY on the gathered dY.
// The bias (and a fused activation) is applied in the pass that writes the output.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/nn/layer.hpp"
#include "kernels/thread_pool.hpp"
#include "nn/gemm.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn {
namespace {

using detail::gemm;
using detail::Transpose;

struct Geometry {
  std::size_t batch, channels, height, width, out_height, out_width, kernel, stride, padding;
  std::size_t positions() const { return out_height * out_width; }
  std::size_t rows() const { return channels * kernel * kernel; }
  std::size_t columns() const { return batch * positions(); }
};

// The outputs o in [begin, end) whose input index o·s − p + offset lies inside [0, size):
// the rest read the zero padding. Computed once per kernel offset, so that the copy loops
// below have no bounds checks.
struct Range {
  std::size_t begin, end;
};
Range inside(std::size_t offset, std::size_t size, std::size_t out_size, const Geometry& g) {
  const long s = static_cast<long>(g.stride);
  const long first = static_cast<long>(g.padding) - static_cast<long>(offset);  // o·s ≥ first
  const long last = static_cast<long>(size) - 1 + first;                        // o·s ≤ last
  if (last < 0) return {0, 0};
  const auto end = std::min(out_size, static_cast<std::size_t>(last / s + 1));
  const auto begin = first <= 0 ? std::size_t{0} : static_cast<std::size_t>((first + s - 1) / s);
  return {std::min(begin, end), end};
}

// Input index of output o at kernel offset `offset` (valid inside its Range only).
inline std::size_t source(std::size_t o, std::size_t offset, const Geometry& g) {
  return o * g.stride + offset - g.padding;
}

// The copy and zero loops below are short runs (OW floats: 12 to 28 in the seed CNN, and
// runs of 0 or 1 for the padding), thousands per image. GCC turns such loops into memmove
// and memset calls, which cost more than the copies (perf, seed CNN training: im2col 8 %
// plus most of memmove's 7 %), so that transformation is off for these functions.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

// dst[i] = 0 for i < n.
inline void zero_run(float* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = 0.0f;
}

// dst[i] = src[i] for i < n (the ranges do not overlap).
inline void copy_run(const float* __restrict src, float* __restrict dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
}

// dst[i] += src[i] for i < n (the ranges do not overlap).
inline void add_run(const float* __restrict src, float* __restrict dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

// Σ row[j] for j < n in double, over 8 interleaved partial sums added in a fixed order (one
// running sum is a chain of dependent adds, 4 cycles each: it took 4 % of a seed CNN epoch).
double row_sum(const float* row, std::size_t n) {
  double partial[8] = {};
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (std::size_t l = 0; l < 8; ++l) partial[l] += static_cast<double>(row[j + l]);
  }
  double tail = 0;
  for (; j < n; ++j) tail += static_cast<double>(row[j]);
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7])) + tail;
}

// cols[(c·k + ki)·k + kj][n·P + oh·OW + ow] = x[n, c, oh·s − p + ki, ow·s − p + kj] (0 outside),
// rows `ld` floats apart (ld ≥ N·P).
void im2col(const float* x, const Geometry& g, float* cols, std::size_t ld) {
  const std::size_t k = g.kernel, ow_count = g.out_width;
  for (std::size_t c = 0; c < g.channels; ++c) {
    for (std::size_t ki = 0; ki < k; ++ki) {
      const Range rows = inside(ki, g.height, g.out_height, g);
      for (std::size_t kj = 0; kj < k; ++kj) {
        const Range cols_in = inside(kj, g.width, ow_count, g);
        float* row = cols + ((c * k + ki) * k + kj) * ld;
        for (std::size_t n = 0; n < g.batch; ++n) {
          const float* plane = x + (n * g.channels + c) * g.height * g.width;
          float* dst = row + n * g.positions();
          zero_run(dst, rows.begin * ow_count);
          for (std::size_t oh = rows.begin; oh < rows.end; ++oh) {
            float* out = dst + oh * ow_count;
            const float* src = plane + source(oh, ki, g) * g.width;
            zero_run(out, cols_in.begin);
            if (g.stride == 1) {
              // A plain loop, not std::copy: the runs are short (OW floats, 12 in the seed
              // CNN's second conv) and a memmove call per run cost more than the copy.
              copy_run(src + source(cols_in.begin, kj, g), out + cols_in.begin,
                       cols_in.end - cols_in.begin);
            } else {
              for (std::size_t ow = cols_in.begin; ow < cols_in.end; ++ow) {
                out[ow] = src[source(ow, kj, g)];
              }
            }
            zero_run(out + cols_in.end, ow_count - cols_in.end);
          }
          zero_run(dst + rows.end * ow_count, g.positions() - rows.end * ow_count);
        }
      }
    }
  }
}

// The adjoint of im2col: dx[n, c, ih, iw] += every cols entry that im2col copied from it.
void col2im(const float* cols, const Geometry& g, float* dx) {
  const std::size_t ld = g.columns(), k = g.kernel, ow_count = g.out_width;
  for (std::size_t c = 0; c < g.channels; ++c) {
    for (std::size_t ki = 0; ki < k; ++ki) {
      const Range rows = inside(ki, g.height, g.out_height, g);
      for (std::size_t kj = 0; kj < k; ++kj) {
        const Range cols_in = inside(kj, g.width, ow_count, g);
        const float* row = cols + ((c * k + ki) * k + kj) * ld;
        for (std::size_t n = 0; n < g.batch; ++n) {
          float* plane = dx + (n * g.channels + c) * g.height * g.width;
          const float* src = row + n * g.positions();
          for (std::size_t oh = rows.begin; oh < rows.end; ++oh) {
            const float* in = src + oh * ow_count;
            float* dst = plane + source(oh, ki, g) * g.width;
            if (g.stride == 1) {  // contiguous: a loop the compiler vectorises
              add_run(in + cols_in.begin, dst + source(cols_in.begin, kj, g),
                      cols_in.end - cols_in.begin);
              continue;
            }
            for (std::size_t ow = cols_in.begin; ow < cols_in.end; ++ow) {
              dst[source(ow, kj, g)] += in[ow];
            }
          }
        }
      }
    }
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

class Conv2d final : public Layer {
 public:
  Conv2d(std::size_t in, std::size_t out, std::size_t kernel, std::size_t stride,
         std::size_t padding, bool bias, Init init)
      : in_(in),
        out_(out),
        kernel_(kernel),
        stride_(stride),
        padding_(padding),
        has_bias_(bias),
        init_(init),
        weight_({out, in, kernel, kernel}),
        weight_grad_({out, in, kernel, kernel}),
        bias_({bias ? out : 0}),
        bias_grad_({bias ? out : 0}) {
    if (kernel == 0 || stride == 0) {
      throw Error(ErrorCode::kInvalidParameter, spec() + ": kernel and stride must be at least 1");
    }
    Rng rng(detail::kConstructionSeed);
    Conv2d::reset_parameters(rng);
  }

  std::string spec() const override {
    std::string s = "conv2d(" + std::to_string(in_) + ", " + std::to_string(out_) + ", " +
                    std::to_string(kernel_);
    if (stride_ != 1) s += ", stride=" + std::to_string(stride_);
    if (padding_ != 0) s += ", padding=" + std::to_string(padding_);
    if (!has_bias_) s += ", bias=false";
    return s + ")";
  }

  Shape output_shape(const Shape& input) const override {
    const Geometry g = geometry(input);
    return {g.batch, out_, g.out_height, g.out_width};
  }

  Tensor forward(const Tensor& input, bool /*training*/) override {
    return compute(input, nullptr, true);
  }

  Tensor forward_consuming(Tensor&& input, bool training) override {
    return compute(input, nullptr, training);
  }

  Tensor forward_fused(const Tensor& input, const Activation& act, bool training) override {
    return compute(input, &act, training);
  }

  Tensor backward(const Tensor& grad_output) override {
    if (per_image_) {
      Tensor grad_input = Tensor::uninitialized({g_.batch, in_, g_.height, g_.width});
      backward_per_image(grad_output, &grad_input);
      return grad_input;
    }
    parameter_gradients(grad_output);
    // dcols gets its own buffer: a second backward after the same forward needs cols_.
    const std::size_t rows = g_.rows(), columns = g_.columns();
    grad_cols_.resize(rows * columns);
    gemm(Transpose::kYes, Transpose::kNo, rows, columns, out_, 1.0f, weight_.raw(), rows,
         product_.data(), columns, 0.0f, grad_cols_.data(), columns);
    Tensor grad_input({g_.batch, in_, g_.height, g_.width});
    col2im(grad_cols_.data(), g_, grad_input.raw());
    return grad_input;
  }

  void backward_parameters(const Tensor& grad_output) override {
    if (per_image_) return backward_per_image(grad_output, nullptr);
    parameter_gradients(grad_output);
  }

  std::vector<Parameter> parameters() override {
    std::vector<Parameter> list{{"weight", &weight_, &weight_grad_}};
    if (has_bias_) list.push_back({"bias", &bias_, &bias_grad_});
    return list;
  }

  void reset_parameters(Rng& rng) override {
    const std::size_t area = kernel_ * kernel_;
    detail::initialise(init_, in_ * area, out_ * area, rng, weight_, has_bias_ ? &bias_ : nullptr);
  }

 private:
  // dW += dY · colsᵀ and db += row sums of dY, leaving dY gathered in product_.
  void parameter_gradients(const Tensor& grad_output) {
    detail::check_backward(spec(), have_forward_, grad_output,
                           Shape{g_.batch, out_, g_.out_height, g_.out_width});
    const std::size_t rows = g_.rows(), columns = g_.columns(), positions = g_.positions();
    // dY (out × N·P): the batch gathered next to each other per output channel.
    product_.resize(out_ * columns);
    const float* dy = grad_output.raw();
    for (std::size_t n = 0; n < g_.batch; ++n) {
      for (std::size_t o = 0; o < out_; ++o) {
        std::memcpy(product_.data() + o * columns + n * positions, dy + (n * out_ + o) * positions,
                    positions * sizeof(float));
      }
    }
    gemm(Transpose::kNo, Transpose::kYes, out_, rows, columns, 1.0f, product_.data(), columns,
         cols_.data(), columns, 1.0f, weight_grad_.raw(), rows);
    if (has_bias_) {
      for (std::size_t o = 0; o < out_; ++o) {
        // up to N·P terms: summed in double
        bias_grad_[o] += static_cast<float>(row_sum(product_.data() + o * columns, columns));
      }
    }
  }

  // im2col, the product, then the bias (and `act`, if given) and the scatter from the
  // product's (out, N·P) layout to (N, out, OH, OW). With `act`, kernels::bias_forward runs
  // on the product in place, (out, N·P) being (1, C = out, inner = N·P); either way each
  // output is fl(product + bias) before f sees it, the bits of the unfused layers.
  Tensor compute(const Tensor& input, const Activation* act, bool keep_for_backward) {
    g_ = geometry(input.shape());
    if (g_.positions() >= kPerImageMinPositions) {
      return compute_per_image(input, act, keep_for_backward);
    }
    const std::size_t rows = g_.rows(), columns = g_.columns(), positions = g_.positions();
    per_image_ = false;
    cols_.resize(rows * columns);
    im2col(input.raw(), g_, cols_.data(), columns);
    product_.resize(out_ * columns);
    gemm(Transpose::kNo, Transpose::kNo, out_, columns, rows, 1.0f, weight_.raw(), rows,
         cols_.data(), columns, 0.0f, product_.data(), columns);
    const bool add_bias = has_bias_ && act == nullptr;
    if (act != nullptr && has_bias_) {
      kernels::bias_forward(*act, bias_.data(), columns, product_, product_);
    } else if (act != nullptr) {
      kernels::forward(*act, product_, product_);
    }
    Tensor output = Tensor::uninitialized({g_.batch, out_, g_.out_height, g_.out_width});
    float* y = output.raw();
    auto scatter = [&](std::size_t o_begin, std::size_t o_end) {
      for (std::size_t o = o_begin; o < o_end; ++o) {
        for (std::size_t n = 0; n < g_.batch; ++n) {
          const float* src = product_.data() + o * columns + n * positions;
          float* dst = y + (n * out_ + o) * positions;
          if (add_bias) {
            const float b = bias_[o];
            for (std::size_t p = 0; p < positions; ++p) dst[p] = src[p] + b;
          } else {
            copy_run(src, dst, positions);
          }
        }
      }
    };
    // Channels split across the pool for large outputs (a memory-bound copy; ≥ 64K floats,
    // not tuned further).
    if (out_ * columns >= (std::size_t{1} << 16) && kernels::detail::pool_threads() > 1) {
      kernels::detail::run_parallel([&](std::size_t t, std::size_t count) {
        scatter(out_ * t / count, out_ * (t + 1) / count);
      });
    } else {
      scatter(0, out_);
    }
    have_forward_ = true;
    return output;
  }

  // Planes of at least this many outputs go one image at a time (the seed CNN's conv1 and
  // conv2: 784 and 144; conv3's 16 would fill half of the 32-column register tile at best).
  static constexpr std::size_t kPerImageMinPositions = 64;

  // One image at a time, the images split across the pool: im2col of the image into a
  // per-thread K × P buffer (166 KiB for conv2, in L2), the product written straight into
  // the image's (out, OH·OW) block of the output (no product buffer, no scatter), then the
  // bias and `act` per channel while it is in cache. For backward the layer keeps its
  // input (backward_per_image recomputes each image's columns in cache: cheaper than
  // writing the batch's K × N·P columns to memory and reading them back). Each output has
  // the bits of the whole-batch product (one dot product over K either way).
  Tensor compute_per_image(const Tensor& input, const Activation* act, bool keep_for_backward) {
    const std::size_t rows = g_.rows(), positions = g_.positions();
    if (keep_for_backward) {
      detail::keep_copy(input, input_);
    } else {
      input_ = Tensor();
    }
    per_image_ = true;
    Geometry one = g_;
    one.batch = 1;
    Tensor output = Tensor::uninitialized({g_.batch, out_, g_.out_height, g_.out_width});
    const float* x = input.raw();
    float* y = output.raw();
    const std::size_t image_in = in_ * g_.height * g_.width, image_out = out_ * positions;
    auto images = [&](std::size_t begin, std::size_t end) {
      thread_local std::vector<float> scratch;
      scratch.resize(rows * positions);
      for (std::size_t n = begin; n < end; ++n) {
        float* cols = scratch.data();
        im2col(x + n * image_in, one, cols, positions);
        float* yn = y + n * image_out;
        detail::gemm_serial(Transpose::kNo, Transpose::kNo, out_, positions, rows, 1.0f,
                            weight_.raw(), rows, cols, positions, 0.0f, yn, positions);
        for (std::size_t o = 0; o < out_; ++o) {
          // One channel (≤ a few K floats) per call: below every threading threshold.
          const std::span<float> plane(yn + o * positions, positions);
          if (act != nullptr && has_bias_) {
            kernels::bias_forward(*act, bias_.data().subspan(o, 1), positions, plane, plane);
          } else if (act != nullptr) {
            kernels::forward(*act, plane, plane);
          } else if (has_bias_) {
            const float b = bias_[o];
            for (float& v : plane) v += b;
          }
        }
      }
    };
    if (g_.batch > 1 && kernels::detail::pool_threads() > 1) {
      kernels::detail::run_parallel([&](std::size_t t, std::size_t count) {
        images(g_.batch * t / count, g_.batch * (t + 1) / count);
      });
    } else {
      images(0, g_.batch);
    }
    have_forward_ = keep_for_backward;
    return output;
  }

  // Backward after compute_per_image, one image at a time in cache: the image's columns
  // again (im2col of the kept input), dW_h += dY_n · cols_nᵀ read straight from grad_output
  // (no gather), and for the input gradient dcols_n = Wᵀ · dY_n and col2im into dx_n. The
  // batch is cut in two fixed halves h, each with its own weight-gradient sum, computed on
  // two threads and added in a fixed order: the bits do not depend on the thread count.
  // The bias gradient sums each channel in double, per half (images in order), the two
  // halves then added.
  void backward_per_image(const Tensor& grad_output, Tensor* grad_input) {
    detail::check_backward(spec(), have_forward_, grad_output,
                           Shape{g_.batch, out_, g_.out_height, g_.out_width});
    const std::size_t rows = g_.rows(), positions = g_.positions(), batch = g_.batch;
    const std::size_t image_in = in_ * g_.height * g_.width, image_out = out_ * positions;
    Geometry one = g_;
    one.batch = 1;
    const float* x = input_.raw();
    const float* dy = grad_output.raw();
    float* dx = grad_input != nullptr ? grad_input->raw() : nullptr;
    halves_.assign(2 * out_ * rows, 0.0f);
    bias_halves_.assign(2 * out_, 0.0);
    auto half = [&](std::size_t h) {
      thread_local std::vector<float> cols, grad_cols;
      cols.resize(rows * positions);
      if (dx != nullptr) grad_cols.resize(rows * positions);
      float* dw = halves_.data() + h * out_ * rows;
      for (std::size_t n = batch * h / 2; n < batch * (h + 1) / 2; ++n) {
        const float* dyn = dy + n * image_out;
        im2col(x + n * image_in, one, cols.data(), positions);
        detail::gemm_serial(Transpose::kNo, Transpose::kYes, out_, rows, positions, 1.0f, dyn,
                            positions, cols.data(), positions, 1.0f, dw, rows);
        if (has_bias_) {
          double* db = bias_halves_.data() + h * out_;
          for (std::size_t o = 0; o < out_; ++o) db[o] += row_sum(dyn + o * positions, positions);
        }
        if (dx == nullptr) continue;
        detail::gemm_serial(Transpose::kYes, Transpose::kNo, rows, positions, out_, 1.0f,
                            weight_.raw(), rows, dyn, positions, 0.0f, grad_cols.data(),
                            positions);
        float* dxn = dx + n * image_in;
        zero_run(dxn, image_in);
        col2im(grad_cols.data(), one, dxn);
      }
    };
    if (kernels::detail::pool_threads() > 1) {
      kernels::detail::run_parallel([&](std::size_t t, std::size_t count) {
        for (std::size_t h = t; h < 2; h += count) half(h);
      });
    } else {
      half(0);
      half(1);
    }
    float* dw = weight_grad_.raw();
    const float* first = halves_.data();
    const float* second = halves_.data() + out_ * rows;
    for (std::size_t i = 0; i < out_ * rows; ++i) dw[i] += first[i] + second[i];
    if (has_bias_) {
      for (std::size_t o = 0; o < out_; ++o) {
        bias_grad_[o] += static_cast<float>(bias_halves_[o] + bias_halves_[out_ + o]);
      }
    }
  }

  Geometry geometry(const Shape& input) const {
    const std::string expected =
        "(N, " + std::to_string(in_) + ", H, W) with H and W ≥ " +
        std::to_string(kernel_ > 2 * padding_ ? kernel_ - 2 * padding_ : 0);
    if (input.size() != 4 || input[1] != in_ || input[2] + 2 * padding_ < kernel_ ||
        input[3] + 2 * padding_ < kernel_) {
      detail::throw_shape_error(spec(), "input", input, expected);
    }
    Geometry g{};
    g.batch = input[0];
    g.channels = in_;
    g.height = input[2];
    g.width = input[3];
    g.kernel = kernel_;
    g.stride = stride_;
    g.padding = padding_;
    g.out_height = (g.height + 2 * padding_ - kernel_) / stride_ + 1;
    g.out_width = (g.width + 2 * padding_ - kernel_) / stride_ + 1;
    return g;
  }

  std::size_t in_, out_, kernel_, stride_, padding_;
  bool has_bias_;
  Init init_;
  Tensor weight_, weight_grad_, bias_, bias_grad_;
  Geometry g_{};
  std::vector<float> cols_, product_, grad_cols_;
  // One image at a time (compute_per_image): the kept input and the two halves' weight
  // gradients.
  bool per_image_ = false;
  Tensor input_;
  std::vector<float> halves_;
  std::vector<double> bias_halves_;
  bool have_forward_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(std::size_t in_channels, std::size_t out_channels,
                                   std::size_t kernel, std::size_t stride, std::size_t padding,
                                   bool bias, Init init) {
  return std::make_unique<Conv2d>(in_channels, out_channels, kernel, stride, padding, bias, init);
}

}  // namespace actlab::nn
