// The optimisers of PyTorch 1.13 (torch/optim/sgd.py, adam.py, adamw.py: the single-tensor
// CPU path), one line of arithmetic per line of PyTorch, in the same order. Parameters stay
// float32; the optimiser state (momentum buffer, moments) is kept in double, so each step is
// PyTorch's float64 update rounded once to float32 when it is written back.
#include "actlab/nn/optimizer.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "actlab/error.hpp"
#include "kernels/thread_pool.hpp"

namespace actlab::nn {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(ErrorCode::kInvalidParameter, message);
}

void check_parameters(const std::vector<Parameter>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Parameter& p = params[i];
    const std::string which = "parameter " + std::to_string(i) + " ('" + p.name + "')";
    if (p.value == nullptr || p.grad == nullptr) {
      throw Error(ErrorCode::kInvalidArgument,
                  "optimizer: " + which + " has no value or no gradient tensor");
    }
    if (p.value->shape() != p.grad->shape()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "optimizer: " + which + " has shape " + shape_to_string(p.value->shape()) +
                      " but its gradient has shape " + shape_to_string(p.grad->shape()));
    }
  }
}

// One double per element of every parameter, zero-initialised.
std::vector<std::vector<double>> zero_state(const std::vector<Parameter>& params) {
  std::vector<std::vector<double>> state;
  state.reserve(params.size());
  for (const Parameter& p : params) state.emplace_back(p.value->size(), 0.0);
  return state;
}

// ---------------------------------------------------------------------------- SGD
class Sgd final : public Optimizer {
 public:
  Sgd(std::vector<Parameter> params, SgdOptions options)
      : Optimizer(std::move(params), options.lr), options_(options), buffers_(zero_state(params_)) {
    require(options.lr >= 0, "sgd: invalid learning rate " + std::to_string(options.lr));
    require(options.momentum >= 0, "sgd: invalid momentum " + std::to_string(options.momentum));
    require(options.weight_decay >= 0,
            "sgd: invalid weight_decay " + std::to_string(options.weight_decay));
    require(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
            "sgd: nesterov momentum requires a momentum > 0 and zero dampening");
  }

  void step() override {
    ++steps_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      float* p = params_[i].value->raw();
      const float* grad = params_[i].grad->raw();
      double* buf = buffers_[i].data();
      for (std::size_t j = 0; j < params_[i].value->size(); ++j) {
        // d_p = grad
        double d_p = grad[j];
        // if weight_decay != 0: d_p = d_p.add(param, alpha=weight_decay)
        if (options_.weight_decay != 0) d_p = d_p + options_.weight_decay * p[j];
        if (options_.momentum != 0) {
          if (steps_ == 1) {
            // buf = torch.clone(d_p)    (the first step: no dampening)
            buf[j] = d_p;
          } else {
            // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
            buf[j] = buf[j] * options_.momentum + (1 - options_.dampening) * d_p;
          }
          // if nesterov: d_p = d_p.add(buf, alpha=momentum)  else: d_p = buf
          d_p = options_.nesterov ? d_p + options_.momentum * buf[j] : buf[j];
        }
        // param.add_(d_p, alpha=-lr)
        p[j] = static_cast<float>(p[j] + (-lr_) * d_p);
      }
    }
  }

 private:
  SgdOptions options_;
  std::vector<std::vector<double>> buffers_;  // momentum_buffer
  long steps_ = 0;
};

// ---------------------------------------------------------------------------- Adam, AdamW
// The two differ only in how weight decay enters: Adam adds weight_decay·param to the
// gradient (L2); AdamW first shrinks the parameter, param ← param·(1 − lr·weight_decay)
// (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019).
class Adam final : public Optimizer {
 public:
  Adam(std::vector<Parameter> params, AdamOptions options, bool decoupled)
      : Optimizer(std::move(params), options.lr),
        options_(options),
        decoupled_(decoupled),
        exp_avg_(zero_state(params_)),
        exp_avg_sq_(zero_state(params_)) {
    const std::string name = decoupled ? "adamw" : "adam";
    require(options.lr >= 0, name + ": invalid learning rate " + std::to_string(options.lr));
    require(options.eps >= 0, name + ": invalid eps " + std::to_string(options.eps));
    require(options.beta1 >= 0 && options.beta1 < 1,
            name + ": invalid beta1 " + std::to_string(options.beta1) + " (needs [0, 1))");
    require(options.beta2 >= 0 && options.beta2 < 1,
            name + ": invalid beta2 " + std::to_string(options.beta2) + " (needs [0, 1))");
    require(options.weight_decay >= 0,
            name + ": invalid weight_decay " + std::to_string(options.weight_decay));
  }

