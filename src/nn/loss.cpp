// Losses with PyTorch's reduction='mean'. Every sum is accumulated in double and the value is
// returned in double; the gradient is rounded to float32 once, at the end, per element.
// Formulas follow PyTorch 1.13 (aten/src/ATen/native/Loss.cpp, LossNLL.cpp,
// BinaryCrossEntropy in Loss.cpp) except where a stabler form gives the same value.
#include "actlab/nn/loss.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "actlab/error.hpp"

namespace actlab::nn {
namespace {

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", x);
  return buffer;
}

// Same-shape losses: prediction and target must agree exactly (no broadcasting) and hold at
// least one element; targets must not be NaN.
void check_same_shape(const char* loss, const Tensor& prediction, const Tensor& target) {
  if (prediction.shape() != target.shape()) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string(loss) + ": the target's shape " + shape_to_string(target.shape()) +
                    " differs from the prediction's shape " + shape_to_string(prediction.shape()));
  }
  if (prediction.size() == 0) {
    throw Error(ErrorCode::kInvalidArgument, std::string(loss) + ": empty prediction " +
                                                 shape_to_string(prediction.shape()) +
                                                 " (the mean of no elements is undefined)");
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (std::isnan(target[i])) {
      throw Error(ErrorCode::kInvalidArgument,
                  std::string(loss) + ": the target is NaN at element " + std::to_string(i));
    }
  }
}

// Categorical losses: scores (N, C) with C ≥ 1, N ≥ 1, and class indices (N) that are whole
// numbers in [0, C). Returns the indices.
std::vector<std::size_t> check_classes(const char* loss, const Tensor& scores,
                                       const Tensor& target_classes) {
  if (scores.rank() != 2 || scores.dim(0) == 0 || scores.dim(1) == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string(loss) + ": expects scores of shape (N, C) with N, C ≥ 1, got " +
                    shape_to_string(scores.shape()));
  }
  const std::size_t n = scores.dim(0);
  const std::size_t c = scores.dim(1);
  if (target_classes.rank() != 1 || target_classes.dim(0) != n) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string(loss) + ": expects class indices of shape (" + std::to_string(n) +
                    ") for scores of shape " + shape_to_string(scores.shape()) + ", got " +
                    shape_to_string(target_classes.shape()));
  }
  std::vector<std::size_t> classes(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float t = target_classes[i];
    if (std::isnan(t)) {
      throw Error(ErrorCode::kInvalidArgument, std::string(loss) + ": the class index of sample " +
                                                   std::to_string(i) + " is NaN");
    }
    if (t != std::floor(t)) {
      throw Error(ErrorCode::kInvalidArgument, std::string(loss) + ": the class index of sample " +
                                                   std::to_string(i) + " is " + number(t) +
                                                   ", not a whole number");
    }
    if (t < 0 || t >= static_cast<float>(c)) {
      throw Error(ErrorCode::kInvalidArgument, std::string(loss) + ": the class index of sample " +
                                                   std::to_string(i) + " is " + number(t) +
                                                   ", outside [0, " + std::to_string(c - 1) + "]");
    }
    classes[i] = static_cast<std::size_t>(t);
  }
  return classes;
}

}  // namespace

// ---------------------------------------------------------------------------- mse
// loss = mean((p − t)²); dloss/dp = 2(p − t)/n.
LossResult mse_loss(const Tensor& prediction, const Tensor& target) {
  check_same_shape("mse_loss", prediction, target);
  const double n = static_cast<double>(prediction.size());
  LossResult result{0, Tensor(prediction.shape())};
  double sum = 0;
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    const double d = static_cast<double>(prediction[i]) - static_cast<double>(target[i]);
    sum += d * d;
    result.gradient[i] = static_cast<float>(2.0 * d / n);
  }
  result.value = sum / n;
  return result;
}

