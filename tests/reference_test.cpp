// The double reference (src/activations/reference.cpp) checked against things it does
// not compute itself: central finite differences of its own forward, the numbers of
// EXPERIMENTS.md §6, limits and kink conventions written out per activation below, and
// independent expressions in the tails where a naive formula would cancel or overflow.
#include "actlab/reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <limits>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/shape.hpp"
#include "support/test_support.hpp"

namespace actlab {
namespace {

using reference::backward;
using reference::derivative;
using reference::forward;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// EXPERIMENTS.md §6 prints 7 decimals: the true value is within half a unit of the last.
constexpr double kPrinted7 = 0.5e-7;
// SELU's constants as the table's formula text gives them.
constexpr double kSeluAlpha = 1.6732632423543772;
constexpr double kSeluScale = 1.0507009873554805;

std::string show(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

std::string show(const std::vector<double>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out.append(i ? ", " : "").append(show(v[i]));
  return out.append("]");
}

// Collects the first few failures of a loop, so one EXPECT reports how many and which.
class Failures {
 public:
  void add(const std::string& what) {
    if (count_++ < kShown) text_.append("\n    ").append(what);
  }
  std::size_t count() const { return count_; }
  std::string text() const {
    std::string out = std::to_string(count_);
    out.append(" failure(s); the first:").append(text_);
    return out;
  }

 private:
  static constexpr std::size_t kShown = 5;
  std::size_t count_ = 0;
  std::string text_;
};

bool is_elementwise(const ActivationInfo& a) { return a.kind == Kind::kElementwise; }

// Equal up to a few ulp, or the same infinity; the sign of zero is not compared.
bool same_value(double got, double want) {
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return std::fabs(got - want) <=
         4 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(want));
}

bool relatively_close(double got, double want, double tolerance) {
  return std::fabs(got - want) <= tolerance * std::fabs(want);
}

// The points where f or f' is not differentiable, for these parameter values (f'' jumps
// too, for elu, celu and softsign at 0, which spoils finite differences just as much).
std::vector<double> kinks(const Activation& act) {
  switch (act.id()) {
    case ActivationId::kBinaryStep:
    case ActivationId::kThreshold:
      return {act.get("threshold")};
    case ActivationId::kIdentity:
    case ActivationId::kSigmoid:
    case ActivationId::kLogSigmoid:
    case ActivationId::kTanh:
    case ActivationId::kExponential:
    case ActivationId::kGelu:
    case ActivationId::kGeluTanh:
    case ActivationId::kSilu:
    case ActivationId::kMish:
    case ActivationId::kSquareplus:
    case ActivationId::kTanhshrink:
      return {};
    case ActivationId::kHardSigmoid:
    case ActivationId::kHardswish:
      return {-3, 3};
    case ActivationId::kHardTanh:
      return {act.get("min_val"), act.get("max_val")};
    case ActivationId::kRelu:
    case ActivationId::kLeakyRelu:
    case ActivationId::kPrelu:
    case ActivationId::kRrelu:
    case ActivationId::kElu:
    case ActivationId::kCelu:
    case ActivationId::kSelu:
    case ActivationId::kSoftsign:
      return {0};
    case ActivationId::kRelu6:
      return {0, 6};
    case ActivationId::kSoftplus:  // PyTorch switches to x once beta·x > threshold
      return {act.get("threshold") / act.get("beta")};
    case ActivationId::kSparsePlus:
      return {-1, 1};
    case ActivationId::kSoftshrink:
    case ActivationId::kHardshrink:
      return {-act.get("lambd"), act.get("lambd")};
    case ActivationId::kSoftmax:
    case ActivationId::kLogSoftmax:
    case ActivationId::kSoftmin:
    case ActivationId::kGlu:
    case ActivationId::kMaxout:
      return {};
  }
  return {};
}

// ---------------------------------------------------------------- derivatives vs calculus

TEST(ReferenceDerivative, MatchesCentralFiniteDifferencesAwayFromKinks) {
  std::vector<double> xs;
  for (int k = -2000; k <= 2000; ++k) xs.push_back(k / 100.0);
  std::mt19937_64 rng(20250301);
  std::uniform_real_distribution<double> uniform(-20, 20);
  for (int i = 0; i < 2000; ++i) xs.push_back(uniform(rng));
  for (double m = 1e-1; m > 1e-9; m /= 10) {
    xs.push_back(m);
    xs.push_back(-m);
  }
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    for (const Activation& act : test::parameter_settings(a.id)) {
      const std::vector<double> ks = kinks(act);
      Failures failures;
      std::size_t checked = 0;
      for (double x : xs) {
        const double h = 1e-6 * std::max(1.0, std::fabs(x));
        const bool near_kink = std::any_of(ks.begin(), ks.end(), [&](double k) {
          return std::fabs(x - k) <= 1e-4 * std::max(1.0, std::fabs(k));
        });
        if (near_kink) continue;
        const double above = x + h;
        const double below = x - h;
        const double fd = (forward(act, above) - forward(act, below)) / (above - below);
        const double d = derivative(act, x);
        ++checked;
        if (!(std::fabs(fd - d) <= 1e-6 * (1 + std::fabs(d)))) {
          failures.add("x = " + show(x) + ": derivative " + show(d) + ", finite difference " +
                       show(fd));
        }
      }
      EXPECT_GT(checked, xs.size() / 2) << act.to_string() << ": too many points skipped";
      EXPECT_EQ(failures.count(), 0u)
          << act.to_string() << ": f'(x) vs (f(x+h) − f(x−h))/2h, " << failures.text();
    }
  }
}

struct AlongDimCase {
  Shape shape;
  int dim;
};

// diff_src = J(src)ᵀ·diff_dst, checked one input at a time against the central difference of
// L(x) = Σ diff_dst·forward(x).
TEST(ReferenceBackward, AlongDimIsTheVectorJacobianProductOfForward) {
  const std::vector<AlongDimCase> cases = {{{12}, 0},       {{12}, -1},     {{12, 12}, 0},
                                           {{12, 12}, 1},   {{12, 12}, -1}, {{3, 12, 5}, 1},
                                           {{3, 12, 5}, -2}};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(-3, 3);
  for (const ActivationInfo& a : catalogue()) {
    if (is_elementwise(a)) continue;
    for (const Activation& setting : test::parameter_settings(a.id)) {
      for (const AlongDimCase& c : cases) {
        Activation act = setting;
        act.set("dim", c.dim);
        const Shape out_shape = output_shape(act, c.shape);
        std::vector<double> x(element_count(c.shape));
        std::vector<double> dy(element_count(out_shape));
        for (double& v : x) v = uniform(rng);
        for (double& v : dy) v = uniform(rng);
        std::vector<double> dx(x.size());
        backward(act, c.shape, x, dy, dx);

        std::vector<double> y(dy.size());
        const auto loss = [&](const std::vector<double>& at) {
          forward(act, c.shape, at, y);
          double sum = 0;
          for (std::size_t j = 0; j < y.size(); ++j) sum += dy[j] * y[j];
          return sum;
        };
        Failures failures;
        for (std::size_t i = 0; i < x.size(); ++i) {
          std::vector<double> moved = x;
          const double h = 1e-6 * std::max(1.0, std::fabs(x[i]));
          moved[i] = x[i] + h;
          const double above = loss(moved);
          const double step_up = moved[i];
          moved[i] = x[i] - h;
          const double below = loss(moved);
          const double fd = (above - below) / (step_up - moved[i]);
          if (!(std::fabs(fd - dx[i]) <= 1e-6 * (1 + std::fabs(dx[i])))) {
            failures.add("input " + std::to_string(i) + ": backward " + show(dx[i]) +
                         ", finite difference " + show(fd));
          }
        }
        EXPECT_EQ(failures.count(), 0u)
            << act.to_string() << " on shape of " << c.shape.size() << " dims, dim " << c.dim
            << ": backward vs finite differences, " << failures.text();
      }
    }
  }
}

TEST(ReferenceBackward, ElementwiseShapedCallsApplyTheDerivativePointwise) {
  const Shape shape = {2, 3};
  const std::vector<double> x = {-2.5, -0.25, 0.0, 0.75, 1.5, 4.0};
  const std::vector<double> dy = {1.0, -2.0, 0.5, 3.0, -1.0, 0.25};
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    const Activation act(a.id);
    std::vector<double> y(6), dx(6);
    forward(act, shape, x, y);
    backward(act, shape, x, dy, dx);
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(y[i], forward(act, x[i])) << a.name << " forward at " << show(x[i]);
      EXPECT_EQ(dx[i], dy[i] * derivative(act, x[i])) << a.name << " backward at " << show(x[i]);
    }
  }
}

