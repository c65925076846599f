// The losses of actlab/nn/loss.hpp:
//  - against PyTorch 1.13 float64 (tests/oracle/loss_oracle.py run once with Debian's
//    /usr/bin/python3): value to 1e-12 relative, gradient to one float32 rounding, on seeded
//    random inputs and on extremes (logits ±100, probabilities 0 and 1). A failure of the
//    script fails the test; it never skips;
//  - against central finite differences of the value;
//  - the error cases (shape mismatch, class index out of range or not whole, NaN target,
//    probability outside [0, 1], empty input) for code and message;
//  - fixed values: log(C) for uniform logits, and the seed bug's floor log(e + 9) − 1 of
//    cross-entropy applied to a softmax output (EXPERIMENTS.md §1).
#include "actlab/nn/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "support/splitmix.hpp"
#include "support/test_support.hpp"

namespace actlab::nn {
namespace {

using nlohmann::json;
using LossFn = LossResult (*)(const Tensor&, const Tensor&);

using Random = actlab::test::SplitMix64;

struct Case {
  std::string loss;  // the oracle's name
  LossFn fn;
  Tensor prediction;
  Tensor target;
  std::string label;  // what the case checks, for failure messages
};

Tensor random_tensor(Random& r, Shape shape, double low, double high) {
  Tensor t(std::move(shape));
  for (float& x : t.data()) x = r.uniform_float(low, high);
  return t;
}

Tensor random_classes(Random& r, std::size_t n, std::size_t c) {
  Tensor t({n});
  for (float& x : t.data()) x = static_cast<float>(r.below(c));
  return t;
}

// log_softmax rows of a (N, C) tensor, in double, rounded to float: inputs for nll.
Tensor log_softmax_rows(const Tensor& z) {
  Tensor out(z.shape());
  const std::size_t c = z.dim(1);
  for (std::size_t r = 0; r < z.dim(0); ++r) {
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < c; ++k) m = std::max(m, static_cast<double>(z[r * c + k]));
    double s = 0;
    for (std::size_t k = 0; k < c; ++k) s += std::exp(z[r * c + k] - m);
    for (std::size_t k = 0; k < c; ++k) {
      out[r * c + k] = static_cast<float>(z[r * c + k] - m - std::log(s));
    }
  }
  return out;
}

std::vector<Case> oracle_cases() {
  Random r(20250301);
  std::vector<Case> cases;
  for (int rep = 0; rep < 3; ++rep) {
    const double scale = rep == 0 ? 1 : (rep == 1 ? 10 : 100);
    cases.push_back({"mse", mse_loss, random_tensor(r, {5, 3}, -scale, scale),
                     random_tensor(r, {5, 3}, -scale, scale), "random ±" + std::to_string(scale)});
    cases.push_back({"bce_with_logits", bce_with_logits_loss,
                     random_tensor(r, {4, 6}, -scale, scale), random_tensor(r, {4, 6}, 0, 1),
                     "soft targets, logits ±" + std::to_string(scale)});
    cases.push_back({"cross_entropy", cross_entropy_loss, random_tensor(r, {7, 10}, -scale, scale),
                     random_classes(r, 7, 10), "logits ±" + std::to_string(scale)});
    const Tensor z = random_tensor(r, {6, 5}, -scale, scale);
    cases.push_back({"nll", nll_loss, log_softmax_rows(z), random_classes(r, 6, 5),
                     "log-softmax of logits ±" + std::to_string(scale)});
  }
  cases.push_back({"bce", bce_loss, random_tensor(r, {3, 8}, 0.001, 0.999),
                   random_tensor(r, {3, 8}, 0, 1), "random probabilities, soft targets"});
  // Probabilities at and near the ends: log clamped at −100, gradient's 1e-12 floor.
  cases.push_back({"bce", bce_loss,
                   Tensor({8}, {0.0f, 1.0f, 0.0f, 1.0f, 1e-30f, 1e-7f, 0.9999999f, 0.5f}),
                   Tensor({8}, {1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 1.0f, 0.25f}),
                   "probabilities 0, 1, tiny, near 1"});
  // Extreme logits: every exponent must stay ≤ 0.
  cases.push_back({"bce_with_logits", bce_with_logits_loss,
                   Tensor({8}, {100.0f, -100.0f, 100.0f, -100.0f, 0.0f, 30.0f, -30.0f, 88.0f}),
                   Tensor({8}, {1.0f, 0.0f, 0.0f, 1.0f, 0.5f, 0.3f, 0.7f, 0.0f}), "logits ±100"});
  cases.push_back({"cross_entropy", cross_entropy_loss,
                   Tensor({4, 3}, {100.0f, -100.0f, 0.0f,      // target the largest
                                   100.0f, -100.0f, 0.0f,      // target the smallest
                                   -100.0f, -100.0f, -100.0f,  // all equal and very negative
                                   100.0f, 100.0f, -100.0f}),
                   Tensor({4}, {0.0f, 1.0f, 2.0f, 2.0f}), "logits ±100"});
  cases.push_back({"cross_entropy", cross_entropy_loss, random_tensor(r, {1, 1}, -3, 3),
                   Tensor({1}, {0.0f}), "one class"});
  return cases;
}

std::vector<double> to_doubles(std::span<const float> v) { return {v.begin(), v.end()}; }


TEST(LossOracle, ValuesAndGradientsMatchTorchFloat64) {
  const std::vector<Case> cases = oracle_cases();
  json request = json::array();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    request.push_back({{"id", i},
                       {"loss", cases[i].loss},
                       {"shape", cases[i].prediction.shape()},
                       {"prediction", to_doubles(cases[i].prediction.data())},
                       {"target", to_doubles(cases[i].target.data())}});
  }
  const json answer = test::run_oracle("loss_oracle.py", request);
  ASSERT_EQ(answer.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const LossResult ours = c.fn(c.prediction, c.target);
    const double ref = answer[i]["value"].get<double>();
    const std::vector<double> ref_grad = answer[i]["gradient"].get<std::vector<double>>();
    SCOPED_TRACE(c.loss + " (" + c.label + ")");
    EXPECT_NEAR(ours.value, ref, 1e-12 * std::abs(ref) + 1e-300) << "value";
    ASSERT_EQ(ours.gradient.size(), ref_grad.size());
    int bad = 0;
    for (std::size_t k = 0; k < ref_grad.size(); ++k) {
      // One float32 rounding of the double result, plus the absolute error of softmax − 1
      // when the softmax is near 1 (double cancellation, in torch as in actlab).
      const double tol = 0x1p-24 * std::abs(ref_grad[k]) + 4e-16;
      if (!(std::abs(ours.gradient[k] - ref_grad[k]) <= tol) && bad++ < 5) {
        ADD_FAILURE() << "gradient[" << k << "] = " << ours.gradient[k] << ", torch " << ref_grad[k]
                      << " (prediction " << c.prediction[k] << ")";
      }
    }
  }
}

