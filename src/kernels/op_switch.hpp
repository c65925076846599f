// The one switch from an Activation to its op of elementwise_ops.hpp (no default, so
// -Wswitch names a row added to the table but not here). Used by the per-ISA loops in
// elementwise_simd.cpp; every op's kBackwardFrom is checked against its table row.
#pragma once

#include <cstddef>

#include "actlab/activation.hpp"
#include "kernels/checks.hpp"
#include "kernels/elementwise_ops.hpp"

namespace actlab::kernels::detail {

// The table again, at compile time, so each op's kBackwardFrom is checked against its
// row (a kernel reading the input where the table promises the output would break
// in-place forward).
constexpr ActivationInfo kRows[] = {
#define ACTLAB_ACTIVATION(ident, ...) ActivationInfo{.id = ActivationId::ident, __VA_ARGS__},
#include "actlab/activations.def"
#undef ACTLAB_ACTIVATION
};

template <ActivationId kId, class Op, class Body>
bool call(const Op& op, Body& body) {
  static_assert(Op::kBackwardFrom == kRows[static_cast<std::size_t>(kId)].backward_from,
                "the op reads a different saved tensor than its row's backward_from");
  body(op);
  return true;
}

// Calls body(op) with the op of `act`, its parameters rounded to float, and returns true;
// returns false (body not called) for an along-dim activation.
template <class Body>
bool with_op(const Activation& act, Body&& body) {
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
      return false;
  }
  return false;
}

}  // namespace actlab::kernels::detail