// ---------------------------------------------------------------------------- bce
// loss = −mean(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)), PyTorch's clamp, which
// keeps p = 0 or 1 finite. The gradient is PyTorch's: (p − t) / max(p(1 − p), 1e-12) / n.
LossResult bce_loss(const Tensor& probability, const Tensor& target) {
  check_same_shape("bce_loss", probability, target);
  constexpr double kLogFloor = -100;
  constexpr double kEpsilon = 1e-12;  // PyTorch's EPSILON in binary_cross_entropy_backward
  const double n = static_cast<double>(probability.size());
  LossResult result{0, Tensor(probability.shape())};
  double sum = 0;
  for (std::size_t i = 0; i < probability.size(); ++i) {
    const double p = probability[i];
    const double t = target[i];
    if (!(p >= 0 && p <= 1)) {  // also rejects NaN, as PyTorch does
      throw Error(ErrorCode::kInvalidArgument,
                  "bce_loss: every probability must lie in [0, 1], element " + std::to_string(i) +
                      " is " + number(p) + " (use bce_with_logits_loss on raw scores)");
    }
    const double log_p = std::max(std::log(p), kLogFloor);
    const double log_1mp = std::max(std::log1p(-p), kLogFloor);
    sum += -(t * log_p + (1 - t) * log_1mp);
    result.gradient[i] = static_cast<float>((p - t) / std::max(p * (1 - p), kEpsilon) / n);
  }
  result.value = sum / n;
  return result;
}

// ---------------------------------------------------------------------------- bce with logits
// loss = mean(max(z, 0) − z·t + log1p(e^(−|z|))): never exponentiates a positive number.
// dloss/dz = (σ(z) − t)/n, with σ computed on the side where e^(−|z|) ≤ 1.
LossResult bce_with_logits_loss(const Tensor& logits, const Tensor& target) {
  check_same_shape("bce_with_logits_loss", logits, target);
  const double n = static_cast<double>(logits.size());
  LossResult result{0, Tensor(logits.shape())};
  double sum = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i];
    const double t = target[i];
    const double e = std::exp(-std::abs(z));
    sum += std::max(z, 0.0) - z * t + std::log1p(e);
    const double sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    result.gradient[i] = static_cast<float>((sigmoid - t) / n);
  }
  result.value = sum / n;
  return result;
}

// ---------------------------------------------------------------------------- cross entropy
// Per sample: log_softmax(z)_k = z_k − m − log Σ_j e^(z_j − m) with m = max_j z_j, so every
// exponent is ≤ 0; loss = −mean(log_softmax(z)_target); dloss/dz = (softmax(z) − one_hot)/N.
LossResult cross_entropy_loss(const Tensor& logits, const Tensor& target_classes) {
  const std::vector<std::size_t> classes =
      check_classes("cross_entropy_loss", logits, target_classes);
  const std::size_t rows = logits.dim(0);
  const std::size_t c = logits.dim(1);
  const double n = static_cast<double>(rows);
  LossResult result{0, Tensor(logits.shape())};
  std::vector<double> exps(c);
  double sum = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* z = logits.raw() + r * c;
    float* g = result.gradient.raw() + r * c;
    const double m = *std::max_element(z, z + c);
    double total = 0;
    for (std::size_t k = 0; k < c; ++k) {
      exps[k] = std::exp(static_cast<double>(z[k]) - m);
      total += exps[k];
    }
    const double log_total = std::log(total);
    sum += -(static_cast<double>(z[classes[r]]) - m - log_total);
    for (std::size_t k = 0; k < c; ++k) {
      const double softmax = exps[k] / total;
      g[k] = static_cast<float>((softmax - (k == classes[r] ? 1.0 : 0.0)) / n);
    }
  }
  result.value = sum / n;
  return result;
}

// ---------------------------------------------------------------------------- nll
// loss = −mean(log_probabilities[i, target_i]); dloss/dx[i, target_i] = −1/N, 0 elsewhere.
LossResult nll_loss(const Tensor& log_probabilities, const Tensor& target_classes) {
  const std::vector<std::size_t> classes =
      check_classes("nll_loss", log_probabilities, target_classes);
  const std::size_t rows = log_probabilities.dim(0);
  const std::size_t c = log_probabilities.dim(1);
  const double n = static_cast<double>(rows);
  LossResult result{0, Tensor(log_probabilities.shape())};
  double sum = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sum += -static_cast<double>(log_probabilities[r * c + classes[r]]);
    result.gradient[r * c + classes[r]] = static_cast<float>(-1.0 / n);
  }
  result.value = sum / n;
  return result;
}

}  // namespace actlab::nn
