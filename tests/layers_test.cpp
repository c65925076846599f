// The layers of actlab::nn: every layer passes the generic gradient check
// (support/gradient_check.hpp), plus the rules the check cannot see (max pooling's first
// maximum, dropout's masks, initialisation statistics, spec strings, shape errors), the seed
// CNN's parameter count, and a cross-check of Conv2d and the pools against PyTorch float64.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/nn/layer.hpp"
#include "actlab/random.hpp"
#include "actlab/tensor.hpp"
#include "support/gradient_check.hpp"
#include "support/test_support.hpp"

namespace actlab::nn {
namespace {

using test::check_layer_gradients;
using test::GradCheckOptions;

Tensor random_tensor(Shape shape, std::uint64_t seed, double low = -1, double high = 1) {
  Tensor t(std::move(shape));
  Rng rng(seed);
  for (float& v : t.data()) v = static_cast<float>(rng.uniform(low, high));
  return t;
}

// All values distinct and at least `spacing` apart (a shuffled grid centred on 0), so that
// maxima are unique by far more than the gradient check's step.
Tensor distinct_tensor(Shape shape, std::uint64_t seed, double spacing = 0.1) {
  Tensor t(std::move(shape));
  std::vector<std::size_t> order(t.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  const double centre = static_cast<double>(t.size()) / 2;
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<float>((static_cast<double>(order[i]) - centre) * spacing);
  }
  return t;
}

// Redraws every value closer than `margin` to a kink.
void keep_away(Tensor& t, const std::vector<double>& kinks, double margin, std::uint64_t seed,
               double low, double high) {
  Rng rng(seed);
  for (float& v : t.data()) {
    auto near = [&](float x) {
      return std::any_of(kinks.begin(), kinks.end(),
                         [&](double k) { return std::abs(static_cast<double>(x) - k) < margin; });
    };
    while (near(v)) v = static_cast<float>(rng.uniform(low, high));
  }
}

std::unique_ptr<Layer> initialised(std::unique_ptr<Layer> layer, std::uint64_t seed = 7) {
  Rng rng(seed);
  layer->reset_parameters(rng);
  return layer;
}

// ------------------------------------------------------------------------------ dense

TEST(Dense, GradientsWithAndWithoutBias) {
  for (bool bias : {true, false}) {
    auto layer = initialised(make_dense(5, 4, bias));
    EXPECT_EQ(layer->parameters().size(), bias ? 2u : 1u);
    EXPECT_TRUE(check_layer_gradients(*layer, random_tensor({3, 5}, 1)));
  }
}

TEST(Dense, ComputesXWTransposePlusB) {
  auto layer = make_dense(2, 3);
  std::vector<Parameter> p = layer->parameters();
  *p[0].value = Tensor({3, 2}, {1, 2, 3, 4, 5, 6});
  *p[1].value = Tensor({3}, {0.5f, -1, 2});
  const Tensor y = layer->forward(Tensor({1, 2}, {1, -1}), false);
  EXPECT_EQ(y.shape(), (Shape{1, 3}));
  EXPECT_EQ(y[0], -0.5f);  // 1·1 + 2·(−1) + 0.5
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], 1.0f);
}

TEST(Dense, ShapeErrorNamesLayerAndShapes) {
  auto layer = make_dense(4, 3);
  try {
    layer->forward(Tensor({2, 5}), false);
    FAIL() << "no error for a (2, 5) input to dense(4, 3)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    const std::string m = e.what();
    EXPECT_NE(m.find("dense(4, 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 5)"), std::string::npos) << m;
    EXPECT_NE(m.find("(N, 4)"), std::string::npos) << m;
  }
  layer->forward(Tensor({2, 4}), false);
  EXPECT_THROW(layer->backward(Tensor({2, 4})), Error);  // grad_output must be (2, 3)
}

TEST(Dense, KeepsItsOwnCopyOfAViewInput) {
  // The caller may reuse a view's memory between forward and backward.
  auto layer = initialised(make_dense(3, 2));
  std::vector<float> memory = {1, 2, 3, 4, 5, 6};
  Tensor view = Tensor::view({2, 3}, memory);
  layer->forward(view, true);
  const Tensor grad({2, 2}, {1, 0, 0, 1});
  layer->backward(grad);
  const Tensor first = *layer->parameters()[0].grad;
  std::fill(memory.begin(), memory.end(), 100.0f);
  layer->zero_grad();
  layer->backward(grad);
  const Tensor& second = *layer->parameters()[0].grad;
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(second[i], first[i]) << i;
}

