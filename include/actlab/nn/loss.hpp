// Losses: value and gradient with respect to the prediction, averaged over the batch
// (PyTorch's reduction='mean'). Targets are given as float tensors: class indices for the
// categorical losses (shape (N)), same shape as the prediction otherwise.
#pragma once

#include "actlab/tensor.hpp"

namespace actlab::nn {

struct LossResult {
  double value = 0;   // the mean loss
  Tensor gradient;    // dLoss/dPrediction, the prediction's shape
};

LossResult mse_loss(const Tensor& prediction, const Tensor& target);
// Binary cross-entropy on probabilities in [0, 1] (log clamped at −100 as PyTorch does).
LossResult bce_loss(const Tensor& probability, const Tensor& target);
// Binary cross-entropy on logits, fused and stable: max(z,0) − z·t + log1p(e^(−|z|)).
LossResult bce_with_logits_loss(const Tensor& logits, const Tensor& target);
// Categorical cross-entropy on logits (N, C) with class indices (N): fused stable
// log-softmax; gradient softmax − one_hot.
LossResult cross_entropy_loss(const Tensor& logits, const Tensor& target_classes);
// Negative log-likelihood on log-probabilities (N, C).
LossResult nll_loss(const Tensor& log_probabilities, const Tensor& target_classes);

}  // namespace actlab::nn
