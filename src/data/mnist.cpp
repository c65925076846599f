// MNIST-format loading and the seed-001 split. Images are kept as bytes until the split is
// known, so the 60,000 training images are never all converted to float.
#include "actlab/data/mnist.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "actlab/error.hpp"
#include "actlab/random.hpp"

namespace actlab::data {
namespace {

const char* prefix(MnistPart part) { return part == MnistPart::kTrain ? "train" : "t10k"; }

}  // namespace

std::string mnist_file(const std::string& folder, const std::string& base_name) {
  const std::filesystem::path plain = std::filesystem::path(folder) / base_name;
  const std::filesystem::path gzipped = std::filesystem::path(folder) / (base_name + ".gz");
  std::error_code ec;
  if (std::filesystem::is_regular_file(plain, ec)) return plain.string();
  if (std::filesystem::is_regular_file(gzipped, ec)) return gzipped.string();
  throw Error(ErrorCode::kIo, "MNIST-format file not found: neither '" + plain.string() +
                                  "' nor '" + gzipped.string() + "' exists");
}

RawMnist read_mnist(const std::string& folder, MnistPart part) {
  RawMnist raw;
  raw.images_path = mnist_file(folder, std::string(prefix(part)) + "-images-idx3-ubyte");
  raw.labels_path = mnist_file(folder, std::string(prefix(part)) + "-labels-idx1-ubyte");
  raw.images = read_idx(raw.images_path, 3);
  raw.labels = read_idx(raw.labels_path, 1);
  if (raw.images.dims[0] != raw.labels.dims[0]) {
    throw Error(ErrorCode::kCorruptData, "MNIST-format files disagree: '" + raw.images_path +
                                             "' holds " + std::to_string(raw.images.dims[0]) +
                                             " images but '" + raw.labels_path + "' holds " +
                                             std::to_string(raw.labels.dims[0]) + " labels");
  }
  for (std::size_t i = 0; i < raw.labels.values.size(); ++i) {
    if (raw.labels.values[i] >= kMnistClasses) {
      throw Error(ErrorCode::kCorruptData,
                  "MNIST-format labels '" + raw.labels_path + "': label " +
                      std::to_string(raw.labels.values[i]) + " of example " + std::to_string(i) +
                      " is outside 0.." + std::to_string(kMnistClasses - 1));
    }
  }
  return raw;
}

Dataset to_dataset(const RawMnist& raw, std::span<const std::size_t> indices) {
  const std::size_t height = raw.images.dims.at(1);
  const std::size_t width = raw.images.dims.at(2);
  const std::size_t pixels = height * width;
  Dataset out{Tensor({indices.size(), 1, height, width}), Tensor({indices.size()})};
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::size_t i = indices[k];
    if (i >= raw.size()) {
      throw Error(ErrorCode::kInvalidArgument, "to_dataset: index " + std::to_string(i) +
                                                   " is outside the " + std::to_string(raw.size()) +
                                                   " examples of '" + raw.images_path + "'");
    }
    const std::uint8_t* src = raw.images.values.data() + i * pixels;
    float* dst = out.images.raw() + k * pixels;
    // ToTensor() then Normalize(0.5, 0.5): (x/255 − 0.5)/0.5, in float32 as torchvision does.
    for (std::size_t p = 0; p < pixels; ++p) {
      dst[p] = (static_cast<float>(src[p]) / 255.0f - 0.5f) / 0.5f;
    }
    out.labels[k] = static_cast<float>(raw.labels.values[i]);
  }
  return out;
}

Dataset load_mnist(const std::string& folder, MnistPart part) {
  const RawMnist raw = read_mnist(folder, part);
  std::vector<std::size_t> all(raw.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return to_dataset(raw, all);
}

std::vector<std::size_t> sample_indices(std::size_t pool_size, std::size_t count,
                                        std::uint64_t seed) {
  if (count > pool_size) {
    throw Error(ErrorCode::kInvalidParameter, "cannot sample " + std::to_string(count) +
                                                  " distinct examples from " +
                                                  std::to_string(pool_size));
  }
  std::vector<std::size_t> pool(pool_size);
  std::iota(pool.begin(), pool.end(), std::size_t{0});
  Rng rng(seed);
  // Partial Fisher–Yates: position k receives a uniform pick from the not-yet-drawn rest.
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t pick = k + static_cast<std::size_t>(rng.below(pool_size - k));
    std::swap(pool[k], pool[pick]);
  }
  pool.resize(count);
  return pool;
}

StudyData load_study_data(const std::string& folder, std::uint64_t seed, const SplitSizes& sizes) {
  if (sizes.train == 0 || sizes.epoch_validation == 0 || sizes.trial_validation == 0) {
    throw Error(ErrorCode::kInvalidParameter,
                "the train, epoch-validation and trial-validation sizes must be positive");
  }
  StudyData out;
  {
    const RawMnist train = read_mnist(folder, MnistPart::kTrain);
    const std::size_t total = sizes.train + sizes.epoch_validation + sizes.trial_validation;
    if (total > train.size()) {
      throw Error(ErrorCode::kInvalidParameter, "the split needs " + std::to_string(total) +
                                                    " training examples, '" + train.images_path +
                                                    "' holds " + std::to_string(train.size()));
    }
    const std::vector<std::size_t> drawn = sample_indices(train.size(), total, seed);
    const std::span<const std::size_t> all(drawn);
    out.train = to_dataset(train, all.subspan(0, sizes.train));
    out.epoch_validation = to_dataset(train, all.subspan(sizes.train, sizes.epoch_validation));
    out.trial_validation = to_dataset(train, all.subspan(sizes.train + sizes.epoch_validation));
  }
  const RawMnist test = read_mnist(folder, MnistPart::kTest);
  if (sizes.test > test.size()) {
    throw Error(ErrorCode::kInvalidParameter, "the split asks for " + std::to_string(sizes.test) +
                                                  " test examples, '" + test.images_path +
                                                  "' holds " + std::to_string(test.size()));
  }
  std::vector<std::size_t> first(sizes.test);
  std::iota(first.begin(), first.end(), std::size_t{0});
  out.test = to_dataset(test, first);
  return out;
}

}  // namespace actlab::data