// Large enough for every blocking path of the matrix products (src/nn/gemm.cpp: depth > 256,
// more than 1,024 columns, sizes that are no multiple of a register tile, both threads):
// forward, the weight gradient and the input gradient against sums in double. The bound is
// relative to Σ|terms| (float sums of ≤ 1,100 terms stay far inside 1e-5 of it).
TEST(Dense, LargeProductsMatchADoubleReference) {
  const std::size_t batch = 37, in = 600, out = 1100;
  auto layer = initialised(make_dense(in, out), 3);
  const Tensor x = random_tensor({batch, in}, 4);
  const Tensor dy = random_tensor({batch, out}, 5);
  const Tensor y = layer->forward(x, true);
  layer->zero_grad();
  const Tensor dx = layer->backward(dy);
  const Tensor& w = *layer->parameters()[0].value;
  const Tensor& b = *layer->parameters()[1].value;
  const Tensor& dw = *layer->parameters()[0].grad;
  auto expect_close = [](double got, double sum, double magnitude, const std::string& what) {
    ASSERT_LE(std::abs(got - sum), 1e-5 * magnitude + 1e-30)
        << what << ": " << got << " vs double " << sum;
  };
  for (std::size_t n = 0; n < batch; ++n) {
    for (std::size_t o = 0; o < out; ++o) {
      double sum = b[o], magnitude = std::abs(b[o]);
      for (std::size_t i = 0; i < in; ++i) {
        sum += static_cast<double>(x[n * in + i]) * w[o * in + i];
        magnitude += std::abs(static_cast<double>(x[n * in + i]) * w[o * in + i]);
      }
      expect_close(y[n * out + o], sum, magnitude,
                   "y[" + std::to_string(n) + ", " + std::to_string(o) + "]");
    }
  }
  for (std::size_t o = 0; o < out; ++o) {
    for (std::size_t i = 0; i < in; ++i) {
      double sum = 0, magnitude = 0;
      for (std::size_t n = 0; n < batch; ++n) {
        sum += static_cast<double>(dy[n * out + o]) * x[n * in + i];
        magnitude += std::abs(static_cast<double>(dy[n * out + o]) * x[n * in + i]);
      }
      expect_close(dw[o * in + i], sum, magnitude,
                   "dW[" + std::to_string(o) + ", " + std::to_string(i) + "]");
    }
  }
  for (std::size_t n = 0; n < batch; ++n) {
    for (std::size_t i = 0; i < in; ++i) {
      double sum = 0, magnitude = 0;
      for (std::size_t o = 0; o < out; ++o) {
        sum += static_cast<double>(dy[n * out + o]) * w[o * in + i];
        magnitude += std::abs(static_cast<double>(dy[n * out + o]) * w[o * in + i]);
      }
      expect_close(dx[n * in + i], sum, magnitude,
                   "dx[" + std::to_string(n) + ", " + std::to_string(i) + "]");
    }
  }
}

// ------------------------------------------------------------------------------ conv2d

struct ConvCase {
  std::size_t in, out, kernel, stride, padding, batch, height, width;
  bool bias = true;
};

const std::vector<ConvCase> kConvCases = {
    {2, 3, 3, 1, 0, 2, 5, 6}, {2, 3, 3, 1, 1, 2, 5, 4},        {1, 2, 3, 1, 2, 1, 4, 5},
    {2, 2, 3, 2, 0, 2, 7, 6}, {3, 2, 3, 2, 1, 1, 6, 5},        {2, 3, 2, 2, 2, 2, 5, 3},
    {2, 2, 1, 1, 0, 1, 3, 4}, {2, 3, 3, 1, 1, 1, 4, 3, false},
    // ≥ 64 outputs per plane: Conv2d's one-image-at-a-time path
    {2, 3, 3, 1, 1, 3, 9, 8}, {2, 2, 3, 2, 1, 2, 17, 15, false},
};

TEST(Conv2d, GradientsForStridesPaddingsAndNonSquareInputs) {
  std::uint64_t seed = 10;
  for (const ConvCase& c : kConvCases) {
    auto layer =
        initialised(make_conv2d(c.in, c.out, c.kernel, c.stride, c.padding, c.bias), ++seed);
    const Tensor x = random_tensor({c.batch, c.in, c.height, c.width}, ++seed);
    EXPECT_TRUE(check_layer_gradients(*layer, x)) << layer->spec();
  }
}

