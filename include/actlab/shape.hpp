// Shapes of the arrays that activations run over: row-major, outermost dimension first.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "actlab/activation.hpp"

namespace actlab {

using Shape = std::vector<std::size_t>;

std::size_t element_count(std::span<const std::size_t> shape);

// A dim split into (outer, size, inner): the array is outer × size × inner, and the
// activation runs along `size` with stride `inner`. Negative dims count from the end.
struct DimSplit {
  std::size_t outer = 1;
  std::size_t size = 1;
  std::size_t inner = 1;
};
DimSplit split_at_dim(std::span<const std::size_t> shape, int dim);

// The output shape of `act` on an input of `shape`: the same for all but glu (halves
// dim) and maxout (divides dim by pieces). Throws Error kInvalidArgument when the
// shape does not fit (an odd size for glu, a dim out of range, ...).
Shape output_shape(const Activation& act, std::span<const std::size_t> shape);

}  // namespace actlab