// ---------------------------------------------------------------- along-dim identities

TEST(ReferenceAlongDim, TemperatureDividesTheInputAndSoftminNegatesIt) {
  const Shape shape = {2, 4};
  const std::vector<double> x = {2.0, 1.0, 0.1, -3.0, 0.5, 0.5, 7.0, -1.0};
  for (double t : {0.5, 2.5}) {
    std::vector<double> scaled(x.size()), negated(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      scaled[i] = x[i] / t;
      negated[i] = -x[i] / t;
    }
    for (ActivationId id : {ActivationId::kSoftmax, ActivationId::kLogSoftmax}) {
      Activation hot(id);
      hot.set("temperature", t);
      std::vector<double> with_t(x.size()), plain(x.size());
      forward(hot, shape, x, with_t);
      forward(Activation(id), shape, scaled, plain);
      for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(with_t[i], plain[i], 1e-15) << hot.to_string() << " element " << i;
      }
    }
    Activation softmin(ActivationId::kSoftmin);
    softmin.set("temperature", t);
    std::vector<double> got(x.size()), want(x.size());
    forward(softmin, shape, x, got);
    forward(Activation(ActivationId::kSoftmax), shape, negated, want);
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-15) << softmin.to_string() << " element " << i;
    }
  }
}

TEST(ReferenceAlongDim, LogSoftmaxStaysFiniteWhereExpOverflows) {
  // e^1000 overflows; log-sum-exp gives [−log1p(e^−1000), −1000] = [−0, −1000].
  const Shape shape = {2};
  const std::vector<double> x = {1000.0, 0.0};
  std::vector<double> y(2), p(2);
  forward(Activation(ActivationId::kLogSoftmax), shape, x, y);
  forward(Activation(ActivationId::kSoftmax), shape, x, p);
  EXPECT_EQ(y[0], 0.0) << show(y);
  EXPECT_EQ(y[1], -1000.0) << show(y);
  EXPECT_EQ(p[0], 1.0) << show(p);
  EXPECT_EQ(p[1], 0.0) << show(p);
}

TEST(ReferenceAlongDim, GluGatesTheFirstHalfWithTheSecondAlongDim) {
  // Shape (2, 4), dim 0: a = row 0, b = row 1.
  Activation glu(ActivationId::kGlu);
  glu.set("dim", 0);
  const Shape shape = {2, 4};
  const std::vector<double> x = {1.0, -2.0, 3.0, 0.5, 0.0, 1.0, -1.0, 40.0};
  std::vector<double> y(4);
  forward(glu, shape, x, y);
  for (std::size_t k = 0; k < 4; ++k) {
    const double want = x[k] / (1 + std::exp(-x[4 + k]));
    EXPECT_NEAR(y[k], want, 1e-15) << "glu(dim=0) output " << k << ": " << show(y);
  }
}

