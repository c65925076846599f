// STUB: being written (double reference). Throws until then.
#include "actlab/reference.hpp"
#include "actlab/error.hpp"
namespace actlab::reference {
double forward(const Activation&, double) { throw Error(ErrorCode::kInvalidArgument, "reference not written yet"); }
double derivative(const Activation&, double) { throw Error(ErrorCode::kInvalidArgument, "reference not written yet"); }
void forward(const Activation&, std::span<const std::size_t>, std::span<const double>, std::span<double>) { throw Error(ErrorCode::kInvalidArgument, "reference not written yet"); }
void backward(const Activation&, std::span<const std::size_t>, std::span<const double>, std::span<const double>, std::span<double>) { throw Error(ErrorCode::kInvalidArgument, "reference not written yet"); }
}  // namespace actlab::reference
