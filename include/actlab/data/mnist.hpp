// MNIST-format datasets (Fashion-MNIST by default, MNIST with the same file names) and the
// seed-001 split (EXPERIMENTS.md §1): 10,000 images sampled from the 60,000 training images,
// split 3,000 train / 2,000 epoch-validation / 5,000 trial-validation; test = the 10,000
// t10k images.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "actlab/data/idx.hpp"
#include "actlab/tensor.hpp"

namespace actlab::data {

// Debian's dataset-fashion-mnist package.
inline constexpr const char* kDefaultMnistFolder = "/usr/share/datasets/fashion-mnist";
inline constexpr std::uint64_t kStudySeed = 20250301;  // the seed of EXPERIMENTS.md §1
inline constexpr std::size_t kMnistClasses = 10;

struct Dataset {
  // (N, 1, H, W) float32: pixel/255·2 − 1 ∈ [−1, 1], i.e. ToTensor() then Normalize(0.5, 0.5).
  Tensor images;
  // (N) class indices 0..9 as floats: what nn::cross_entropy_loss and nn::fit take.
  Tensor labels;
  std::size_t size() const { return labels.size(); }
};

enum class MnistPart { kTrain, kTest };  // train-*-idx?-ubyte, t10k-*-idx?-ubyte

// "<folder>/<base_name>" if it exists, else "<folder>/<base_name>.gz"; Error kIo naming
// both when neither exists. base_name is e.g. "train-images-idx3-ubyte".
std::string mnist_file(const std::string& folder, const std::string& base_name);

// The raw bytes of one part: images (N, H, W), labels (N). Checks that the two files agree
// on N and that every label is in 0..9 (Error kCorruptData naming both files otherwise);
// read errors as read_idx.
struct RawMnist {
  IdxArray images;
  IdxArray labels;
  std::string images_path;
  std::string labels_path;
  std::size_t size() const { return labels.dims.empty() ? 0 : labels.dims[0]; }
};
RawMnist read_mnist(const std::string& folder, MnistPart part);

// The examples at `indices` (in that order), normalised. Error kInvalidArgument for an
// index ≥ raw.size().
Dataset to_dataset(const RawMnist& raw, std::span<const std::size_t> indices);
// A whole part (60,000 or 10,000 examples).
Dataset load_mnist(const std::string& folder, MnistPart part);

// `count` distinct indices drawn uniformly from [0, pool_size) with actlab::Rng(seed), in
// the order drawn (a partial Fisher–Yates shuffle). Error kInvalidParameter if count > pool_size.
std::vector<std::size_t> sample_indices(std::size_t pool_size, std::size_t count,
                                        std::uint64_t seed);

struct SplitSizes {
  std::size_t train = 3000;
  std::size_t epoch_validation = 2000;
  std::size_t trial_validation = 5000;
  std::size_t test = 10000;  // the first `test` t10k images, in file order (not sampled)
};

struct StudyData {
  Dataset train;             // shuffled by the training loader
  Dataset epoch_validation;  // early stopping
  Dataset trial_validation;  // the trial's score
  Dataset test;              // the t10k images
};

// The seed-001 split: sample_indices(60000, train + epoch_validation + trial_validation,
// seed) over the training part, then the first `train` drawn indices are the train set, the
// next `epoch_validation` the epoch-validation set, the next `trial_validation` the
// trial-validation set. The same seed gives the same split. Error kInvalidParameter when the
// sizes exceed the files (or train or a validation size is 0).
StudyData load_study_data(const std::string& folder = kDefaultMnistFolder,
                          std::uint64_t seed = kStudySeed, const SplitSizes& sizes = {});

}  // namespace actlab::data
