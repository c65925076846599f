#include "actlab/data/batches.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "actlab/error.hpp"

namespace actlab::data {

Tensor gather_rows(const Tensor& src, std::span<const std::size_t> indices) {
  if (src.rank() == 0) {
    throw Error(ErrorCode::kInvalidArgument, "gather_rows: the tensor has no dimension 0");
  }
  Shape shape = src.shape();
  const std::size_t rows = shape[0];
  const std::size_t row_size = rows == 0 ? 0 : src.size() / rows;
  shape[0] = indices.size();
  Tensor out(shape);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= rows) {
      throw Error(ErrorCode::kInvalidArgument, "gather_rows: row " + std::to_string(indices[k]) +
                                                   " of a tensor of shape " +
                                                   shape_to_string(src.shape()));
    }
    std::copy_n(src.raw() + indices[k] * row_size, row_size, out.raw() + k * row_size);
  }
  return out;
}

BatchLoader::BatchLoader(const Tensor& inputs, const Tensor& targets, std::size_t batch_size,
                         bool shuffle, std::uint64_t seed)
    : inputs_(&inputs),
      targets_(&targets),
      count_(0),
      batch_size_(batch_size),
      shuffle_(shuffle),
      rng_(seed) {
  if (inputs.rank() == 0 || targets.rank() == 0 || inputs.dim(0) != targets.dim(0)) {
    throw Error(ErrorCode::kInvalidArgument,
                "BatchLoader: inputs " + shape_to_string(inputs.shape()) + " and targets " +
                    shape_to_string(targets.shape()) + " need the same dimension 0");
  }
  if (batch_size == 0) {
    throw Error(ErrorCode::kInvalidParameter, "BatchLoader: the batch size must be positive");
  }
  count_ = inputs.dim(0);
}

const std::vector<std::size_t>& BatchLoader::next_epoch() {
  order_.resize(count_);
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  if (shuffle_) {
    // Fisher–Yates, from the end: position i swaps with a uniform pick in [0, i].
    for (std::size_t i = count_; i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(rng_.below(i));
      std::swap(order_[i - 1], order_[j]);
    }
  }
  started_ = true;
  return order_;
}

Batch BatchLoader::batch(std::size_t b) const {
  if (!started_) {
    throw Error(ErrorCode::kInvalidArgument,
                "BatchLoader::batch: call next_epoch() before the first batch");
  }
  if (b >= batch_count()) {
    throw Error(ErrorCode::kInvalidArgument, "BatchLoader::batch: batch " + std::to_string(b) +
                                                 " of " + std::to_string(batch_count()));
  }
  const std::size_t begin = b * batch_size_;
  const std::size_t end = std::min(begin + batch_size_, count_);
  Batch out;
  out.indices.assign(order_.begin() + static_cast<std::ptrdiff_t>(begin),
                     order_.begin() + static_cast<std::ptrdiff_t>(end));
  out.inputs = gather_rows(*inputs_, out.indices);
  out.targets = gather_rows(*targets_, out.indices);
  return out;
}

}  // namespace actlab::data