TEST(ReferenceAlongDim, MaxoutSendsTheGradientToTheFirstMaximalElement) {
  // Groups of 2 along the last dim: (3, 3) ties, (1, 5), (−1, −4).
  const Activation maxout(ActivationId::kMaxout);
  const Shape shape = {6};
  const std::vector<double> x = {3.0, 3.0, 1.0, 5.0, -1.0, -4.0};
  const std::vector<double> dy = {10.0, 20.0, 30.0};
  std::vector<double> y(3), dx(6);
  forward(maxout, shape, x, y);
  backward(maxout, shape, x, dy, dx);
  EXPECT_EQ(y, (std::vector<double>{3.0, 5.0, -1.0})) << show(y);
  EXPECT_EQ(dx, (std::vector<double>{10.0, 0.0, 0.0, 20.0, 30.0, 0.0})) << show(dx);

  // Groups of 3 along dim 0 of (6, 2): column 0 is 1,7,7 | 2,2,0, column 1 is 9,9,9 | −1,4,4.
  Activation pieces3(ActivationId::kMaxout);
  pieces3.set("pieces", 3).set("dim", 0);
  const Shape shape2 = {6, 2};
  const std::vector<double> x2 = {1, 9, 7, 9, 7, 9, 2, -1, 2, 4, 0, 4};
  const std::vector<double> dy2 = {1, 2, 3, 4};
  std::vector<double> y2(4), dx2(12);
  forward(pieces3, shape2, x2, y2);
  backward(pieces3, shape2, x2, dy2, dx2);
  EXPECT_EQ(y2, (std::vector<double>{7, 9, 2, 4})) << show(y2);
  EXPECT_EQ(dx2, (std::vector<double>{0, 2, 1, 0, 0, 0, 3, 0, 0, 4, 0, 0})) << show(dx2);
}

// ---------------------------------------------------------------- errors

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
    return e.code();
  }
  ADD_FAILURE() << "expected an actlab::Error";
  return ErrorCode::kIo;
}

TEST(ReferenceErrors, ElementwiseCallsOnAlongDimActivationsAreInvalidArguments) {
  for (const ActivationInfo& a : catalogue()) {
    if (is_elementwise(a)) continue;
    const Activation act(a.id);
    EXPECT_EQ(code_of([&] { forward(act, 1.0); }), ErrorCode::kInvalidArgument) << a.name;
    EXPECT_EQ(code_of([&] { derivative(act, 1.0); }), ErrorCode::kInvalidArgument) << a.name;
  }
}

TEST(ReferenceErrors, SizeMismatchesAreInvalidArguments) {
  const Shape shape = {2, 3};
  std::vector<double> six(6), five(5), three(3);
  for (const ActivationInfo& a : catalogue()) {
    Activation act(a.id);
    if (a.id == ActivationId::kMaxout) act.set("pieces", 3);
    const std::size_t out = element_count(output_shape(act, Shape{2, 6}));
    std::vector<double> src(12), dst(out), small(out - 1);
    const Shape wide = {2, 6};
    EXPECT_EQ(code_of([&] { forward(act, wide, five, dst); }), ErrorCode::kInvalidArgument)
        << a.name << ": src too small";
    EXPECT_EQ(code_of([&] { forward(act, wide, src, small); }), ErrorCode::kInvalidArgument)
        << a.name << ": dst too small";
    EXPECT_EQ(code_of([&] { backward(act, wide, src, small, src); }), ErrorCode::kInvalidArgument)
        << a.name << ": diff_dst too small";
    EXPECT_EQ(code_of([&] { backward(act, wide, src, dst, five); }), ErrorCode::kInvalidArgument)
        << a.name << ": diff_src too small";
  }
  // Shapes that the along-dim activations cannot split.
  const Shape odd = {2, 3};
  EXPECT_EQ(code_of([&] { forward(Activation(ActivationId::kGlu), odd, six, three); }),
            ErrorCode::kInvalidArgument)
      << "glu on an odd dim";
  Activation maxout(ActivationId::kMaxout);
  maxout.set("pieces", 2);
  EXPECT_EQ(code_of([&] { forward(maxout, odd, six, three); }), ErrorCode::kInvalidArgument)
      << "maxout pieces=2 on a dim of 3";
  Activation softmax(ActivationId::kSoftmax);
  softmax.set("dim", 2);
  EXPECT_EQ(code_of([&] { forward(softmax, odd, six, six); }), ErrorCode::kInvalidArgument)
      << "softmax dim out of range";
}

// ---------------------------------------------------------------- EXPERIMENTS.md §6

TEST(ExperimentsReferenceValues, PerceptronSumThroughTheSigmoid) {
  const double sum = 0.5 * 0.1 + 0.5 * 0.4 + 0.8 * (-0.9) + 1.0;
  EXPECT_NEAR(sum, 0.53, 1e-15) << "perceptron sum " << show(sum);
  const double y = forward(Activation(ActivationId::kSigmoid), sum);
  EXPECT_NEAR(y, 0.6294831, kPrinted7) << "sigmoid(0.53) = " << show(y);
}

