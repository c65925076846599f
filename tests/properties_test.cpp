// The property columns of activations.def (range_min/range_max, monotonic, zero_centred,
// smooth) checked against the double reference with default parameters, by the
// definitions written next to the fields in activation.hpp:
//   range        the closed hull of the outputs: every output lies in it, and its ends are
//                reached (at ±∞ or at a local extremum);
//   monotonic    non-decreasing;
//   zero_centred f(0) = 0 and |mean|/rms of f(X), X ~ N(0, 1), below 0.45;
//   smooth       continuously differentiable (C¹): neither f nor f' jumps.
// Every column is checked both ways: a row marked false must really fail the property.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iomanip>
#include <limits>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/reference.hpp"
#include "actlab/shape.hpp"

namespace actlab {
namespace {

using reference::backward;
using reference::derivative;
using reference::forward;

std::string show(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

bool is_elementwise(const ActivationInfo& a) { return a.kind == Kind::kElementwise; }

// [−50, 50] in steps of 1/64, which holds every kink of the default parameters (all at
// multiples of 1/2: 0, ±0.5, ±1, ±3, 6, 20), plus each default parameter value and its
// negative, so a kink placed at a parameter is visited even if the defaults change.
std::vector<double> sweep(const Activation& act) {
  std::vector<double> xs;
  for (int k = -50 * 64; k <= 50 * 64; ++k) xs.push_back(k / 64.0);
  for (const ParamSpec& p : act.info().params) {
    for (double v : {p.default_value, -p.default_value}) {
      if (std::fabs(v) <= 50) xs.push_back(v);
    }
  }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  return xs;
}

// A tolerance for the reference's own rounding: a few ulp of the bound.
double rounding_slack(double bound) {
  return 1e-15 * std::max(1.0, std::isinf(bound) ? 1.0 : std::fabs(bound));
}

// ---------------------------------------------------------------- range

TEST(PropertiesRange, SweepOutputsLieInTheTableRange) {
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    const Activation act(a.id);
    std::size_t bad = 0;
    std::string first;
    for (double x : sweep(act)) {
      const double y = forward(act, x);
      if (y >= a.range_min - rounding_slack(a.range_min) &&
          y <= a.range_max + rounding_slack(a.range_max)) {
        continue;
      }
      if (bad++ == 0) first = "f(" + show(x) + ") = " + show(y);
    }
    EXPECT_EQ(bad, 0u) << a.name << ": " << bad << " outputs on [−50, 50] outside [range_min, "
                       << "range_max] = [" << show(a.range_min) << ", " << show(a.range_max)
                       << "]; first " << first;
  }
}

// Local minima and maxima: where f' changes sign between two sweep points, bisect on f'.
std::vector<double> local_extrema(const Activation& act, const std::vector<double>& xs) {
  std::vector<double> out;
  for (std::size_t i = 0; i + 1 < xs.size(); ++i) {
    double lo = xs[i];
    double hi = xs[i + 1];
    const double d_lo = derivative(act, lo);
    const double d_hi = derivative(act, hi);
    if (!((d_lo < 0 && d_hi > 0) || (d_lo > 0 && d_hi < 0))) continue;
    const bool rising_at_hi = d_hi > 0;
    for (int k = 0; k < 200; ++k) {
      const double mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      ((derivative(act, mid) > 0) == rising_at_hi ? hi : lo) = mid;
    }
    out.push_back(lo);
    out.push_back(hi);
  }
  return out;
}

TEST(PropertiesRange, TheTableRangeIsTheTightHull) {
  // The lowest and highest outputs over the sweep, ±∞ and the local extrema must be the
  // table's ends (a looser hull, e.g. a rounded minimum, fails here).
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    const Activation act(a.id);
    std::vector<double> xs = sweep(act);
    const std::vector<double> extrema = local_extrema(act, xs);
    xs.insert(xs.end(), extrema.begin(), extrema.end());
    xs.push_back(-kInf);
    xs.push_back(kInf);
    double lowest = kInf;
    double highest = -kInf;
    double arg_lowest = 0;
    double arg_highest = 0;
    for (double x : xs) {
      const double y = forward(act, x);
      if (y < lowest) {
        lowest = y;
        arg_lowest = x;
      }
      if (y > highest) {
        highest = y;
        arg_highest = x;
      }
    }
    const auto matches = [](double seen, double bound) {
      if (std::isinf(bound) || std::isinf(seen)) return seen == bound;
      return std::fabs(seen - bound) <= 1e-13 * std::max(1.0, std::fabs(bound));
    };
    EXPECT_TRUE(matches(lowest, a.range_min))
        << a.name << ": range_min = " << show(a.range_min) << ", but the lowest output is "
        << show(lowest) << " at x = " << show(arg_lowest);
    EXPECT_TRUE(matches(highest, a.range_max))
        << a.name << ": range_max = " << show(a.range_max) << ", but the highest output is "
        << show(highest) << " at x = " << show(arg_highest);
  }
}

// ---------------------------------------------------------------- monotonic

TEST(PropertiesMonotonic, ColumnMatchesWhetherTheReferenceEverDecreases) {
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    const Activation act(a.id);
    const std::vector<double> xs = sweep(act);
    std::string first_decrease;
    for (std::size_t i = 0; i + 1 < xs.size() && first_decrease.empty(); ++i) {
      const double y0 = forward(act, xs[i]);
      const double y1 = forward(act, xs[i + 1]);
      if (y1 < y0) {
        first_decrease =
            "f(" + show(xs[i]) + ") = " + show(y0) + " > f(" + show(xs[i + 1]) + ") = " + show(y1);
      }
    }
    if (a.monotonic) {
      EXPECT_TRUE(first_decrease.empty())
          << a.name << " is marked monotonic but decreases: " << first_decrease;
    } else {
      EXPECT_FALSE(first_decrease.empty())
          << a.name << " is marked non-monotonic but never decreases on [−50, 50]";
    }
  }
}

