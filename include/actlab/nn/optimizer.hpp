// Optimisers over a list of parameters, each step written out as PyTorch 1.13 does it.
#pragma once

#include <memory>
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab::nn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update from the gradients currently in the parameters.
  virtual void step() = 0;
  void zero_grad();
  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) { lr_ = lr; }

 protected:
  Optimizer(std::vector<Parameter> params, double lr);
  std::vector<Parameter> params_;
  double lr_;
};

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // Adam: L2 added to the gradient; AdamW: decoupled
};

std::unique_ptr<Optimizer> make_sgd(std::vector<Parameter> params, SgdOptions options);
std::unique_ptr<Optimizer> make_adam(std::vector<Parameter> params, AdamOptions options);
// AdamW: PyTorch's defaults are weight_decay 0.01 (set it in options).
std::unique_ptr<Optimizer> make_adamw(std::vector<Parameter> params, AdamOptions options);

}  // namespace actlab::nn
