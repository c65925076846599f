#include "actlab/shape.hpp"

#include <string>

#include "actlab/error.hpp"

namespace actlab {
namespace {

std::string shape_text(std::span<const std::size_t> shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return out + ")";
}

}  // namespace

std::size_t element_count(std::span<const std::size_t> shape) {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

DimSplit split_at_dim(std::span<const std::size_t> shape, int dim) {
  const int rank = static_cast<int>(shape.size());
  const int axis = dim < 0 ? dim + rank : dim;
  if (rank == 0 || axis < 0 || axis >= rank) {
    throw Error(ErrorCode::kInvalidArgument, "dim " + std::to_string(dim) +
                                                 " is out of range for an array of shape " +
                                                 shape_text(shape));
  }
  DimSplit split;
  for (int i = 0; i < axis; ++i) split.outer *= shape[i];
  split.size = shape[axis];
  for (int i = axis + 1; i < rank; ++i) split.inner *= shape[i];
  return split;
}

Shape output_shape(const Activation& act, std::span<const std::size_t> shape) {
  Shape out(shape.begin(), shape.end());
  if (act.info().kind == Kind::kElementwise) return out;
  const int dim = static_cast<int>(act.get("dim"));
  const DimSplit split = split_at_dim(shape, dim);
  const std::size_t axis = dim < 0 ? dim + shape.size() : dim;
  if (act.id() == ActivationId::kGlu) {
    if (split.size % 2 != 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  "glu halves dim " + std::to_string(dim) + ", but its size is " +
                      std::to_string(split.size) + " (odd) in shape " + shape_text(shape));
    }
    out[axis] = split.size / 2;
  } else if (act.id() == ActivationId::kMaxout) {
    const auto pieces = static_cast<std::size_t>(act.get("pieces"));
    if (split.size % pieces != 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  "maxout with pieces=" + std::to_string(pieces) + " needs dim " +
                      std::to_string(dim) + " to be a multiple of " + std::to_string(pieces) +
                      ", but it is " + std::to_string(split.size) + " in shape " +
                      shape_text(shape));
    }
    out[axis] = split.size / pieces;
  }
  return out;
}

}  // namespace actlab