// ---------------------------------------------------------------- zero-centred

// E[g(X)], X ~ N(0, 1), by the midpoint rule on [−12, 12] (the normal density is below
// 1e-31 beyond, and no activation grows faster than e^x).
template <class G>
double normal_expectation(G g) {
  constexpr int kSteps = 240000;
  constexpr double kLo = -12;
  constexpr double kStep = 24.0 / kSteps;
  double sum = 0;
  for (int i = 0; i < kSteps; ++i) {
    const double x = kLo + (i + 0.5) * kStep;
    sum += g(x) * std::exp(-0.5 * x * x);
  }
  return sum * kStep / std::sqrt(2 * std::numbers::pi);
}

TEST(PropertiesZeroCentred, ColumnMatchesZeroAtZeroAndASmallMeanOverRms) {
  constexpr double kMaxMeanOverRms = 0.45;
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    const Activation act(a.id);
    const double at_zero = forward(act, 0.0);
    const double mean = normal_expectation([&](double x) { return forward(act, x); });
    const double power = normal_expectation([&](double x) {
      const double y = forward(act, x);
      return y * y;
    });
    const double ratio = std::fabs(mean) / std::sqrt(power);
    const bool centred = at_zero == 0 && ratio < kMaxMeanOverRms;
    EXPECT_EQ(centred, a.zero_centred)
        << a.name << ": zero_centred = " << a.zero_centred << ", but f(0) = " << show(at_zero)
        << " and |mean|/rms of f(N(0,1)) = " << show(ratio) << " (limit " << kMaxMeanOverRms << ")";
  }
}

// ---------------------------------------------------------------- smooth

