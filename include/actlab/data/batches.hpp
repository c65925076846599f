// Mini-batches over (inputs, targets) tensors, as torch.utils.data.DataLoader with
// drop_last=False: every epoch visits each example once; the last batch may be short. With
// shuffling, each epoch's order is a fresh permutation drawn from one actlab::Rng seeded at
// construction, so the sequence of epochs is fixed by the seed. Only the training loader
// shuffles in the seed (EXPERIMENTS.md §1); its batch size is 32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "actlab/random.hpp"
#include "actlab/tensor.hpp"

namespace actlab::data {

// Rows `indices` of dimension 0 of `src`, in that order, as a new owning tensor.
// Error kInvalidArgument for a rank-0 tensor or an index out of range.
Tensor gather_rows(const Tensor& src, std::span<const std::size_t> indices);

struct Batch {
  Tensor inputs;                     // (B, ...) rows of the inputs
  Tensor targets;                    // (B, ...) the matching rows of the targets
  std::vector<std::size_t> indices;  // which examples, in batch order
};

class BatchLoader {
 public:
  // Keeps pointers to inputs and targets: they must outlive the loader. Error
  // kInvalidArgument unless both have rank ≥ 1 and the same dim 0; kInvalidParameter for a
  // batch size of 0.
  BatchLoader(const Tensor& inputs, const Tensor& targets, std::size_t batch_size = 32,
              bool shuffle = false, std::uint64_t seed = 0);

  std::size_t example_count() const { return count_; }
  std::size_t batch_count() const { return (count_ + batch_size_ - 1) / batch_size_; }
  std::size_t batch_size() const { return batch_size_; }

  // Starts an epoch: draws its order (a new permutation when shuffling, 0..N−1 otherwise)
  // and returns it. Call it before every epoch, including the first.
  const std::vector<std::size_t>& next_epoch();
  // Batch b < batch_count() of the current epoch: examples order[b·B, min((b + 1)·B, N)).
  // Error kInvalidArgument before the first next_epoch() or for b out of range.
  Batch batch(std::size_t b) const;

 private:
  const Tensor* inputs_;
  const Tensor* targets_;
  std::size_t count_;
  std::size_t batch_size_;
  bool shuffle_;
  Rng rng_;
  bool started_ = false;
  std::vector<std::size_t> order_;
};

}  // namespace actlab::data