TEST(Conv2d, OutputShapeAndShapeErrors) {
  auto layer = make_conv2d(3, 8, 3, 2, 1);
  EXPECT_EQ(layer->output_shape({4, 3, 7, 10}), (Shape{4, 8, 4, 5}));
  try {
    layer->forward(Tensor({1, 2, 5, 5}), false);
    FAIL() << "no error for 2 input channels";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    const std::string m = e.what();
    EXPECT_NE(m.find("conv2d(3, 8, 3, stride=2, padding=1)"), std::string::npos) << m;
    EXPECT_NE(m.find("(1, 2, 5, 5)"), std::string::npos) << m;
    EXPECT_NE(m.find("(N, 3, H, W)"), std::string::npos) << m;
  }
  EXPECT_THROW(make_conv2d(1, 1, 5)->forward(Tensor({1, 1, 4, 9}), false), Error);
}

// ------------------------------------------------------------------------------ pooling

TEST(MaxPool2d, GradientsWithDistinctValues) {
  struct Case {
    std::size_t kernel, stride;
    Shape shape;
  };
  for (const Case& c : {Case{2, 0, {2, 3, 4, 6}}, Case{3, 2, {1, 2, 7, 5}},
                        Case{2, 1, {2, 1, 3, 5}}, Case{2, 0, {1, 2, 5, 7}}}) {
    auto layer = make_max_pool2d(c.kernel, c.stride);
    EXPECT_TRUE(check_layer_gradients(*layer, distinct_tensor(c.shape, c.kernel + c.stride)));
  }
}

TEST(MaxPool2d, TiesSendTheGradientToTheFirstMaximum) {
  // Windows (2×2, stride 2) of one row pair: {1, 3 / 3, 0} has its maximum 3 twice, first
  // at (0, 1); {2, 2 / 2, 1} has 2 three times, first at (0, 2); {−1, −1 / −1, −1} all tie.
  const Tensor x({1, 1, 2, 6}, {1, 3, 2, 2, -1, -1,  //
                                3, 0, 2, 1, -1, -1});
  auto layer = make_max_pool2d(2);
  const Tensor y = layer->forward(x, true);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 1, 3}));
  EXPECT_EQ(y[0], 3.0f);
  EXPECT_EQ(y[1], 2.0f);
  EXPECT_EQ(y[2], -1.0f);
  const Tensor dx = layer->backward(Tensor({1, 1, 1, 3}, {10, 20, 30}));
  const std::vector<float> expected = {0, 10, 20, 0, 30, 0,  //
                                       0, 0,  0,  0, 0,  0};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(dx[i], expected[i]) << "grad_input[" << i << "]";
  }
}

TEST(MaxPool2d, NaNWinsItsWindow) {
  // As PyTorch: a window with a NaN outputs NaN and sends the gradient to its first NaN.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x({1, 1, 2, 4}, {1, nan, 5, 2,  //
                                nan, 9, 3, 4});
  auto layer = make_max_pool2d(2);
  const Tensor y = layer->forward(x, false);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 5.0f);
  const Tensor dx = layer->backward(Tensor({1, 1, 1, 2}, {1, 2}));
  const std::vector<float> expected = {0, 1, 2, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(dx[i], expected[i]) << i;
}

TEST(AvgPool2d, Gradients) {
  EXPECT_TRUE(check_layer_gradients(*make_avg_pool2d(2), random_tensor({2, 3, 4, 6}, 3)));
  EXPECT_TRUE(check_layer_gradients(*make_avg_pool2d(3, 1), random_tensor({1, 2, 5, 4}, 4)));
  const Tensor y = make_avg_pool2d(2)->forward(Tensor({1, 1, 2, 2}, {1, 2, 3, 6}), false);
  EXPECT_EQ(y[0], 3.0f);
}

