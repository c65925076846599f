// The entry points of the elementwise kernels: argument checks, then the loops of
// elementwise_simd.cpp (one per SIMD target, chosen at run time). The shaped entry points
// also route along-dim activations to along_dim.cpp.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/shape.hpp"
#include "kernels/along_dim.hpp"
#include "kernels/checks.hpp"
#include "kernels/elementwise_simd.hpp"

namespace actlab::kernels {
namespace {

[[noreturn]] void throw_along_dim(const Activation& act, std::string_view function) {
  std::string message = detail::context(function, act.name());
  message.append(": '").append(act.name());
  message.append("' works along a dimension; call the overload that takes the array's shape");
  throw Error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

void forward(const Activation& act, std::span<const float> src, std::span<float> dst) {
  if (act.info().kind == Kind::kAlongDim) throw_along_dim(act, "forward");
  detail::require_size("forward", act.name(), "dst", dst.size(), "src", src.size());
  detail::simd_forward(act, src.data(), dst.data(), src.size());
}

void backward(const Activation& act, std::span<const float> saved, std::span<const float> diff_dst,
              std::span<float> diff_src) {
  if (act.info().kind == Kind::kAlongDim) throw_along_dim(act, "backward");
  const std::string_view saved_name = act.info().backward_from == BackwardFrom::kOutput
                                          ? "saved (the output)"
                                          : "saved (the input)";
  detail::require_size("backward", act.name(), "diff_dst", diff_dst.size(), saved_name,
                       saved.size());
  detail::require_size("backward", act.name(), "diff_src", diff_src.size(), saved_name,
                       saved.size());
  detail::simd_backward(act, saved.data(), diff_dst.data(), diff_src.data(), saved.size());
}

void forward(const Activation& act, std::span<const std::size_t> shape, std::span<const float> src,
             std::span<float> dst) {
  if (act.info().kind == Kind::kAlongDim) return detail::along_dim_forward(act, shape, src, dst);
  const std::string shape_name = std::string("shape ").append(detail::shape_text(shape));
  detail::require_size("forward", act.name(), "src", src.size(), shape_name, element_count(shape));
  forward(act, src, dst);
}

void backward(const Activation& act, std::span<const std::size_t> shape,
              std::span<const float> saved, std::span<const float> diff_dst,
              std::span<float> diff_src) {
  if (act.info().kind == Kind::kAlongDim) {
    return detail::along_dim_backward(act, shape, saved, diff_dst, diff_src);
  }
  const std::string shape_name = std::string("shape ").append(detail::shape_text(shape));
  detail::require_size("backward", act.name(), "saved", saved.size(), shape_name,
                       element_count(shape));
  backward(act, saved, diff_dst, diff_src);
}

}  // namespace actlab::kernels
