// The optimisers of actlab/nn/optimizer.hpp against torch.optim (PyTorch 1.13):
// several steps of SGD (momentum, dampening, nesterov, weight decay), Adam (with L2 weight
// decay) and AdamW (decoupled decay) on two small parameters with seeded gradients, including
// zeros, tiny values (where eps matters) and large ones, and a learning rate changed between
// steps. tests/oracle/optim_oracle.py runs torch in float64 and rounds the parameters to
// float32 after each step, as actlab stores them; every parameter after every step must
// agree to one float32 rounding. A failure of the script fails the test; it never skips.
// Also: zero_grad, the learning-rate accessors, and the option and parameter errors.
#include "actlab/nn/optimizer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "support/splitmix.hpp"
#include "support/test_support.hpp"

namespace actlab::nn {
namespace {

using nlohmann::json;

using Random = actlab::test::SplitMix64;

struct Case {
  std::string label;
  std::string optimizer;  // "sgd", "adam", "adamw"
  json torch_options;     // keyword arguments of the torch.optim class
  std::function<std::unique_ptr<Optimizer>(std::vector<Parameter>)> make;
  std::vector<double> lrs;  // the learning rate of each step
};

const std::vector<Shape> kShapes = {{3, 4}, {5}};
constexpr int kSteps = 6;

std::vector<Case> cases() {
  std::vector<Case> out;
  auto sgd = [&](std::string label, SgdOptions o, std::vector<double> lrs) {
    out.push_back({std::move(label),
                   "sgd",
                   {{"lr", o.lr},
                    {"momentum", o.momentum},
                    {"dampening", o.dampening},
                    {"weight_decay", o.weight_decay},
                    {"nesterov", o.nesterov}},
                   [o](std::vector<Parameter> p) { return make_sgd(std::move(p), o); },
                   std::move(lrs)});
  };
  auto adam = [&](std::string label, bool decoupled, AdamOptions o, std::vector<double> lrs) {
    out.push_back({std::move(label),
                   decoupled ? "adamw" : "adam",
                   {{"lr", o.lr},
                    {"betas", {o.beta1, o.beta2}},
                    {"eps", o.eps},
                    {"weight_decay", o.weight_decay}},
                   [o, decoupled](std::vector<Parameter> p) {
                     return decoupled ? make_adamw(std::move(p), o) : make_adam(std::move(p), o);
                   },
                   std::move(lrs)});
  };
  const std::vector<double> constant(kSteps, 0.05);
  const std::vector<double> changing = {0.05, 0.05, 0.02, 0.1, 0.01, 0.03};
  sgd("sgd plain", {.lr = 0.05}, constant);
  sgd("sgd momentum 0.9", {.lr = 0.05, .momentum = 0.9}, constant);
  sgd("sgd momentum, dampening, weight decay",
      {.lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.01}, changing);
  sgd("sgd nesterov, weight decay",
      {.lr = 0.05, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true}, constant);
  adam("adam defaults", false, {.lr = 0.01}, std::vector<double>(kSteps, 0.01));
  adam("adam L2 weight decay, other betas and eps", false,
       {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1}, changing);
  adam("adamw defaults (weight decay 0.01)", true, {.lr = 0.01, .weight_decay = 0.01},
       std::vector<double>(kSteps, 0.01));
  adam("adamw weight decay 0.5, changing lr", true, {.lr = 0.05, .weight_decay = 0.5}, changing);
  return out;
}

// Initial values in [−1, 1]; gradients mostly in [−1, 1], with an exact zero, tiny values
// (below eps's scale) and large ones at fixed places.
std::vector<std::vector<float>> initial_values(Random& r) {
  std::vector<std::vector<float>> values;
  for (const Shape& s : kShapes) {
    std::vector<float>& v = values.emplace_back(element_count(s));
    for (float& x : v) x = static_cast<float>(r.uniform(-1, 1));
  }
  return values;
}

std::vector<std::vector<float>> gradients(Random& r, int step) {
  std::vector<std::vector<float>> grads;
  for (const Shape& s : kShapes) {
    std::vector<float>& g = grads.emplace_back(element_count(s));
    for (float& x : g) x = static_cast<float>(r.uniform(-1, 1));
    g[0] = 0.0f;
    g[1] = static_cast<float>(1e-9 * (step + 1));
    g[2] = step % 2 == 0 ? 100.0f : -50.0f;
  }
  return grads;
}


TEST(OptimizerOracle, EveryStepMatchesTorchOptim) {
  const std::vector<Case> all = cases();
  // The same initial values and gradients for every case, so the cases differ only in the
  // optimiser.
  Random r(20250301);
  const std::vector<std::vector<float>> initial = initial_values(r);
  std::vector<std::vector<std::vector<float>>> grads;
  for (int s = 0; s < kSteps; ++s) grads.push_back(gradients(r, s));

  json request = json::array();
  for (std::size_t i = 0; i < all.size(); ++i) {
    json steps = json::array();
    for (int s = 0; s < kSteps; ++s) steps.push_back({{"lr", all[i].lrs[s]}, {"grads", grads[s]}});
    request.push_back({{"id", i},
                       {"optimizer", all[i].optimizer},
                       {"options", all[i].torch_options},
                       {"shapes", kShapes},
                       {"initial", initial},
                       {"steps", steps}});
  }
  const json answer = test::run_oracle("optim_oracle.py", request);
  ASSERT_EQ(answer.size(), all.size());

  for (std::size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(all[i].label);
    std::vector<Tensor> values;
    std::vector<Tensor> grad_tensors;
    for (std::size_t k = 0; k < kShapes.size(); ++k) {
      values.emplace_back(kShapes[k], initial[k]);
      grad_tensors.emplace_back(kShapes[k]);
    }
    std::vector<Parameter> params;
    for (std::size_t k = 0; k < kShapes.size(); ++k) {
      params.push_back({"p" + std::to_string(k), &values[k], &grad_tensors[k]});
    }
    const std::unique_ptr<Optimizer> opt = all[i].make(params);
    int bad = 0;
    for (int s = 0; s < kSteps; ++s) {
      opt->set_learning_rate(all[i].lrs[s]);
      for (std::size_t k = 0; k < kShapes.size(); ++k) {
        std::copy(grads[s][k].begin(), grads[s][k].end(), grad_tensors[k].raw());
      }
      opt->step();
      for (std::size_t k = 0; k < kShapes.size(); ++k) {
        const std::vector<double> ref = answer[i]["params"][s][k].get<std::vector<double>>();
        for (std::size_t j = 0; j < ref.size(); ++j) {
          // One float32 rounding, plus double-level differences near 0.
          const double tol = 0x1p-23 * std::abs(ref[j]) + 1e-15;
          if (!(std::abs(values[k][j] - ref[j]) <= tol) && bad++ < 5) {
            ADD_FAILURE() << "after step " << s + 1 << ": parameter " << k << "[" << j
                          << "] = " << values[k][j] << ", torch " << ref[j];
          }
        }
      }
    }
  }
}

TEST(Optimizer, ZeroGradZeroesEveryGradient) {
  Tensor w({2, 2}, 1.0f), gw({2, 2}, 3.0f), b({2}, 1.0f), gb({2}, -2.0f);
  const auto opt = make_sgd({{"weight", &w, &gw}, {"bias", &b, &gb}}, {.lr = 0.1});
  opt->zero_grad();
  for (float g : gw.data()) EXPECT_EQ(g, 0.0f);
  for (float g : gb.data()) EXPECT_EQ(g, 0.0f);
  for (float v : w.data()) EXPECT_EQ(v, 1.0f);  // values untouched
}

TEST(Optimizer, LearningRateAccessors) {
  Tensor w({1}, 1.0f), gw({1}, 1.0f);
  const auto opt = make_adamw({{"weight", &w, &gw}}, {.lr = 0.002, .weight_decay = 0.01});
  EXPECT_EQ(opt->learning_rate(), 0.002);
  opt->set_learning_rate(0.0);
  opt->step();  // lr 0: no change at all, not even the decay
  EXPECT_EQ(w[0], 1.0f);
}

void expect_error(const std::function<void()>& call, ErrorCode code, const std::string& fragment) {
  try {
    call();
    ADD_FAILURE() << "no error, expected one containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message '" << e.what() << "' lacks '" << fragment << "'";
  }
}

TEST(Optimizer, RejectsInvalidOptionsAndParameters) {
  Tensor w({2}), gw({2}), wrong({3});
  const std::vector<Parameter> p = {{"weight", &w, &gw}};
  expect_error([&] { make_sgd(p, {.lr = -1}); }, ErrorCode::kInvalidParameter,
               "invalid learning rate");
  expect_error([&] { make_sgd(p, {.momentum = -0.5}); }, ErrorCode::kInvalidParameter,
               "invalid momentum");
  expect_error([&] { make_sgd(p, {.nesterov = true}); }, ErrorCode::kInvalidParameter, "nesterov");
  expect_error([&] { make_sgd(p, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
               ErrorCode::kInvalidParameter, "zero dampening");
  expect_error([&] { make_adam(p, {.beta1 = 1.0}); }, ErrorCode::kInvalidParameter,
               "invalid beta1");
  expect_error([&] { make_adamw(p, {.beta2 = -0.1}); }, ErrorCode::kInvalidParameter,
               "adamw: invalid beta2");
  expect_error([&] { make_adam(p, {.eps = -1e-8}); }, ErrorCode::kInvalidParameter, "invalid eps");
  expect_error([&] { make_adamw(p, {.weight_decay = -0.01}); }, ErrorCode::kInvalidParameter,
               "invalid weight_decay");
  expect_error(
      [&] {
        make_sgd({{"weight", &w, &wrong}}, {});
      },
      ErrorCode::kInvalidArgument, "'weight') has shape (2) but its gradient has shape (3)");
  expect_error(
      [&] {
        make_adam({{"bias", &w, nullptr}}, {});
      },
      ErrorCode::kInvalidArgument, "no value or no gradient");
}

}  // namespace
}  // namespace actlab::nn