TEST(Pooling, ShapesAndErrors) {
  EXPECT_EQ(make_max_pool2d(2)->output_shape({32, 32, 28, 28}), (Shape{32, 32, 14, 14}));
  EXPECT_EQ(make_max_pool2d(2)->output_shape({1, 1, 5, 7}), (Shape{1, 1, 2, 3}));
  EXPECT_EQ(make_avg_pool2d(3, 2)->output_shape({1, 1, 7, 8}), (Shape{1, 1, 3, 3}));
  try {
    make_max_pool2d(3)->forward(Tensor({1, 1, 2, 5}), false);
    FAIL() << "no error for a window larger than the input";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("max_pool2d(3)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(1, 1, 2, 5)"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------------------ flatten

TEST(Flatten, GradientsAndShape) {
  auto layer = make_flatten();
  EXPECT_EQ(layer->output_shape({2, 3, 2, 2}), (Shape{2, 12}));
  EXPECT_TRUE(check_layer_gradients(*layer, random_tensor({2, 3, 2, 2}, 5)));
}

// ------------------------------------------------------------------------------ dropout

TEST(Dropout, EvalIsIdentity) {
  auto layer = make_dropout(0.5, 42);
  const Tensor x = random_tensor({4, 5}, 6);
  const Tensor y = layer->forward(x, false);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], x[i]);
  EXPECT_TRUE(check_layer_gradients(*layer, x));
}

TEST(Dropout, TrainingGradients) {
  const test::LayerFactory make = [] { return make_dropout(0.3, 99); };
  GradCheckOptions options;
  options.training = true;
  EXPECT_TRUE(check_layer_gradients(make, random_tensor({3, 7}, 7), options));
}

TEST(Dropout, MasksAreSeededAndScaled) {
  const double p = 0.25;
  const Tensor x = random_tensor({100, 100}, 8, 0.5, 1.5);  // no zeros in the input
  auto a = make_dropout(p, 2025);
  auto b = make_dropout(p, 2025);
  const Tensor a1 = a->forward(x, true), a2 = a->forward(x, true);
  const Tensor b1 = b->forward(x, true), b2 = b->forward(x, true);
  std::size_t dropped = 0, same_as_next_call = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(a1[i], b1[i]) << "same seed, different first mask at " << i;
    ASSERT_EQ(a2[i], b2[i]) << "same seed, different second mask at " << i;
    if (a1[i] == 0) {
      ++dropped;
    } else {
      ASSERT_EQ(a1[i], x[i] * static_cast<float>(1 / (1 - p))) << "kept values scale by 1/(1−p)";
    }
    same_as_next_call += (a1[i] == 0) == (a2[i] == 0);
  }
  // Binomial(10⁴, 0.25): σ = 43; 5σ bounds.
  EXPECT_NEAR(static_cast<double>(dropped), p * 1e4, 5 * 43.3);
  EXPECT_LT(same_as_next_call, x.size()) << "the mask must change from call to call";
  // Backward uses the same mask as forward.
  const Tensor dx = a->backward(Tensor(x.shape(), 1.0f));
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(dx[i], a2[i] == 0 ? 0.0f : static_cast<float>(1 / (1 - p)));
  }
  auto c = make_dropout(p, 2026);
  const Tensor c1 = c->forward(x, true);
  EXPECT_FALSE(std::equal(c1.data().begin(), c1.data().end(), a1.data().begin()))
      << "another seed gives another mask";
}

// ------------------------------------------------------------------------------ activations

// Points where some catalogue activation (with default parameters) has a kink: 0, ±1
// (hardtanh, sparse_plus), ±3 (hardsigmoid, hardswish), 6 (relu6) and ± each parameter
// value (thresholds, lambd, ...). Inputs stay 0.05 (5 steps h) away from all of them.
std::vector<double> kinks_of(const Activation& act) {
  std::vector<double> kinks = {0, 1, -1, 3, -3, 6};
  for (double v : act.values()) {
    kinks.push_back(v);
    kinks.push_back(-v);
  }
  return kinks;
}

TEST(ActivationLayer, GradientsForEveryCatalogueEntry) {
  std::uint64_t seed = 100;
  for (const ActivationInfo& info : catalogue()) {
    const Activation act(info.id);
    auto layer = make_activation(act, 5);
    SCOPED_TRACE(act.to_string());
    EXPECT_EQ(layer->spec(), act.to_string());
    EXPECT_EQ(layer->parameters().size(), info.id == ActivationId::kPrelu ? 1u : 0u);
    Tensor x;
    if (info.id == ActivationId::kMaxout) {
      x = distinct_tensor({2, 3, 4}, ++seed);  // no ties between pieces
    } else {
      x = random_tensor({2, 3, 4}, ++seed, -4, 4);
      keep_away(x, kinks_of(act), 0.05, ++seed, -4, 4);
    }
    EXPECT_TRUE(check_layer_gradients(*layer, x));
    EXPECT_EQ(layer->forward(x, false).shape(), output_shape(act, x.shape()));
  }
}

