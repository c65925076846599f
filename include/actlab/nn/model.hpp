// A Sequential model, built in code or from a short text spec, with training, evaluation
// and a versioned, checksummed file format.
//
// Spec grammar: items separated by " -> " (or ';'), each a layer name with optional
// arguments, e.g. the seed CNN with PReLU convs and a tanh FC layer:
//   conv2d(1,32,3,padding=1) -> prelu -> max_pool2d(2) -> conv2d(32,64,3) -> prelu ->
//   max_pool2d(2) -> conv2d(64,64,3) -> prelu -> flatten -> dense(1024,64) -> tanh ->
//   dense(64,10)
// Any catalogue activation name is a layer, with its parameters as keyword arguments
// ("leaky_relu(negative_slope=0.1)"). Unknown names → Error kUnknownName with suggestions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actlab/nn/layer.hpp"
#include "actlab/nn/loss.hpp"
#include "actlab/nn/optimizer.hpp"

namespace actlab::nn {

class Sequential {
 public:
  Sequential() = default;
  // Parses a spec and initialises every parameter from `seed` (PyTorch's default init).
  static Sequential from_spec(const std::string& spec, std::uint64_t seed);
  // The seed-001 CNN with the given conv and FC activations (names or "name(k=v)").
  static std::string seed_cnn_spec(const std::string& conv_activation,
                                   const std::string& fc_activation);

  Sequential& add(std::unique_ptr<Layer> layer);
  std::string spec() const;
  std::size_t size() const { return layers_.size(); }
  Layer& layer(std::size_t i) { return *layers_[i]; }

  Tensor forward(const Tensor& input, bool training);
  // Backpropagates dLoss/dOutput through every layer (gradients accumulate); returns
  // dLoss/dInput.
  Tensor backward(const Tensor& grad_output);
  // The same parameter gradients without dLoss/dInput, which training never uses: the first
  // layer skips its input gradient (the seed CNN's conv1: a product and a col2im).
  void backward_parameters(const Tensor& grad_output);
  std::vector<Parameter> parameters();
  std::size_t parameter_count();
  void zero_grad();
  Shape output_shape(const Shape& input) const;

  // File format (docs/formats.md): magic "ACTLABM1", version, spec, then each parameter's
  // name, shape and float32 values, then a CRC-32 of everything before it. load() checks all
  // of it: Error kIo for an unreadable file, kCorruptData for a bad magic, version,
  // checksum, truncation or a parameter that does not fit the spec.
  void save(const std::string& path);
  static Sequential load(const std::string& path);

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

enum class LossKind { kCrossEntropy, kMse, kBce, kBceWithLogits, kNll };

// Called by fit() after each training batch with the 1-based epoch, the batches done in it
// and its batch count (in-epoch progress bars).
using BatchCallback = std::function<void(std::size_t epoch, std::size_t done, std::size_t count)>;

struct TrainOptions {
  std::size_t batch_size = 32;
  std::size_t max_epochs = 1000;   // the seed has no limit in practice: early stopping ends it
  std::size_t patience = 5;        // epochs without a strictly better validation score
  bool restore_best = true;
  std::uint64_t shuffle_seed = 20250301;
  LossKind loss = LossKind::kCrossEntropy;
  // Seed bug: softmax on the output before cross-entropy (EXPERIMENTS.md §1).
  bool softmax_before_cross_entropy = false;
  BatchCallback on_batch;  // may be empty
};

struct EpochRecord {
  std::size_t epoch = 0;  // 1-based
  double train_loss = 0;
  double train_accuracy = 0;
  double validation_loss = 0;
  double validation_accuracy = 0;
  double seconds = 0;
};

struct TrainResult {
  std::vector<EpochRecord> history;
  std::size_t best_epoch = 0;
  double best_validation_accuracy = 0;
  bool stopped_early = false;
};

// For classification: inputs (N, ...), labels as class indices in a (N) tensor. For
// regression losses the targets have the output's shape.
struct Batchable {
  const Tensor* inputs = nullptr;
  const Tensor* targets = nullptr;
};

// Called after every epoch (progress lines, live plots, pruning); return false to stop.
using EpochCallback = std::function<bool(const EpochRecord&)>;

TrainResult fit(Sequential& model, Optimizer& optimizer, Batchable train, Batchable validation,
                const TrainOptions& options, const EpochCallback& on_epoch = {});

struct Evaluation {
  double loss = 0;
  double accuracy = 0;  // classification only (argmax of the output)
};
Evaluation evaluate(Sequential& model, Batchable data, const TrainOptions& options);

}  // namespace actlab::nn