TEST(PropertiesSmooth, ColumnMatchesWhetherFOrItsDerivativeJumps) {
  // At every sweep point (all kinks included) compare f and f' just left and right. A C¹
  // function changes by about f'·2δ and f''·2δ, far below the tolerance; a kink or a step
  // changes by a visible amount. softplus's switch to x at beta·x > 20 jumps by
  // log1p(e^−20) ≈ 2e-9, which PyTorch accepts as smooth, and so does the tolerance.
  constexpr double kJump = 1e-5;
  for (const ActivationInfo& a : catalogue()) {
    if (!is_elementwise(a)) continue;
    const Activation act(a.id);
    std::string first_jump;
    for (double x : sweep(act)) {
      const double delta = 1e-9 * std::max(1.0, std::fabs(x));
      const double f_jump = std::fabs(forward(act, x + delta) - forward(act, x - delta));
      const double d_jump = std::fabs(derivative(act, x + delta) - derivative(act, x - delta));
      if (f_jump > kJump * std::max(1.0, std::fabs(forward(act, x)))) {
        first_jump = "f jumps by " + show(f_jump) + " at x = " + show(x);
      } else if (d_jump > kJump * std::max(1.0, std::fabs(derivative(act, x)))) {
        first_jump = "f' jumps by " + show(d_jump) + " at x = " + show(x);
      }
      if (!first_jump.empty()) break;
    }
    if (a.smooth) {
      EXPECT_TRUE(first_jump.empty()) << a.name << " is marked smooth but " << first_jump;
    } else {
      EXPECT_FALSE(first_jump.empty())
          << a.name << " is marked not smooth but neither f nor f' jumps on [−50, 50]";
    }
  }
}

// ---------------------------------------------------------------- along a dimension

// Random (4, 6) arrays, the activation along the last dim (6 is even for glu and a
// multiple of maxout's 2 pieces).
std::vector<double> random_array(std::mt19937_64& rng, double spread) {
  std::uniform_real_distribution<double> uniform(-spread, spread);
  std::vector<double> x(24);
  for (double& v : x) v = uniform(rng);
  return x;
}

TEST(PropertiesAlongDim, OutputsLieInTheRangeAndSoftmaxLinesSumToOne) {
  const Shape shape = {4, 6};
  std::mt19937_64 rng(11);
  for (const ActivationInfo& a : catalogue()) {
    if (is_elementwise(a)) continue;
    const Activation act(a.id);
    const std::size_t out_size = element_count(output_shape(act, shape));
    for (int trial = 0; trial < 50; ++trial) {
      const std::vector<double> x = random_array(rng, trial < 25 ? 3 : 50);
      std::vector<double> y(out_size);
      forward(act, shape, x, y);
      for (double v : y) {
        EXPECT_TRUE(v >= a.range_min && v <= a.range_max)
            << a.name << ": output " << show(v) << " outside [" << show(a.range_min) << ", "
            << show(a.range_max) << "]";
      }
      // Rows of 6: softmax and softmin sum to 1, log_softmax's exponentials do.
      if (a.id == ActivationId::kSoftmax || a.id == ActivationId::kSoftmin ||
          a.id == ActivationId::kLogSoftmax) {
        for (std::size_t row = 0; row < 4; ++row) {
          double sum = 0;
          for (std::size_t k = 0; k < 6; ++k) {
            const double v = y[row * 6 + k];
            sum += a.id == ActivationId::kLogSoftmax ? std::exp(v) : v;
          }
          EXPECT_NEAR(sum, 1.0, 1e-14) << a.name << " row " << row << " sums to " << show(sum);
        }
      }
    }
  }
}

TEST(PropertiesAlongDim, MonotonicMeansNoOutputFallsWhenAnInputRises) {
  const Shape shape = {4, 6};
  std::mt19937_64 rng(12);
  for (const ActivationInfo& a : catalogue()) {
    if (is_elementwise(a)) continue;
    const Activation act(a.id);
    const std::size_t out_size = element_count(output_shape(act, shape));
    std::string first_fall;
    for (int trial = 0; trial < 20 && first_fall.empty(); ++trial) {
      const std::vector<double> x = random_array(rng, 3);
      std::vector<double> y(out_size), y_up(out_size);
      forward(act, shape, x, y);
      for (std::size_t i = 0; i < x.size() && first_fall.empty(); ++i) {
        std::vector<double> up = x;
        up[i] += 0.5;
        forward(act, shape, up, y_up);
        for (std::size_t j = 0; j < out_size; ++j) {
          if (y_up[j] < y[j] - 1e-12) {
            first_fall = "raising input " + std::to_string(i) + " lowers output " +
                         std::to_string(j) + " from " + show(y[j]) + " to " + show(y_up[j]);
            break;
          }
        }
      }
    }
    if (a.monotonic) {
      EXPECT_TRUE(first_fall.empty()) << a.name << " is marked monotonic but " << first_fall;
    } else {
      EXPECT_FALSE(first_fall.empty())
          << a.name << " is marked non-monotonic but no output ever fell";
    }
  }
}