TEST(ActivationLayer, AlongDimUsesItsDim) {
  const Activation softmax = Activation::parse("softmax", {{"dim", 1}});
  auto layer = make_activation(softmax);
  const Tensor x = random_tensor({2, 3, 4}, 11, -2, 2);
  const Tensor y = layer->forward(x, false);
  for (std::size_t n = 0; n < 2; ++n) {
    for (std::size_t j = 0; j < 4; ++j) {
      double sum = 0;
      for (std::size_t c = 0; c < 3; ++c) sum += y.at({n, c, j});
      EXPECT_NEAR(sum, 1.0, 1e-6);
    }
  }
  EXPECT_TRUE(check_layer_gradients(*layer, x));
  auto glu = make_activation(Activation::parse("glu", {{"dim", 1}}));
  EXPECT_EQ(glu->output_shape({2, 6, 3}), (Shape{2, 3, 3}));
  EXPECT_TRUE(check_layer_gradients(*glu, random_tensor({2, 6, 3}, 12, -3, 3)));
  EXPECT_THROW(glu->forward(Tensor({2, 5, 3}), false), Error);  // odd size along dim 1
}

TEST(ActivationLayer, PreluSharedSlopeIsLearned) {
  auto layer = make_activation(Activation(ActivationId::kPrelu));
  EXPECT_EQ(layer->spec(), "prelu");
  std::vector<Parameter> p = layer->parameters();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name, "slope");
  EXPECT_EQ(p[0].value->shape(), (Shape{1}));
  EXPECT_EQ((*p[0].value)[0], 0.25f);
  Tensor x = random_tensor({2, 3, 2, 2}, 13, -2, 2);
  keep_away(x, {0}, 0.05, 14, -2, 2);
  EXPECT_TRUE(check_layer_gradients(*layer, x));
  (*p[0].value)[0] = -0.7f;  // any slope, including negative ones
  EXPECT_TRUE(check_layer_gradients(*layer, x));
}

TEST(ActivationLayer, PreluPerChannelSlopes) {
  const Activation act = Activation::parse("prelu", {{"num_parameters", 3}});
  auto layer = make_activation(act);
  EXPECT_EQ(layer->spec(), "prelu(num_parameters=3)");
  Tensor& slopes = *layer->parameters()[0].value;
  ASSERT_EQ(slopes.shape(), (Shape{3}));
  for (float s : slopes.data()) EXPECT_EQ(s, 0.25f);
  slopes = Tensor({3}, {0.1f, -0.4f, 0.7f});
  Tensor x = random_tensor({2, 3, 2, 3}, 15, -2, 2);
  keep_away(x, {0}, 0.05, 16, -2, 2);
  EXPECT_TRUE(check_layer_gradients(*layer, x));
  // Channel c of every sample uses slope c.
  const Tensor y = layer->forward(Tensor({1, 3, 1, 1}, {-1, -1, -1}), false);
  EXPECT_EQ(y[0], -0.1f);
  EXPECT_EQ(y[1], 0.4f);
  EXPECT_EQ(y[2], -0.7f);
  try {
    layer->forward(Tensor({2, 4, 2}), false);
    FAIL() << "no error for 4 channels with 3 slopes";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("prelu(num_parameters=3)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(2, 4, 2)"), std::string::npos);
  }
  Rng rng(1);
  layer->reset_parameters(rng);
  for (float s : slopes.data()) EXPECT_EQ(s, 0.25f) << "reset restores the initial slope";
}

TEST(ActivationLayer, RreluTrainingIsSeededAndDifferentiable) {
  const Activation act(ActivationId::kRrelu);
  Tensor x = random_tensor({4, 25}, 17, -2, 2);
  keep_away(x, {0}, 0.05, 18, -2, 2);
  GradCheckOptions options;
  options.training = true;
  const test::LayerFactory make = [&] { return make_activation(act, 77); };
  EXPECT_TRUE(check_layer_gradients(make, x, options));

  auto a = make_activation(act, 77), b = make_activation(act, 77);
  const Tensor a1 = a->forward(x, true), a2 = a->forward(x, true);
  const Tensor b1 = b->forward(x, true);
  std::size_t changed = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(a1[i], b1[i]) << "same seed, same slopes";
    if (x[i] > 0) {
      ASSERT_EQ(a1[i], x[i]);
    } else {
      const double slope = a1[i] / x[i];
      ASSERT_GE(slope, 1.0 / 8 - 1e-6);
      ASSERT_LE(slope, 1.0 / 3 + 1e-6);
      changed += a1[i] != a2[i];
    }
  }
  EXPECT_GT(changed, 0u) << "each training call draws new slopes";
  // Evaluation uses the mean slope (lower + upper)/2.
  const Tensor e = a->forward(Tensor({1, 1}, {-1.0f}), false);
  EXPECT_NEAR(e[0], -(1.0 / 8 + 1.0 / 3) / 2, 1e-7);
}