TEST(ExperimentsReferenceValues, SigmoidAndTanhOfMinusOneZeroOne) {
  const Shape shape = {3};
  const std::vector<double> x = {-1, 0, 1};
  std::vector<double> s(3), t(3);
  forward(Activation(ActivationId::kSigmoid), shape, x, s);
  forward(Activation(ActivationId::kTanh), shape, x, t);
  const std::vector<double> want_s = {0.2689414, 0.5, 0.7310586};
  const std::vector<double> want_t = {-0.7615942, 0, 0.7615942};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(s[i], want_s[i], kPrinted7) << "sigmoid([−1, 0, 1]) = " << show(s);
    EXPECT_NEAR(t[i], want_t[i], kPrinted7) << "tanh([−1, 0, 1]) = " << show(t);
  }
}

TEST(ExperimentsReferenceValues, ReluOfTheTwoByThreeMatrix) {
  const Shape shape = {2, 3};
  const std::vector<double> x = {-1, 2, -3, 4, -5, 6};
  std::vector<double> y(6);
  forward(Activation(ActivationId::kRelu), shape, x, y);
  EXPECT_EQ(y, (std::vector<double>{0, 2, 0, 4, 0, 6}))
      << "relu([[−1,2,−3],[4,−5,6]]) = " << show(y);
}

TEST(ExperimentsReferenceValues, SoftmaxOfTwoOneAndAPointOne) {
  const Shape shape = {3};
  const std::vector<double> x = {2, 1, 0.1};
  std::vector<double> y(3);
  forward(Activation(ActivationId::kSoftmax), shape, x, y);
  const std::vector<double> want = {0.6590011, 0.2424330, 0.0985659};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(y[i], want[i], kPrinted7) << "softmax([2, 1, 0.1]) = " << show(y);
  }
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0, 1e-15) << "softmax sums to 1: " << show(y);
}

TEST(ExperimentsReferenceValues, SiluMinimumFoundByBisectionOnTheDerivative) {
  const Activation silu(ActivationId::kSilu);
  double lo = -2;
  double hi = -1;
  ASSERT_LT(derivative(silu, lo), 0) << "silu'(−2) should be negative";
  ASSERT_GT(derivative(silu, hi), 0) << "silu'(−1) should be positive";
  for (int i = 0; i < 200 && hi - lo > 0; ++i) {
    const double mid = (lo + hi) / 2;
    (derivative(silu, mid) < 0 ? lo : hi) = mid;
  }
  const double x = (lo + hi) / 2;
  EXPECT_NEAR(x, -1.2784645, kPrinted7) << "argmin silu = " << show(x);
  EXPECT_NEAR(forward(silu, x), -0.2784645, kPrinted7) << "min silu = " << show(forward(silu, x));
}

TEST(ExperimentsReferenceValues, MaxSigmoidDerivativeIsAQuarterAtZero) {
  const Activation sigmoid(ActivationId::kSigmoid);
  double best = -1;
  double at = kNaN;
  for (int k = -10000; k <= 10000; ++k) {
    const double x = k / 1000.0;
    if (derivative(sigmoid, x) > best) {
      best = derivative(sigmoid, x);
      at = x;
    }
  }
  EXPECT_NEAR(best, 0.25, 1e-16) << "max sigmoid' on [−10, 10] = " << show(best);
  EXPECT_EQ(at, 0.0) << "argmax sigmoid' = " << show(at);
}

TEST(ExperimentsReferenceValues, TwoSigmoidOfTwoXMinusOneIsTanh) {
  const Activation sigmoid(ActivationId::kSigmoid);
  const Activation tanh(ActivationId::kTanh);
  Failures failures;
  for (int k = -2000; k <= 2000; ++k) {
    const double x = k / 100.0;
    const double lhs = 2 * forward(sigmoid, 2 * x) - 1;
    const double rhs = forward(tanh, x);
    if (!(std::fabs(lhs - rhs) <= 1e-15)) {
      failures.add("x = " + show(x) + ": 2σ(2x)−1 = " + show(lhs) + ", tanh = " + show(rhs));
    }
  }
  EXPECT_EQ(failures.count(), 0u) << "2σ(2x) − 1 = tanh(x) on [−20, 20], " << failures.text();
}

TEST(ExperimentsReferenceValues, EluDerivativeAtMinusOneIsOneOverE) {
  const Activation elu(ActivationId::kElu);  // alpha = 1
  const double d = derivative(elu, -1);
  EXPECT_NEAR(d, 0.3678794, kPrinted7) << "ELU'(−1; α=1) = " << show(d);
  EXPECT_NEAR(d, std::exp(-1.0), 1e-16) << "ELU'(−1; α=1) = " << show(d);
}

// ---------------------------------------------------------------- NaN and ±inf

TEST(ReferenceSpecialValues, NanPropagatesThroughForwardAndDerivative) {
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    for (const Activation& act : test::parameter_settings(a.id)) {
      EXPECT_TRUE(std::isnan(forward(act, kNaN)))
          << act.to_string() << "(NaN) = " << show(forward(act, kNaN));
      EXPECT_TRUE(std::isnan(derivative(act, kNaN)))
          << act.to_string() << "'(NaN) = " << show(derivative(act, kNaN));
      const Shape shape = {2};
      const std::vector<double> x = {kNaN, 1.0};
      std::vector<double> y(2), dx(2);
      forward(act, shape, x, y);
      backward(act, shape, x, std::vector<double>{1.0, 1.0}, dx);
      EXPECT_TRUE(std::isnan(y[0])) << act.to_string() << " shaped forward: " << show(y);
      EXPECT_TRUE(std::isnan(dx[0])) << act.to_string() << " shaped backward: " << show(dx);
    }
  }
}

