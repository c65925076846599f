// Argument checks shared by the kernel entry points: every size mismatch becomes an
// Error kInvalidArgument that names the function, the activation, the array and both sizes.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"

namespace actlab::kernels::detail {

// "(2, 3)"
inline std::string shape_text(std::span<const std::size_t> shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(std::to_string(shape[i]));
  }
  return out.append(")");
}

// "kernels::forward(softmax)"
inline std::string context(std::string_view function, std::string_view activation) {
  std::string out = "kernels::";
  out.append(function);
  if (!activation.empty()) out.append("(").append(activation).append(")");
  return out;
}

// Throws "kernels::forward(sigmoid): dst has 5 elements, but src has 6" when got ≠ wanted.
inline void require_size(std::string_view function, std::string_view activation,
                         std::string_view what, std::size_t got, std::string_view other,
                         std::size_t wanted) {
  if (got == wanted) return;
  std::string message = context(function, activation);
  message.append(": ").append(what).append(" has ").append(std::to_string(got));
  message.append(" elements, but ").append(other).append(" has ").append(std::to_string(wanted));
  throw Error(ErrorCode::kInvalidArgument, message);
}

// The parameter at `index`, rounded to float: the value the kernels compute with.
inline float param(const Activation& act, std::size_t index) {
  return static_cast<float>(act[index]);
}

}  // namespace actlab::kernels::detail