// ------------------------------------------------------------------------------ init

struct Stats {
  double min = 1e300, max = -1e300, mean = 0, variance = 0;
};
Stats stats_of(const Tensor& t) {
  Stats s;
  for (float v : t.data()) {
    s.min = std::min(s.min, static_cast<double>(v));
    s.max = std::max(s.max, static_cast<double>(v));
    s.mean += v;
  }
  s.mean /= static_cast<double>(t.size());
  for (float v : t.data()) s.variance += (v - s.mean) * (v - s.mean);
  s.variance /= static_cast<double>(t.size());
  return s;
}

TEST(Init, BoundsAndVarianceForEachScheme) {
  // Dense (400 → 300) and Conv2d (16 → 32, k 5): fan_in 400, fan_out 300 / 400, 800;
  // 120,000 and 12,800 weights, so the sample variance is within 3% (≈ 7σ for the dense
  // layer and 3σ–4σ for the conv) of the true one.
  struct Case {
    std::unique_ptr<Layer> (*make)(Init);
    double fan_in, fan_out;
  };
  const Case cases[] = {
      {[](Init i) { return make_dense(400, 300, true, i); }, 400, 300},
      {[](Init i) { return make_conv2d(16, 32, 5, 1, 0, true, i); }, 400, 800},
  };
  for (const Case& c : cases) {
    for (Init init : {Init::kPyTorchDefault, Init::kXavierUniform, Init::kHeNormal}) {
      auto layer = initialised(c.make(init), 31);
      SCOPED_TRACE(layer->spec() + " init " + std::to_string(static_cast<int>(init)));
      std::vector<Parameter> p = layer->parameters();
      const Stats w = stats_of(*p[0].value), b = stats_of(*p[1].value);
      double bound = 0, variance = 0;
      switch (init) {
        case Init::kPyTorchDefault:
          bound = 1 / std::sqrt(c.fan_in);
          variance = bound * bound / 3;
          EXPECT_GE(b.min, -bound);
          EXPECT_LE(b.max, bound);
          EXPECT_GT(b.max - b.min, bound) << "bias is drawn from U(±1/√fan_in)";
          break;
        case Init::kXavierUniform:
          bound = std::sqrt(6 / (c.fan_in + c.fan_out));
          variance = bound * bound / 3;
          break;
        case Init::kHeNormal:
          variance = 2 / c.fan_in;
          break;
      }
      if (init != Init::kPyTorchDefault) {
        EXPECT_EQ(b.min, 0.0);
        EXPECT_EQ(b.max, 0.0);
      }
      if (bound > 0) {
        EXPECT_GE(w.min, -bound);
        EXPECT_LE(w.max, bound);
        EXPECT_GT(w.max, 0.99 * bound);
        EXPECT_LT(w.min, -0.99 * bound);
      } else {
        EXPECT_GT(w.max, 3 * std::sqrt(variance)) << "normal tails reach beyond 3σ";
      }
      EXPECT_NEAR(w.mean, 0, 0.05 * std::sqrt(variance));
      EXPECT_NEAR(w.variance, variance, 0.03 * variance);
    }
  }
}

TEST(Init, ResetIsReproducible) {
  auto a = initialised(make_conv2d(3, 4, 3), 5), b = initialised(make_conv2d(3, 4, 3), 5);
  auto c = initialised(make_conv2d(3, 4, 3), 6);
  const Tensor& wa = *a->parameters()[0].value;
  const Tensor& wb = *b->parameters()[0].value;
  const Tensor& wc = *c->parameters()[0].value;
  EXPECT_TRUE(std::equal(wa.data().begin(), wa.data().end(), wb.data().begin()));
  EXPECT_FALSE(std::equal(wa.data().begin(), wa.data().end(), wc.data().begin()));
}