// ---------------------------------------------------------------------------- finite differences

void check_finite_differences(const std::string& name, LossFn fn, Tensor prediction,
                              const Tensor& target) {
  SCOPED_TRACE(name);
  const LossResult analytic = fn(prediction, target);
  int bad = 0;
  for (std::size_t k = 0; k < prediction.size(); ++k) {
    const float x = prediction[k];
    const float h = 1e-3f * std::max(1.0f, std::abs(x));
    prediction[k] = x + h;
    const float up = prediction[k];
    const double f_up = fn(prediction, target).value;
    prediction[k] = x - h;
    const float down = prediction[k];
    const double f_down = fn(prediction, target).value;
    prediction[k] = x;
    const double numeric = (f_up - f_down) / (static_cast<double>(up) - down);
    const double tol = 1e-4 * std::max(1.0, std::abs(numeric));
    if (!(std::abs(analytic.gradient[k] - numeric) <= tol) && bad++ < 5) {
      ADD_FAILURE() << "gradient[" << k << "] = " << analytic.gradient[k] << ", central difference "
                    << numeric;
    }
  }
}

TEST(LossGradient, MatchesCentralDifferences) {
  Random r(7);
  check_finite_differences("mse", mse_loss, random_tensor(r, {4, 3}, -2, 2),
                           random_tensor(r, {4, 3}, -2, 2));
  check_finite_differences("bce", bce_loss, random_tensor(r, {4, 3}, 0.2, 0.8),
                           random_tensor(r, {4, 3}, 0, 1));
  check_finite_differences("bce_with_logits", bce_with_logits_loss, random_tensor(r, {4, 3}, -4, 4),
                           random_tensor(r, {4, 3}, 0, 1));
  check_finite_differences("cross_entropy", cross_entropy_loss, random_tensor(r, {5, 4}, -3, 3),
                           random_classes(r, 5, 4));
  check_finite_differences("nll", nll_loss, random_tensor(r, {5, 4}, -3, 0),
                           random_classes(r, 5, 4));
}

// ---------------------------------------------------------------------------- fixed values

TEST(LossValue, UniformLogitsGiveLogC) {
  const LossResult r = cross_entropy_loss(Tensor({2, 10}, 3.0f), Tensor({2}, {0.0f, 9.0f}));
  EXPECT_NEAR(r.value, std::log(10.0), 1e-15);
  EXPECT_FLOAT_EQ(r.gradient[0], (0.1f - 1.0f) / 2);
  EXPECT_FLOAT_EQ(r.gradient[1], 0.1f / 2);
}

