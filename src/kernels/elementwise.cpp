// STUB: being written (float32 kernels). Throws until then.
#include "actlab/kernels.hpp"
#include "actlab/error.hpp"
namespace actlab::kernels {
namespace { [[noreturn]] void todo() { throw Error(ErrorCode::kInvalidArgument, "kernels not written yet"); } }
void forward(const Activation&, std::span<const float>, std::span<float>) { todo(); }
void backward(const Activation&, std::span<const float>, std::span<const float>, std::span<float>) { todo(); }
void forward(const Activation&, std::span<const std::size_t>, std::span<const float>, std::span<float>) { todo(); }
void backward(const Activation&, std::span<const std::size_t>, std::span<const float>, std::span<const float>, std::span<float>) { todo(); }
void prelu_forward(std::span<const float>, std::span<const std::size_t>, std::span<const float>, std::span<float>) { todo(); }
void prelu_backward(std::span<const float>, std::span<const std::size_t>, std::span<const float>, std::span<const float>, std::span<float>, std::span<float>) { todo(); }
void rrelu_forward_train(const Activation&, std::uint64_t, std::span<const float>, std::span<float>, std::span<float>) { todo(); }
void rrelu_backward_train(std::span<const float>, std::span<const float>, std::span<float>) { todo(); }
}  // namespace actlab::kernels