// ------------------------------------------------------------------------------ specs

TEST(Spec, Strings) {
  EXPECT_EQ(make_dense(1024, 64)->spec(), "dense(1024, 64)");
  EXPECT_EQ(make_dense(3, 2, false)->spec(), "dense(3, 2, bias=false)");
  EXPECT_EQ(make_conv2d(1, 32, 3, 1, 1)->spec(), "conv2d(1, 32, 3, padding=1)");
  EXPECT_EQ(make_conv2d(32, 64, 3)->spec(), "conv2d(32, 64, 3)");
  EXPECT_EQ(make_conv2d(2, 4, 5, 2, 0, false)->spec(), "conv2d(2, 4, 5, stride=2, bias=false)");
  EXPECT_EQ(make_max_pool2d(2)->spec(), "max_pool2d(2)");
  EXPECT_EQ(make_max_pool2d(3, 2)->spec(), "max_pool2d(3, stride=2)");
  EXPECT_EQ(make_avg_pool2d(2, 2)->spec(), "avg_pool2d(2)");
  EXPECT_EQ(make_flatten()->spec(), "flatten");
  EXPECT_EQ(make_dropout(0.5, 1)->spec(), "dropout(0.5)");
  EXPECT_EQ(make_dropout(0.1, 1)->spec(), "dropout(0.1)");
  EXPECT_EQ(make_activation(Activation(ActivationId::kPrelu))->spec(), "prelu");
  EXPECT_EQ(make_activation(Activation::parse("leaky_relu", {{"negative_slope", 0.1}}))->spec(),
            "leaky_relu(negative_slope=0.1)");
  EXPECT_THROW(make_dropout(1.5, 1), Error);
}

// ------------------------------------------------------------------------------ seed CNN

TEST(SeedCnn, ParameterCountAndShapes) {
  std::vector<std::unique_ptr<Layer>> layers;
  const Activation relu(ActivationId::kRelu);
  layers.push_back(make_conv2d(1, 32, 3, 1, 1));
  layers.push_back(make_activation(relu));
  layers.push_back(make_max_pool2d(2));
  layers.push_back(make_conv2d(32, 64, 3));
  layers.push_back(make_activation(relu));
  layers.push_back(make_max_pool2d(2));
  layers.push_back(make_conv2d(64, 64, 3));
  layers.push_back(make_activation(relu));
  layers.push_back(make_flatten());
  layers.push_back(make_dense(1024, 64));
  layers.push_back(make_activation(relu));
  layers.push_back(make_dense(64, 10));
  std::size_t count = 0;
  Rng rng(20250301);
  for (auto& layer : layers) {
    layer->reset_parameters(rng);
    for (const Parameter& p : layer->parameters()) count += p.value->size();
  }
  EXPECT_EQ(count, 121994u);
  Tensor x = random_tensor({3, 1, 28, 28}, 19);
  Shape shape = x.shape();
  for (auto& layer : layers) {
    shape = layer->output_shape(shape);
    x = layer->forward(x, true);
    EXPECT_EQ(x.shape(), shape) << layer->spec();
  }
  EXPECT_EQ(x.shape(), (Shape{3, 10}));
  Tensor grad(x.shape(), 1.0f);
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) grad = (*it)->backward(grad);
  EXPECT_EQ(grad.shape(), (Shape{3, 1, 28, 28}));
}

// ------------------------------------------------------------------------------ torch

std::vector<float> to_vector(const Tensor& t) { return {t.data().begin(), t.data().end()}; }

// |actlab − torch| ≤ 1e-5·max(1, max|torch|): float32 sums of at most 27 products of O(1)
// values are accurate to a few 1e-7 of their magnitude; a wrong index is off by O(1).
void expect_close(const std::string& what, const Tensor& got, const nlohmann::json& want) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 1;
  for (const auto& w : want) scale = std::max(scale, std::abs(w.get<double>()));
  std::size_t printed = 0, bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double w = want[i].get<double>();
    if (!(std::abs(got[i] - w) <= 1e-5 * scale)) {
      if (printed++ < 5) {
        ADD_FAILURE() << what << "[" << i << "]: actlab " << got[i] << ", torch " << w;
      }
      ++bad;
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << got.size() << " entries differ";
}