TEST(ReferenceSpecialValues, NanPropagatesAlongTheDimension) {
  // One NaN in a line of 4: the softmax family spoils the whole line; glu and maxout
  // spoil the outputs that read it. The other line stays finite.
  const Shape shape = {2, 4};
  const std::vector<double> x = {kNaN, 1.0, 2.0, 3.0, 0.5, -1.0, 2.0, 0.0};
  for (const ActivationInfo& a : catalogue()) {
    if (is_elementwise(a)) continue;
    const Activation act(a.id);
    std::vector<double> y(element_count(output_shape(act, shape)));
    forward(act, shape, x, y);
    const std::size_t per_line = y.size() / 2;
    EXPECT_TRUE(std::isnan(y[0])) << a.name << ": " << show(y);
    for (std::size_t k = per_line; k < y.size(); ++k) {
      EXPECT_TRUE(std::isfinite(y[k])) << a.name << " second line: " << show(y);
    }
  }
}

struct Limits {
  double f_minus;  // f(−∞)
  double f_plus;   // f(+∞)
  double d_minus;  // f'(−∞)
  double d_plus;   // f'(+∞)
};

// slope·x as x → −∞.
double negative_side(double slope) { return slope > 0 ? -kInf : slope < 0 ? kInf : 0.0; }

// The limits of every elementwise activation, written out by hand from its formula.
Limits expected_limits(const Activation& act) {
  switch (act.id()) {
    case ActivationId::kBinaryStep:
      return {0, 1, 0, 0};
    case ActivationId::kIdentity:
      return {-kInf, kInf, 1, 1};
    case ActivationId::kSigmoid:
    case ActivationId::kHardSigmoid:
      return {0, 1, 0, 0};
    case ActivationId::kLogSigmoid:
      return {-kInf, 0, 1, 0};
    case ActivationId::kTanh:
    case ActivationId::kSoftsign:
      return {-1, 1, 0, 0};
    case ActivationId::kHardTanh:
      return {act.get("min_val"), act.get("max_val"), 0, 0};
    case ActivationId::kRelu:
      return {0, kInf, 0, 1};
    case ActivationId::kRelu6:
      return {0, 6, 0, 0};
    case ActivationId::kLeakyRelu: {
      const double slope = act.get("negative_slope");
      return {negative_side(slope), kInf, slope, 1};
    }
    case ActivationId::kPrelu: {
      const double slope = act.get("slope");
      return {negative_side(slope), kInf, slope, 1};
    }
    case ActivationId::kRrelu: {
      const double slope = (act.get("lower") + act.get("upper")) / 2;
      return {negative_side(slope), kInf, slope, 1};
    }
    case ActivationId::kThreshold:
      return {act.get("value"), kInf, 0, 1};
    case ActivationId::kElu:
    case ActivationId::kCelu:
      return {-act.get("alpha"), kInf, 0, 1};
    case ActivationId::kSelu:
      return {-kSeluScale * kSeluAlpha, kInf, 0, kSeluScale};
    case ActivationId::kExponential:
      return {0, kInf, 0, kInf};
    case ActivationId::kGelu:
    case ActivationId::kGeluTanh:
    case ActivationId::kSilu:
    case ActivationId::kHardswish:
    case ActivationId::kMish:
    case ActivationId::kSoftplus:
    case ActivationId::kSquareplus:
    case ActivationId::kSparsePlus:
      return {0, kInf, 0, 1};
    case ActivationId::kSoftshrink:
    case ActivationId::kHardshrink:
    case ActivationId::kTanhshrink:
      return {-kInf, kInf, 1, 1};
    case ActivationId::kSoftmax:
    case ActivationId::kLogSoftmax:
    case ActivationId::kSoftmin:
    case ActivationId::kGlu:
    case ActivationId::kMaxout:
      break;
  }
  return {kNaN, kNaN, kNaN, kNaN};
}

TEST(ReferenceSpecialValues, InfinitiesGiveTheLimits) {
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    for (const Activation& act : test::parameter_settings(a.id)) {
      const Limits want = expected_limits(act);
      const Limits got = {forward(act, -kInf), forward(act, kInf), derivative(act, -kInf),
                          derivative(act, kInf)};
      EXPECT_TRUE(same_value(got.f_minus, want.f_minus))
          << act.to_string() << "(−∞) = " << show(got.f_minus) << ", limit " << show(want.f_minus);
      EXPECT_TRUE(same_value(got.f_plus, want.f_plus))
          << act.to_string() << "(+∞) = " << show(got.f_plus) << ", limit " << show(want.f_plus);
      EXPECT_TRUE(same_value(got.d_minus, want.d_minus))
          << act.to_string() << "'(−∞) = " << show(got.d_minus) << ", limit " << show(want.d_minus);
      EXPECT_TRUE(same_value(got.d_plus, want.d_plus))
          << act.to_string() << "'(+∞) = " << show(got.d_plus) << ", limit " << show(want.d_plus);
    }
  }
}

TEST(ReferenceSpecialValues, HugeFiniteInputsGiveNoNaN) {
  // x³, x² and e^x overflow long before ±DBL_MAX; the stable forms must not turn that
  // into inf·0 or inf/inf.
  const double big = std::numeric_limits<double>::max();
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    for (const Activation& act : test::parameter_settings(a.id)) {
      for (double x : {-big, -1e200, -1e100, -800.0, 800.0, 1e100, 1e200, big}) {
        EXPECT_FALSE(std::isnan(forward(act, x))) << act.to_string() << "(" << show(x) << ")";
        EXPECT_FALSE(std::isnan(derivative(act, x))) << act.to_string() << "'(" << show(x) << ")";
      }
    }
  }
}

// ---------------------------------------------------------------- kink conventions