  void step() override {
    const double beta1 = options_.beta1;
    const double beta2 = options_.beta2;
    // step_t += 1
    ++steps_;
    // bias_correction1 = 1 - beta1 ** step;  bias_correction2 = 1 - beta2 ** step
    const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(steps_));
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(steps_));
    // step_size = lr / bias_correction1
    const double step_size = lr_ / bias_correction1;
    // bias_correction2_sqrt = sqrt(bias_correction2)
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    // Each element's update depends on that element only, so the tensors are split across
    // the kernels' pool (thread t takes the same share of every tensor) with the same bits
    // for any thread count. The seed CNN's 122K parameters took 4 % of a training step on
    // one thread.
    auto update = [&](std::size_t t, std::size_t threads) {
      for (std::size_t i = 0; i < params_.size(); ++i) {
        const std::size_t size = params_[i].value->size();
        update_range(i, size * t / threads, size * (t + 1) / threads, step_size,
                     bias_correction2_sqrt);
      }
    };
    std::size_t total = 0;
    for (const Parameter& p : params_) total += p.value->size();
    if (total >= kParallelMin && kernels::detail::pool_threads() > 1) {
      kernels::detail::run_parallel(update);
    } else {
      update(0, 1);
    }
  }

 private:
  // Below this many parameters the step stays on the calling thread (not tuned).
  static constexpr std::size_t kParallelMin = std::size_t{1} << 14;

  // The update of elements [begin, end) of parameter i.
  void update_range(std::size_t i, std::size_t begin, std::size_t end, double step_size,
                    double bias_correction2_sqrt) {
    const double beta1 = options_.beta1;
    const double beta2 = options_.beta2;
    const double weight_decay = options_.weight_decay;
    {
      float* p = params_[i].value->raw();
      const float* g = params_[i].grad->raw();
      double* m = exp_avg_[i].data();
      double* v = exp_avg_sq_[i].data();
      for (std::size_t j = begin; j < end; ++j) {
        double param = p[j];
        double grad = g[j];
        if (decoupled_) {
          // AdamW: param.mul_(1 - lr * weight_decay)
          param = param * (1 - lr_ * weight_decay);
        } else if (weight_decay != 0) {
          // Adam: grad = grad.add(param, alpha=weight_decay)
          grad = grad + weight_decay * param;
        }
        // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        m[j] = m[j] * beta1 + (1 - beta1) * grad;
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        v[j] = v[j] * beta2 + (1 - beta2) * grad * grad;
        // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        const double denom = std::sqrt(v[j]) / bias_correction2_sqrt + options_.eps;
        // param.addcdiv_(exp_avg, denom, value=-step_size)
        param = param + (-step_size) * m[j] / denom;
        p[j] = static_cast<float>(param);
      }
    }
  }

  AdamOptions options_;
  bool decoupled_;
  std::vector<std::vector<double>> exp_avg_;     // first moment
  std::vector<std::vector<double>> exp_avg_sq_;  // second moment
  long steps_ = 0;
};

}  // namespace

Optimizer::Optimizer(std::vector<Parameter> params, double lr)
    : params_(std::move(params)), lr_(lr) {
  check_parameters(params_);
}

void Optimizer::zero_grad() {
  for (Parameter& p : params_) p.grad->fill(0.0f);
}

std::unique_ptr<Optimizer> make_sgd(std::vector<Parameter> params, SgdOptions options) {
  return std::make_unique<Sgd>(std::move(params), options);
}

std::unique_ptr<Optimizer> make_adam(std::vector<Parameter> params, AdamOptions options) {
  return std::make_unique<Adam>(std::move(params), options, false);
}

std::unique_ptr<Optimizer> make_adamw(std::vector<Parameter> params, AdamOptions options) {
  return std::make_unique<Adam>(std::move(params), options, true);
}

}  // namespace actlab::nn