TEST(TorchOracle, Conv2dAndPoolsMatchPyTorchFloat64) {
  using nlohmann::json;
  struct Run {
    std::unique_ptr<Layer> layer;
    Tensor input, grad_output, output, grad_input;
    std::vector<Tensor> param_grads;
  };
  std::vector<Run> runs;
  json cases = json::array();
  std::uint64_t seed = 500;
  auto add = [&](std::unique_ptr<Layer> layer, Tensor x, json c) {
    Run r;
    r.layer = std::move(layer);
    r.input = std::move(x);
    r.layer->zero_grad();
    r.output = r.layer->forward(r.input, true);
    r.grad_output = random_tensor(r.output.shape(), ++seed);
    r.grad_input = r.layer->backward(r.grad_output);
    for (const Parameter& p : r.layer->parameters()) r.param_grads.push_back(*p.grad);
    c["input"] = to_vector(r.input);
    c["input_shape"] = r.input.shape();
    c["grad_output"] = to_vector(r.grad_output);
    cases.push_back(c);
    runs.push_back(std::move(r));
  };
  for (const ConvCase& c : kConvCases) {
    auto layer =
        initialised(make_conv2d(c.in, c.out, c.kernel, c.stride, c.padding, c.bias), ++seed);
    std::vector<Parameter> p = layer->parameters();
    json j = {{"kind", "conv2d"},
              {"weight", to_vector(*p[0].value)},
              {"weight_shape", p[0].value->shape()},
              {"stride", c.stride},
              {"padding", c.padding},
              {"bias", nullptr}};
    if (c.bias) j["bias"] = to_vector(*p[1].value);
    add(std::move(layer), random_tensor({c.batch, c.in, c.height, c.width}, ++seed), j);
  }
  // A larger one like the seed CNN's second layer.
  {
    auto layer = initialised(make_conv2d(8, 16, 3, 1, 1), ++seed);
    std::vector<Parameter> p = layer->parameters();
    add(std::move(layer), random_tensor({2, 8, 14, 14}, ++seed),
        {{"kind", "conv2d"},
         {"weight", to_vector(*p[0].value)},
         {"weight_shape", p[0].value->shape()},
         {"stride", 1},
         {"padding", 1},
         {"bias", to_vector(*p[1].value)}});
  }
  // Pools; the max pool inputs are small integers, so windows have ties: torch's CPU kernel
  // also keeps the first maximum.
  for (std::size_t kernel : {2u, 3u}) {
    for (std::size_t stride : {kernel, std::size_t{1}}) {
      Tensor ties = random_tensor({2, 2, 7, 6}, ++seed, -3, 3);
      for (float& v : ties.data()) v = std::round(v);
      add(make_max_pool2d(kernel, stride), ties,
          {{"kind", "max_pool2d"}, {"kernel", kernel}, {"stride", stride}});
      add(make_avg_pool2d(kernel, stride), random_tensor({2, 2, 7, 6}, ++seed),
          {{"kind", "avg_pool2d"}, {"kernel", kernel}, {"stride", stride}});
    }
  }

  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem = "actlab_conv_oracle_" + std::to_string(::getpid());
  const std::string in_path = (dir / (stem + "_in.json")).string();
  const std::string out_path = (dir / (stem + "_out.json")).string();
  std::ofstream(in_path) << cases.dump();
  const test::ProcessResult result =
      test::run_command(std::string(ACTLAB_PYTHON) + " " + ACTLAB_SOURCE_DIR +
                        "/tests/oracle/conv_oracle.py " + in_path + " " + out_path);
  std::remove(in_path.c_str());
  ASSERT_EQ(result.exit_code, 0) << "conv_oracle.py failed (it needs python3-torch):\n"
                                 << result.err;
  json answers;
  std::ifstream(out_path) >> answers;
  std::remove(out_path.c_str());
  ASSERT_EQ(answers.size(), runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    const json& a = answers[i];
    const std::string name = r.layer->spec() + " on " + shape_to_string(r.input.shape());
    EXPECT_EQ(r.output.shape(), a["output_shape"].get<Shape>()) << name;
    expect_close(name + " output", r.output, a["output"]);
    expect_close(name + " grad_input", r.grad_input, a["grad_input"]);
    if (cases[i]["kind"] == "conv2d") {
      expect_close(name + " grad_weight", r.param_grads[0], a["grad_weight"]);
      if (!a["grad_bias"].is_null())
        expect_close(name + " grad_bias", r.param_grads[1], a["grad_bias"]);
    }
  }
}

}  // namespace
}  // namespace actlab::nn