// The row's derivative text states the convention the reference implements.
void expect_text_says(ActivationId id, const std::string& phrase) {
  const std::string_view text = info(id).derivative;
  EXPECT_NE(text.find(phrase), std::string_view::npos)
      << info(id).name << "'s .derivative text \"" << text << "\" should state \"" << phrase
      << "\"";
}

TEST(ReferenceKinks, ReluFamilyAtZero) {
  expect_text_says(ActivationId::kRelu, "relu'(0) = 0");
  EXPECT_EQ(derivative(Activation(ActivationId::kRelu), 0.0), 0.0) << "relu'(0)";
  EXPECT_EQ(derivative(Activation(ActivationId::kRelu), -0.0), 0.0) << "relu'(−0)";
  EXPECT_EQ(derivative(Activation(ActivationId::kRelu), 1e-300), 1.0) << "relu'(1e-300)";

  expect_text_says(ActivationId::kLeakyRelu, "leaky_relu'(0) = slope");
  for (double slope : {0.01, 0.1}) {
    Activation leaky(ActivationId::kLeakyRelu);
    leaky.set("negative_slope", slope);
    EXPECT_EQ(derivative(leaky, 0.0), slope) << leaky.to_string() << "'(0)";
    EXPECT_EQ(derivative(leaky, 1e-300), 1.0) << leaky.to_string() << "'(1e-300)";
  }

  expect_text_says(ActivationId::kPrelu, "slope for x ≤ 0");
  EXPECT_EQ(derivative(Activation(ActivationId::kPrelu), 0.0), 0.25) << "prelu'(0), slope 0.25";

  expect_text_says(ActivationId::kRrelu, "a for x ≤ 0");
  EXPECT_DOUBLE_EQ(derivative(Activation(ActivationId::kRrelu), 0.0), (1.0 / 8 + 1.0 / 3) / 2)
      << "rrelu'(0) in evaluation mode: (lower + upper)/2";
  EXPECT_DOUBLE_EQ(forward(Activation(ActivationId::kRrelu), -2.0), -2 * (1.0 / 8 + 1.0 / 3) / 2)
      << "rrelu(−2) in evaluation mode";

  expect_text_says(ActivationId::kThreshold, "1 for x > threshold, else 0");
  Activation threshold(ActivationId::kThreshold);
  threshold.set("threshold", 0.25).set("value", -0.75);
  EXPECT_EQ(forward(threshold, 0.25), -0.75) << threshold.to_string() << "(threshold) = value";
  EXPECT_EQ(forward(threshold, std::nextafter(0.25, 1.0)), std::nextafter(0.25, 1.0))
      << threshold.to_string() << " just above the threshold passes x";
  EXPECT_EQ(derivative(threshold, 0.25), 0.0) << threshold.to_string() << "'(threshold)";
  EXPECT_EQ(derivative(threshold, std::nextafter(0.25, 1.0)), 1.0)
      << threshold.to_string() << "' just above the threshold";
}

TEST(ReferenceKinks, ExponentialFamilyAtZero) {
  expect_text_says(ActivationId::kElu, "elu'(0) = alpha");
  for (double alpha : {1.0, 0.5, 2.5}) {
    Activation elu(ActivationId::kElu);
    elu.set("alpha", alpha);
    EXPECT_EQ(derivative(elu, 0.0), alpha) << elu.to_string() << "'(0)";
  }
  expect_text_says(ActivationId::kCelu, "celu'(0) = 1");
  for (double alpha : {1.0, 0.5, 2.5}) {
    Activation celu(ActivationId::kCelu);
    celu.set("alpha", alpha);
    EXPECT_EQ(derivative(celu, 0.0), 1.0) << celu.to_string() << "'(0)";
  }
  expect_text_says(ActivationId::kSelu, "selu'(0) = scale·alpha");
  EXPECT_DOUBLE_EQ(derivative(Activation(ActivationId::kSelu), 0.0), kSeluScale * kSeluAlpha)
      << "selu'(0)";
  EXPECT_DOUBLE_EQ(derivative(Activation(ActivationId::kSelu), 1e-300), kSeluScale) << "selu'(0+)";
}

TEST(ReferenceKinks, ClippedActivationsAreFlatAtBothEnds) {
  expect_text_says(ActivationId::kHardTanh, "0 at both ends");
  const Activation hardtanh(ActivationId::kHardTanh);
  EXPECT_EQ(derivative(hardtanh, -1.0), 0.0) << "hardtanh'(−1)";
  EXPECT_EQ(derivative(hardtanh, 1.0), 0.0) << "hardtanh'(1)";
  EXPECT_EQ(derivative(hardtanh, 0.0), 1.0) << "hardtanh'(0)";
  EXPECT_EQ(forward(hardtanh, 1.0), 1.0) << "hardtanh(1)";

  expect_text_says(ActivationId::kRelu6, "0 at both ends");
  const Activation relu6(ActivationId::kRelu6);
  EXPECT_EQ(derivative(relu6, 0.0), 0.0) << "relu6'(0)";
  EXPECT_EQ(derivative(relu6, 6.0), 0.0) << "relu6'(6)";
  EXPECT_EQ(derivative(relu6, 3.0), 1.0) << "relu6'(3)";
  EXPECT_EQ(forward(relu6, 6.0), 6.0) << "relu6(6)";

  expect_text_says(ActivationId::kHardSigmoid, "0 at both ends");
  const Activation hard_sigmoid(ActivationId::kHardSigmoid);
  EXPECT_EQ(derivative(hard_sigmoid, -3.0), 0.0) << "hard_sigmoid'(−3)";
  EXPECT_EQ(derivative(hard_sigmoid, 3.0), 0.0) << "hard_sigmoid'(3)";
  EXPECT_DOUBLE_EQ(derivative(hard_sigmoid, 0.0), 1.0 / 6) << "hard_sigmoid'(0)";
  EXPECT_EQ(forward(hard_sigmoid, -3.0), 0.0) << "hard_sigmoid(−3)";
  EXPECT_EQ(forward(hard_sigmoid, 3.0), 1.0) << "hard_sigmoid(3)";
}