TEST(LossValue, SeedBugFloorOfCrossEntropyOnSoftmaxOutput) {
  // Softmax outputs a perfect one-hot at best; cross-entropy on it is log(e + 9) − 1.
  Tensor one_hot({1, 10}, 0.0f);
  one_hot[3] = 1.0f;
  const LossResult r = cross_entropy_loss(one_hot, Tensor({1}, {3.0f}));
  EXPECT_NEAR(r.value, std::log(std::numbers::e + 9) - 1, 1e-15);
  EXPECT_NEAR(r.value, 1.461150, 1e-6);
}

TEST(LossValue, ExtremeLogitsStayFinite) {
  const LossResult ce = cross_entropy_loss(Tensor({1, 2}, {-100.0f, 100.0f}), Tensor({1}, {0.0f}));
  EXPECT_NEAR(ce.value, 200.0, 1e-12);
  EXPECT_FLOAT_EQ(ce.gradient[0], -1.0f);
  EXPECT_FLOAT_EQ(ce.gradient[1], 1.0f);
  const LossResult bce =
      bce_with_logits_loss(Tensor({2}, {-100.0f, 100.0f}), Tensor({2}, {1.0f, 0.0f}));
  EXPECT_NEAR(bce.value, 100.0, 1e-12);
  const LossResult clamped = bce_loss(Tensor({1}, {0.0f}), Tensor({1}, {1.0f}));
  EXPECT_EQ(clamped.value, 100.0);  // log 0 clamped at −100
  EXPECT_TRUE(std::isfinite(clamped.gradient[0]));
}

TEST(LossValue, MseIsMeanOverAllElements) {
  const LossResult r = mse_loss(Tensor({2, 2}, {1, 2, 3, 4}), Tensor({2, 2}, {0, 2, 3, 6}));
  EXPECT_DOUBLE_EQ(r.value, (1.0 + 0 + 0 + 4) / 4);
  EXPECT_FLOAT_EQ(r.gradient[0], 2.0f * 1 / 4);
  EXPECT_FLOAT_EQ(r.gradient[3], 2.0f * -2 / 4);
}

// ---------------------------------------------------------------------------- errors

void expect_error(const std::function<void()>& call, const std::string& fragment,
                  const std::string& what) {
  try {
    call();
    ADD_FAILURE() << what << ": no error, expected one containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << what << ": message '" << e.what() << "' lacks '" << fragment << "'";
  }
}

TEST(LossErrors, ReportWhatIsWrong) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor logits({2, 3}, 0.5f);
  expect_error(
      [&] {
        mse_loss(Tensor({2, 3}), Tensor({3, 2}));
      },
      "(3, 2) differs", "mse shape mismatch");
  expect_error(
      [&] {
        bce_with_logits_loss(Tensor({4}), Tensor({2, 2}));
      },
      "differs", "bce_with_logits shape mismatch");
  expect_error(
      [&] {
        bce_loss(Tensor({2}, {0.5f, 1.5f}), Tensor({2}, 1.0f));
      },
      "must lie in [0, 1], element 1 is 1.5", "bce probability 1.5");
  expect_error([&] { bce_loss(Tensor({1}, {nan}), Tensor({1}, 1.0f)); }, "element 0 is nan",
               "bce probability NaN");
  expect_error(
      [&] {
        mse_loss(Tensor({2}), Tensor({2}, {0.0f, nan}));
      },
      "target is NaN at element 1", "mse NaN target");
  expect_error([&] { mse_loss(Tensor({0}), Tensor({0})); }, "empty", "mse empty");
  expect_error(
      [&] {
        cross_entropy_loss(logits, Tensor({2}, {0.0f, 3.0f}));
      },
      "sample 1 is 3, outside [0, 2]", "class 3 of 3");
  expect_error(
      [&] {
        cross_entropy_loss(logits, Tensor({2}, {-1.0f, 0.0f}));
      },
      "sample 0 is -1, outside", "class −1");
  expect_error(
      [&] {
        cross_entropy_loss(logits, Tensor({2}, {0.0f, 1.5f}));
      },
      "1.5, not a whole number", "class 1.5");
  expect_error(
      [&] {
        cross_entropy_loss(logits, Tensor({2}, {nan, 0.0f}));
      },
      "sample 0 is NaN", "class NaN");
  expect_error([&] { cross_entropy_loss(logits, Tensor({3}, 0.0f)); }, "shape (2)",
               "class count mismatch");
  expect_error([&] { cross_entropy_loss(Tensor({6}), Tensor({6}, 0.0f)); }, "(N, C)",
               "rank-1 logits");
  expect_error(
      [&] {
        nll_loss(logits, Tensor({2}, {2.0f, 7.0f}));
      },
      "sample 1 is 7", "nll class 7");
}

}  // namespace
}  // namespace actlab::nn