TEST(PropertiesAlongDim, SmoothMeansTheGradientIsContinuousThroughTies) {
  // Ties are where maxout's gradient switches inputs; for a C¹ activation the gradient
  // just left and right of a tie agrees.
  const Shape shape = {4, 6};
  std::mt19937_64 rng(13);
  for (const ActivationInfo& a : catalogue()) {
    if (is_elementwise(a)) continue;
    const Activation act(a.id);
    const std::size_t out_size = element_count(output_shape(act, shape));
    double largest_jump = 0;
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> x = random_array(rng, 3);
      const std::vector<double> dy = random_array(rng, 1);
      for (std::size_t row = 0; row < 4; ++row) x[row * 6 + 1] = x[row * 6];  // a tie per row
      std::vector<double> left = x, right = x;
      for (std::size_t row = 0; row < 4; ++row) {
        left[row * 6] -= 1e-9;
        right[row * 6] += 1e-9;
      }
      std::vector<double> g_left(x.size()), g_right(x.size());
      const std::vector<double> dy_out(dy.begin(),
                                       dy.begin() + static_cast<std::ptrdiff_t>(out_size));
      backward(act, shape, left, dy_out, g_left);
      backward(act, shape, right, dy_out, g_right);
      for (std::size_t i = 0; i < x.size(); ++i) {
        largest_jump = std::max(largest_jump, std::fabs(g_left[i] - g_right[i]));
      }
    }
    if (a.smooth) {
      EXPECT_LT(largest_jump, 1e-6) << a.name << " is marked smooth but its gradient jumps by "
                                    << show(largest_jump) << " across a tie";
    } else {
      EXPECT_GT(largest_jump, 1e-3) << a.name << " is marked not smooth but its gradient "
                                    << "jumps by at most " << show(largest_jump);
    }
  }
}

TEST(PropertiesAlongDim, ZeroCentredColumnForGluAndMaxout) {
  // glu and maxout take pairs (a, b) (glu: a·σ(b); maxout with 2 pieces: max(a, b)); with
  // a, b ~ N(0, 1) independent, the same definition as for elementwise rows, by a 2-d
  // midpoint rule on [−8, 8]². The softmax family is a distribution, not centred by design.
  constexpr int kSteps = 800;
  constexpr double kLo = -8;
  constexpr double kStep = 16.0 / kSteps;
  std::vector<double> pairs;
  std::vector<double> weights;
  for (int i = 0; i < kSteps; ++i) {
    for (int j = 0; j < kSteps; ++j) {
      const double u = kLo + (i + 0.5) * kStep;
      const double v = kLo + (j + 0.5) * kStep;
      pairs.push_back(u);
      pairs.push_back(v);
      weights.push_back(std::exp(-0.5 * (u * u + v * v)) * kStep * kStep / (2 * std::numbers::pi));
    }
  }
  const Shape shape = {static_cast<std::size_t>(kSteps) * kSteps, 2};
  for (ActivationId id : {ActivationId::kGlu, ActivationId::kMaxout}) {
    const Activation act(id);
    std::vector<double> y(weights.size());
    forward(act, shape, pairs, y);
    double mean = 0;
    double power = 0;
    for (std::size_t k = 0; k < y.size(); ++k) {
      mean += weights[k] * y[k];
      power += weights[k] * y[k] * y[k];
    }
    std::vector<double> at_zero(1);
    forward(act, Shape{1, 2}, std::vector<double>{0.0, 0.0}, at_zero);
    const double ratio = std::fabs(mean) / std::sqrt(power);
    const bool centred = at_zero[0] == 0 && ratio < 0.45;
    EXPECT_EQ(centred, info(id).zero_centred)
        << info(id).name << ": f(0, 0) = " << show(at_zero[0]) << ", |mean|/rms = " << show(ratio);
  }
}

}  // namespace
}  // namespace actlab