TEST(ReferenceKinks, HardswishUsesTheQuadraticSlopeOnTheClosedInterval) {
  expect_text_says(ActivationId::kHardswish, "(2x + 3)/6 for −3 ≤ x ≤ 3");
  const Activation hardswish(ActivationId::kHardswish);
  EXPECT_DOUBLE_EQ(derivative(hardswish, -3.0), -0.5) << "hardswish'(−3) = (2·(−3) + 3)/6";
  EXPECT_DOUBLE_EQ(derivative(hardswish, 3.0), 1.5) << "hardswish'(3) = (2·3 + 3)/6";
  EXPECT_EQ(derivative(hardswish, std::nextafter(-3.0, -4.0)), 0.0) << "hardswish' below −3";
  EXPECT_EQ(derivative(hardswish, std::nextafter(3.0, 4.0)), 1.0) << "hardswish' above 3";
  EXPECT_EQ(forward(hardswish, -3.0), 0.0) << "hardswish(−3)";
  EXPECT_EQ(forward(hardswish, 3.0), 3.0) << "hardswish(3)";
}

TEST(ReferenceKinks, ShrinksAreFlatOnTheClosedDeadZone) {
  expect_text_says(ActivationId::kSoftshrink, "1 for |x| > lambd, else 0");
  expect_text_says(ActivationId::kHardshrink, "1 for |x| > lambd, else 0");
  for (ActivationId id : {ActivationId::kSoftshrink, ActivationId::kHardshrink}) {
    for (double lambd : {0.5, 0.25, 1.25}) {
      Activation shrink(id);
      shrink.set("lambd", lambd);
      const std::string name = shrink.to_string();
      EXPECT_EQ(derivative(shrink, lambd), 0.0) << name << "'(lambd)";
      EXPECT_EQ(derivative(shrink, -lambd), 0.0) << name << "'(−lambd)";
      EXPECT_EQ(derivative(shrink, std::nextafter(lambd, 9.0)), 1.0) << name << "' above lambd";
      EXPECT_EQ(derivative(shrink, std::nextafter(-lambd, -9.0)), 1.0) << name << "' below −lambd";
      EXPECT_EQ(forward(shrink, lambd), 0.0) << name << "(lambd)";
      EXPECT_EQ(forward(shrink, -lambd), 0.0) << name << "(−lambd)";
    }
  }
  Activation soft(ActivationId::kSoftshrink);
  EXPECT_DOUBLE_EQ(forward(soft, 2.0), 1.5) << "softshrink(2)";
  EXPECT_DOUBLE_EQ(forward(soft, -2.0), -1.5) << "softshrink(−2)";
  EXPECT_EQ(forward(Activation(ActivationId::kHardshrink), -2.0), -2.0) << "hardshrink(−2)";
}

TEST(ReferenceKinks, BinaryStepFiresAtTheThresholdWithZeroDerivative) {
  expect_text_says(ActivationId::kBinaryStep, "0 everywhere");
  for (double threshold : {0.0, 0.25, -0.75}) {
    Activation step(ActivationId::kBinaryStep);
    step.set("threshold", threshold);
    EXPECT_EQ(forward(step, threshold), 1.0) << step.to_string() << "(threshold)";
    EXPECT_EQ(forward(step, std::nextafter(threshold, -1.0)), 0.0)
        << step.to_string() << " just below the threshold";
    for (double x : {threshold, threshold - 1, threshold + 1}) {
      EXPECT_EQ(derivative(step, x), 0.0) << step.to_string() << "'(" << x << ")";
    }
  }
}

TEST(ReferenceKinks, SoftplusSwitchesToXOnlyAboveTheThreshold) {
  expect_text_says(ActivationId::kSoftplus, "or 1 when beta·x > threshold");
  const Activation softplus(ActivationId::kSoftplus);  // beta 1, threshold 20
  EXPECT_NEAR(forward(softplus, 20.0), 20 + std::exp(-20.0), 1e-14)
      << "softplus(20): beta·x = threshold is not above it";
  EXPECT_DOUBLE_EQ(derivative(softplus, 20.0), 1 / (1 + std::exp(-20.0))) << "softplus'(20)";
  const double above = std::nextafter(20.0, 21.0);
  EXPECT_EQ(forward(softplus, above), above) << "softplus just above the threshold is x";
  EXPECT_EQ(derivative(softplus, above), 1.0) << "softplus' just above the threshold";
  Activation sharp(ActivationId::kSoftplus);
  sharp.set("beta", 2.5);  // switches at x = 8
  EXPECT_EQ(forward(sharp, 8.5), 8.5) << sharp.to_string() << "(8.5)";
  EXPECT_NEAR(forward(sharp, 7.5), 7.5 + std::log1p(std::exp(-18.75)) / 2.5, 1e-14)
      << sharp.to_string() << "(7.5)";
}

TEST(ReferenceKinks, SparsePlusJoinsItsPiecesContinuously) {
  expect_text_says(ActivationId::kSparsePlus,
                   "0 for x ≤ −1, (x + 1)/2 for −1 < x < 1, 1 for x ≥ 1");
  const Activation sparse_plus(ActivationId::kSparsePlus);
  EXPECT_EQ(derivative(sparse_plus, -1.0), 0.0) << "sparse_plus'(−1)";
  EXPECT_EQ(derivative(sparse_plus, 1.0), 1.0) << "sparse_plus'(1)";
  EXPECT_EQ(forward(sparse_plus, 1.0), 1.0) << "sparse_plus(1)";
  EXPECT_EQ(forward(sparse_plus, 0.0), 0.25) << "sparse_plus(0)";
}

