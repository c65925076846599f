// Layer::zero_grad and the helpers shared by every layer (layer_support.hpp).
#include "actlab/nn/layer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn {

void Layer::zero_grad() {
  for (Parameter& p : parameters()) p.grad->fill(0.0f);
}

Tensor Layer::forward_consuming(Tensor&& input, bool training) { return forward(input, training); }

Tensor Layer::forward_fused(const Tensor& input, const Activation& act, bool training) {
  Tensor output = forward(input, training);  // owning, ours to overwrite
  kernels::forward(act, output.data(), output.data());
  return output;
}

Tensor Layer::adopt_fused_output(Tensor&& /*output*/, bool /*training*/) {
  throw Error(ErrorCode::kInvalidArgument,
              spec() + ": adopt_fused_output called on a layer that fuses no activation");
}

namespace detail {

void initialise(Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng, Tensor& weight,
                Tensor* bias) {
  const double in = static_cast<double>(fan_in == 0 ? 1 : fan_in);
  const double out = static_cast<double>(fan_out == 0 ? 1 : fan_out);
  switch (init) {
    case Init::kPyTorchDefault: {
      // kaiming_uniform_(a = √5): gain √(2/(1 + 5)), bound gain·√(3/fan_in) = 1/√fan_in.
      const double bound = 1.0 / std::sqrt(in);
      for (float& w : weight.data()) w = static_cast<float>(rng.uniform(-bound, bound));
      if (bias != nullptr) {
        for (float& b : bias->data()) b = static_cast<float>(rng.uniform(-bound, bound));
      }
      return;
    }
    case Init::kXavierUniform: {
      const double bound = std::sqrt(6.0 / (in + out));
      for (float& w : weight.data()) w = static_cast<float>(rng.uniform(-bound, bound));
      break;
    }
    case Init::kHeNormal: {
      const double stddev = std::sqrt(2.0 / in);
      for (float& w : weight.data()) w = static_cast<float>(stddev * rng.normal());
      break;
    }
  }
  if (bias != nullptr) bias->fill(0.0f);
}

std::string format_number(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buffer, end);
}

void throw_shape_error(const std::string& spec, const std::string& what,
                       std::span<const std::size_t> got, const std::string& expected) {
  throw Error(ErrorCode::kInvalidArgument,
              spec + ": " + what + " has shape " + shape_to_string(got) + ", expected " + expected);
}

void keep_copy(const Tensor& src, Tensor& kept) {
  if (kept.is_view() || kept.shape() != src.shape() || kept.raw() == nullptr) {
    kept = Tensor(src.shape());
  }
  std::copy(src.raw(), src.raw() + src.size(), kept.raw());
}

void check_backward(const std::string& spec, bool have_forward, const Tensor& grad_output,
                    std::span<const std::size_t> output_shape) {
  if (!have_forward) {
    throw Error(ErrorCode::kInvalidArgument, spec + ": backward called before forward");
  }
  const Shape& got = grad_output.shape();
  if (!std::equal(got.begin(), got.end(), output_shape.begin(), output_shape.end())) {
    throw_shape_error(spec, "grad_output", got,
                      shape_to_string(output_shape) + " (the forward output's shape)");
  }
}

}  // namespace detail
}  // namespace actlab::nn
