// The portable float32 kernels of the elementwise activations: one loop for forward, one
// for backward, instantiated for each op of elementwise_ops.hpp through one switch over
// ActivationId (no default, so -Wswitch names a row added to the table but not here).
// The shaped entry points also route along-dim activations to along_dim.cpp.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/shape.hpp"
#include "kernels/along_dim.hpp"
#include "kernels/checks.hpp"
#include "kernels/elementwise_ops.hpp"

namespace actlab::kernels {
namespace {

using detail::param;

// The table again, at compile time, so each op's kBackwardFrom is checked against its
// row (a kernel reading the input where the table promises the output would break
// in-place forward).
constexpr ActivationInfo kRows[] = {
#define ACTLAB_ACTIVATION(ident, ...) ActivationInfo{.id = ActivationId::ident, __VA_ARGS__},
#include "actlab/activations.def"
#undef ACTLAB_ACTIVATION
};

template <ActivationId kId, class Op, class Body>
void call(const Op& op, Body& body) {
  static_assert(Op::kBackwardFrom == kRows[static_cast<std::size_t>(kId)].backward_from,
                "the op reads a different saved tensor than its row's backward_from");
  body(op);
}

[[noreturn]] void throw_along_dim(const Activation& act, std::string_view function) {
  std::string message = detail::context(function, act.name());
  message.append(": '").append(act.name());
  message.append("' works along a dimension; call the overload that takes the array's shape");
  throw Error(ErrorCode::kInvalidArgument, message);
}

// Calls body(op) with the op of `act`, its parameters rounded to float.
template <class Body>
void with_op(const Activation& act, std::string_view function, Body&& body) {
  using A = ActivationId;
  switch (act.id()) {
    case A::kBinaryStep:
      return call<A::kBinaryStep>(ops::BinaryStep{param(act, 0)}, body);
    case A::kIdentity:
      return call<A::kIdentity>(ops::Identity{}, body);
    case A::kSigmoid:
      return call<A::kSigmoid>(ops::Sigmoid{}, body);
    case A::kHardSigmoid:
      return call<A::kHardSigmoid>(ops::HardSigmoid{}, body);
    case A::kLogSigmoid:
      return call<A::kLogSigmoid>(ops::LogSigmoid{}, body);
    case A::kTanh:
      return call<A::kTanh>(ops::Tanh{}, body);
    case A::kHardTanh:
      return call<A::kHardTanh>(ops::HardTanh{param(act, 0), param(act, 1)}, body);
    case A::kRelu:
      return call<A::kRelu>(ops::Relu{}, body);
    case A::kRelu6:
      return call<A::kRelu6>(ops::Relu6{}, body);
    case A::kLeakyRelu:
      return call<A::kLeakyRelu>(ops::LeakyRelu{param(act, 0)}, body);
    case A::kPrelu:
      return call<A::kPrelu>(ops::LeakyRelu{param(act, 0)}, body);
    case A::kRrelu: {
      // Evaluation mode: the mean slope of the float parameters, exact in double, split
      // into hi + lo.
      const double mean = (static_cast<double>(param(act, 0)) + param(act, 1)) / 2;
      const float hi = static_cast<float>(mean);
      return call<A::kRrelu>(ops::RreluEval{hi, static_cast<float>(mean - hi)}, body);
    }
    case A::kThreshold:
      return call<A::kThreshold>(ops::Threshold{param(act, 0), param(act, 1)}, body);
    case A::kElu:
      return call<A::kElu>(ops::Elu{param(act, 0)}, body);
    case A::kCelu:
      return call<A::kCelu>(ops::Celu{param(act, 0)}, body);
    case A::kSelu:
      return call<A::kSelu>(ops::Selu{}, body);
    case A::kExponential:
      return call<A::kExponential>(ops::Exponential{}, body);
    case A::kGelu:
      return call<A::kGelu>(ops::Gelu{}, body);
    case A::kGeluTanh:
      return call<A::kGeluTanh>(ops::GeluTanh{}, body);
    case A::kSilu:
      return call<A::kSilu>(ops::Silu{param(act, 0)}, body);
    case A::kHardswish:
      return call<A::kHardswish>(ops::Hardswish{}, body);
    case A::kMish:
      return call<A::kMish>(ops::Mish{}, body);
    case A::kSoftplus:
      return call<A::kSoftplus>(ops::Softplus{param(act, 0), param(act, 1)}, body);
    case A::kSquareplus:
      return call<A::kSquareplus>(ops::Squareplus{param(act, 0)}, body);
    case A::kSparsePlus:
      return call<A::kSparsePlus>(ops::SparsePlus{}, body);
    case A::kSoftsign:
      return call<A::kSoftsign>(ops::Softsign{}, body);
    case A::kSoftshrink:
      return call<A::kSoftshrink>(ops::Softshrink{param(act, 0)}, body);
    case A::kHardshrink:
      return call<A::kHardshrink>(ops::Hardshrink{param(act, 0)}, body);
    case A::kTanhshrink:
      return call<A::kTanhshrink>(ops::Tanhshrink{}, body);
    case A::kSoftmax:
    case A::kLogSoftmax:
    case A::kSoftmin:
    case A::kGlu:
    case A::kMaxout:
      throw_along_dim(act, function);
  }
}

// NaN is handled here once: NaN in gives NaN out (the same NaN), so no comparison in an
// op can turn it into 0 (relu(NaN) = NaN). The op is evaluated first and NaN selected
// after, and the cheap ops compute both sides of a kink before selecting: with GCC's
// default -ftrapping-math a float operation or comparison behind a branch cannot be
// speculated, and the loop would not vectorise. (GCC 12 still sinks one-sided arithmetic
// back into the branch for hard_sigmoid, softshrink and sparse_plus; -fno-trapping-math
// would vectorise those too.) dst may alias src: element i is read before it is written.
template <class Op>
void forward_loop(const Op& op_in, std::span<const float> src, std::span<float> dst) {
  const Op op = op_in;  // a local copy: its parameters cannot alias dst, no loads in the loop
  const float* x = src.data();
  float* y = dst.data();
  const std::size_t n = src.size();
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float f = op.forward(v);
    y[i] = std::isnan(v) ? v : f;
  }
}

// diff_src = diff_dst · f'(saved), with f'(NaN) = NaN; diff_src may alias diff_dst.
template <class Op>
void backward_loop(const Op& op_in, std::span<const float> saved, std::span<const float> diff_dst,
                   std::span<float> diff_src) {
  const Op op = op_in;
  const float* s = saved.data();
  const float* dy = diff_dst.data();
  float* dx = diff_src.data();
  const std::size_t n = saved.size();
  for (std::size_t i = 0; i < n; ++i) {
    const float v = s[i];
    const float d = op.derivative(v);
    dx[i] = dy[i] * (std::isnan(v) ? v : d);
  }
}

}  // namespace

void forward(const Activation& act, std::span<const float> src, std::span<float> dst) {
  with_op(act, "forward", [&](const auto& op) {
    detail::require_size("forward", act.name(), "dst", dst.size(), "src", src.size());
    forward_loop(op, src, dst);
  });
}

void backward(const Activation& act, std::span<const float> saved, std::span<const float> diff_dst,
              std::span<float> diff_src) {
  with_op(act, "backward", [&](const auto& op) {
    const std::string_view saved_name = act.info().backward_from == BackwardFrom::kOutput
                                            ? "saved (the output)"
                                            : "saved (the input)";
    detail::require_size("backward", act.name(), "diff_dst", diff_dst.size(), saved_name,
                         saved.size());
    detail::require_size("backward", act.name(), "diff_src", diff_src.size(), saved_name,
                         saved.size());
    backward_loop(op, saved, diff_dst, diff_src);
  });
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