// ---------------------------------------------------------------- stable forms

TEST(ReferenceStableForms, TailsKeepTheirRelativeAccuracy) {
  struct Case {
    ActivationId id;
    bool of_derivative;
    double x;
    double want;  // an independent expression of the true value
    const char* what;
  };
  const double e40 = std::exp(-40.0);
  const std::vector<Case> cases = {
      {ActivationId::kSigmoid, false, -700, std::exp(-700.0) / (1 + std::exp(-700.0)),
       "sigmoid(−700) ≈ e^−700"},
      {ActivationId::kSigmoid, true, 40, e40 / ((1 + e40) * (1 + e40)), "sigmoid'(40), not 0"},
      {ActivationId::kTanh, true, 20, 4 * e40 / ((1 + e40) * (1 + e40)), "tanh'(20) = sech²(20)"},
      {ActivationId::kLogSigmoid, false, 40, -std::log1p(e40), "log_sigmoid(40) = −log1p(e^−40)"},
      {ActivationId::kLogSigmoid, false, -800, -800, "log_sigmoid(−800) = −800"},
      {ActivationId::kLogSigmoid, true, 40, e40 / (1 + e40), "log_sigmoid'(40) = σ(−40)"},
      {ActivationId::kSoftplus, false, -40, std::log1p(e40), "softplus(−40) = log1p(e^−40)"},
      {ActivationId::kElu, false, -1e-10, -1e-10 + 0.5e-20, "elu(−1e-10) by expm1"},
      {ActivationId::kCelu, false, -1e-10, -1e-10 + 0.5e-20, "celu(−1e-10) by expm1"},
      {ActivationId::kSquareplus, false, -1e8, 4 / (2 * (std::sqrt(1e16 + 4) + 1e8)),
       "squareplus(−1e8) = b/(2(√(x²+b) − x))"},
      {ActivationId::kSquareplus, true, -1e8,
       4 / (2 * std::sqrt(1e16 + 4) * (std::sqrt(1e16 + 4) + 1e8)), "squareplus'(−1e8)"},
      {ActivationId::kMish, false, -40, -40 * std::tanh(std::log1p(e40)), "mish(−40)"},
      {ActivationId::kSilu, false, -40, -40 * e40 / (1 + e40), "silu(−40)"},
      {ActivationId::kGelu, false, -10, -5 * std::erfc(10 / std::sqrt(2.0)), "gelu(−10)"},
  };
  for (const Case& c : cases) {
    const Activation act(c.id);
    const double got = c.of_derivative ? derivative(act, c.x) : forward(act, c.x);
    EXPECT_TRUE(relatively_close(got, c.want, 1e-14))
        << c.what << ": got " << show(got) << ", want " << show(c.want);
  }
}

TEST(ReferenceStableForms, GeluTanhMatchesItsTanhFormInLongDouble) {
  // 0.5·x·(1 + tanh u) cancels for x < 0; in long double it is still good to ~1e-12 on
  // [−5, 0], enough to check the reference's x·σ(2u).
  const Activation gelu_tanh(ActivationId::kGeluTanh);
  Failures failures;
  for (int k = -5000; k <= 5000; ++k) {
    const long double x = k / 1000.0L;
    const long double u =
        std::sqrt(2.0L / std::numbers::pi_v<long double>) * (x + 0.044715L * x * x * x);
    const double want = static_cast<double>(0.5L * x * (1.0L + std::tanh(u)));
    const double got = forward(gelu_tanh, static_cast<double>(x));
    if (!(std::fabs(got - want) <= 1e-11 * std::fabs(want) + 1e-300)) {
      failures.add("x = " + show(static_cast<double>(x)) + ": " + show(got) + " vs " + show(want));
    }
  }
  EXPECT_EQ(failures.count(), 0u) << "gelu_tanh vs 0.5·x·(1 + tanh u) in long double, "
                                  << failures.text();
}

TEST(ReferenceStableForms, TanhshrinkKeepsItsDigitsNearZero) {
  const Activation tanhshrink(ActivationId::kTanhshrink);
  Failures failures;
  // Tiny x: x³/3 − 2x⁵/15 is exact to double precision below 1e-4.
  for (double x = 1e-4; x > 1e-100; x /= 3.7) {
    for (double s : {x, -x}) {
      const double want = s * s * s / 3 - 2 * s * s * s * s * s / 15;
      const double got = forward(tanhshrink, s);
      if (!relatively_close(got, want, 1e-15)) {
        failures.add("x = " + show(s) + ": " + show(got) + " vs series " + show(want));
      }
    }
  }
  // Moderate x, across the switch from series to x − tanh x at 0.5: long double keeps
  // 3·2^−64/x² relative accuracy in the subtraction, better than 1e-14 from x = 0.02.
  for (double x = 0.02; x <= 1.5; x += 0.001) {
    const long double lx = x;
    const double want = static_cast<double>(lx - std::tanh(lx));
    const double got = forward(tanhshrink, x);
    if (!relatively_close(got, want, 1e-14)) {
      failures.add("x = " + show(x) + ": " + show(got) + " vs long double " + show(want));
    }
  }
  EXPECT_EQ(failures.count(), 0u) << "tanhshrink near 0, " << failures.text();
}

}  // namespace
}  // namespace actlab
