// The float32 kernels against the double reference: accuracy over the dense sweep for every
// elementwise activation and parameter setting (bounds from the table's .ulp, measured
// maxima printed as a table), the conventions at kinks and at NaN/±inf/−0/denormals, in-place
// calls, the along-dim kernels on random arrays, PReLU's slope gradient, RReLU's generator
// and the size checks. docs/conventions.md explains how the error is measured.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/reference.hpp"
#include "actlab/shape.hpp"
#include "actlab/simd_target.hpp"
#include "support/test_support.hpp"

namespace actlab {
namespace {

using test::ulp_error;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kDenorm = std::numeric_limits<float>::denorm_min();

std::vector<ActivationId> elementwise_ids() {
  std::vector<ActivationId> out;
  for (const ActivationInfo& a : catalogue()) {
    if (a.kind == Kind::kElementwise) out.push_back(a.id);
  }
  return out;
}

std::vector<ActivationId> along_dim_ids() {
  std::vector<ActivationId> out;
  for (const ActivationInfo& a : catalogue()) {
    if (a.kind == Kind::kAlongDim) out.push_back(a.id);
  }
  return out;
}

// The double reference (and the log/exp round trip of a preimage) carries ~1e-7 ULP of its
// own rounding, so "within b ULP" is checked as ≤ b + kSlack.
constexpr double kSlack = 1e-6;

using test::random_floats;  // support/test_support.hpp
using test::same_bits;

// The worst error seen, where it was, and what was computed there.
struct Worst {
  double ulp = 0;
  float x = 0;
  float got = 0;
  double want = 0;
  void update(double error, float at, float value, double reference) {
    if (error > ulp || (std::isnan(error) && !std::isnan(ulp)))
      *this = {error, at, value, reference};
  }
  std::string describe() const {
    char text[160];
    std::snprintf(text, sizeof text, "%.3g ULP at x = %.9g (kernel %.9g, reference %.17g)", ulp,
                  static_cast<double>(x), static_cast<double>(got), want);
    return text;
  }
};

// ---------------------------------------------------------------- backward from the output

using test::output_preimage;  // the fair reference point for a backward from the output

// ---------------------------------------------------------------- the dense sweep

// backward: f' itself (diff_dst = 1), held to the table's bound. random: diff_dst·f' for
// diff_dst ~ U(−1, 1); the product adds one rounding, and a relative error of e ULP in f'
// can show as up to 2e ULP of the product (ULPs are relative to the binade), so it is held
// to 2·bound + 0.5.
struct SweepResult {
  std::string setting;
  Worst forward;
  Worst backward;
  Worst random;
  UlpBound bound;
  double random_bound() const { return 2 * bound.backward + 0.5; }
};

SweepResult sweep(const Activation& act, const std::vector<float>& xs,
                  const std::vector<float>& random_dy) {
  const Activation ref_act = test::with_float_params(act);
  const ActivationInfo& row = act.info();
  const bool from_output = row.backward_from == BackwardFrom::kOutput;
  const std::size_t n = xs.size();
  std::vector<float> y(n), d_one(n), d_random(n);
  const std::vector<float> ones(n, 1.0f);
  kernels::forward(act, xs, y);
  const std::vector<float>& saved = from_output ? y : xs;
  kernels::backward(act, saved, ones, d_one);
  kernels::backward(act, saved, random_dy, d_random);

  SweepResult result{act.to_string(), {}, {}, {}, row.ulp};
  const double floor = row.ulp.backward_floor;
  for (std::size_t i = 0; i < n; ++i) {
    const double ref_y = reference::forward(ref_act, xs[i]);
    result.forward.update(ulp_error(y[i], ref_y), xs[i], y[i], ref_y);
    const double at = from_output ? output_preimage(act.id(), y[i]) : static_cast<double>(xs[i]);
    const double ref_d = reference::derivative(ref_act, at);
    result.backward.update(ulp_error(d_one[i], ref_d, floor), xs[i], d_one[i], ref_d);
    const double dy = random_dy[i];
    result.random.update(ulp_error(d_random[i], dy * ref_d, std::fabs(dy) * floor), xs[i],
                         d_random[i], dy * ref_d);
  }
  return result;
}

TEST(KernelAccuracy, EveryElementwiseSettingWithinTableBoundOverDenseSweep) {
  const std::vector<float> xs = test::dense_sweep();
  std::vector<float> random_dy(xs.size());
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : random_dy) v = dist(rng);

  std::vector<SweepResult> results;
  for (ActivationId id : elementwise_ids()) {
    for (const Activation& act : test::parameter_settings(id)) {
      SweepResult r = sweep(act, xs, random_dy);
      EXPECT_LE(r.forward.ulp, r.bound.forward + kSlack)
          << r.setting << " forward: " << r.forward.describe();
      EXPECT_LE(r.backward.ulp, r.bound.backward + kSlack)
          << r.setting << " derivative (floor " << r.bound.backward_floor
          << "): " << r.backward.describe();
      EXPECT_LE(r.random.ulp, r.random_bound() + kSlack)
          << r.setting << " backward with random diff_dst (floor " << r.bound.backward_floor
          << "): " << r.random.describe();
      results.push_back(std::move(r));
    }
  }

  std::printf(
      "\nMax error in ULP over %zu points (dense_sweep), float kernels vs double reference\n"
      "(precision %s, SIMD target %s)\n",
      xs.size(), kernels::precision() == kernels::Precision::kFast ? "fast" : "accurate",
      simd_target().c_str());
  std::printf("(backward: diff_dst = 1, i.e. f'; random: diff_dst ~ U(-1, 1), bound 2*b+0.5)\n");
  std::printf("%-34s %8s %5s %8s %5s %5s %8s   worst x: forward / backward\n", "setting", "forward",
              "bound", "backward", "bound", "floor", "random");
  for (const SweepResult& r : results) {
    std::printf("%-34s %8.3f %5g %8.3f %5g %5g %8.3f   %.7g / %.7g\n", r.setting.c_str(),
                r.forward.ulp, r.bound.forward, r.backward.ulp, r.bound.backward,
                r.bound.backward_floor, r.random.ulp, static_cast<double>(r.forward.x),
                static_cast<double>(r.backward.x));
  }
  std::fflush(stdout);
}

// ---------------------------------------------------------------- precision tiers

// Sets the process-wide precision for a scope, then restores the previous one.
class PrecisionScope {
 public:
  explicit PrecisionScope(kernels::Precision p) : saved_(kernels::precision()) {
    kernels::set_precision(p);
  }
  ~PrecisionScope() { kernels::set_precision(saved_); }
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  kernels::Precision saved_;
};

// The fast tier exists on the FMA targets (AVX2, AVX-512); elsewhere both tiers run the
// same loops.
bool has_fast_tier() { return simd_target().rfind("AVX", 0) == 0; }

// One row's forward and derivative (diff_dst = 1, from the input) over the sweep, in one
// tier.
struct TierRun {
  std::vector<float> y;
  std::vector<float> d;
};
TierRun run_tier(const Activation& act, kernels::Precision p, const std::vector<float>& xs) {
  const PrecisionScope scope(p);
  TierRun r{std::vector<float>(xs.size()), std::vector<float>(xs.size())};
  const std::vector<float> ones(xs.size(), 1.0f);
  kernels::forward(act, xs, r.y);
  kernels::backward(act, xs, ones, r.d);
  return r;
}

std::size_t differing_bits(const std::vector<float>& a, const std::vector<float>& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) n += same_bits(a[i], b[i]) ? 0 : 1;
  return n;
}

TEST(KernelPrecision, SetPrecisionSwitchesTheBitsAndBothTiersHoldTheBounds) {
  const std::vector<float> xs = test::dense_sweep();
  for (ActivationId id : {ActivationId::kSilu, ActivationId::kElu}) {
    const Activation act(id);
    SCOPED_TRACE(act.to_string());
    const TierRun fast = run_tier(act, kernels::Precision::kFast, xs);
    const TierRun accurate = run_tier(act, kernels::Precision::kAccurate, xs);
    const UlpBound bound = act.info().ulp;
    for (const TierRun* run : {&fast, &accurate}) {
      Worst forward, derivative;
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const double ref_y = reference::forward(act, xs[i]);
        const double ref_d = reference::derivative(act, xs[i]);
        forward.update(ulp_error(run->y[i], ref_y), xs[i], run->y[i], ref_y);
        derivative.update(ulp_error(run->d[i], ref_d, bound.backward_floor), xs[i], run->d[i],
                          ref_d);
      }
      const char* tier = run == &fast ? "fast" : "accurate";
      EXPECT_LE(forward.ulp, bound.forward + kSlack) << tier << ": " << forward.describe();
      EXPECT_LE(derivative.ulp, bound.backward + kSlack) << tier << ": " << derivative.describe();
    }
    const std::size_t forward_diff = differing_bits(fast.y, accurate.y);
    const std::size_t derivative_diff = differing_bits(fast.d, accurate.d);
    if (has_fast_tier()) {
      // Different math: the two tiers round differently somewhere on 300K points.
      EXPECT_GT(forward_diff, 0u) << "forward: fast and accurate gave the same bits";
      EXPECT_GT(derivative_diff, 0u) << "backward: fast and accurate gave the same bits";
    } else {
      EXPECT_EQ(forward_diff, 0u) << simd_target() << " has one tier";
      EXPECT_EQ(derivative_diff, 0u) << simd_target() << " has one tier";
    }
  }
  // The setting is read at each call, and restored by the scopes above.
  EXPECT_EQ(kernels::precision() == kernels::Precision::kFast,
            std::getenv("ACTLAB_PRECISION") == nullptr ||
                std::string(std::getenv("ACTLAB_PRECISION")) != "accurate");
}

TEST(KernelPrecision, EnvironmentSelectsTheTierAndABadValueIsAClearError) {
  const std::string cli = ACTLAB_CLI_PATH;
  const auto bad = test::run_command("ACTLAB_PRECISION=fastest " + cli + " eval --float sigmoid 0.5");
  EXPECT_EQ(bad.exit_code, 4) << "exit code of kInvalidParameter expected\n" << bad.err;
  EXPECT_NE(bad.err.find("ACTLAB_PRECISION='fastest': expected 'fast' or 'accurate'"),
            std::string::npos)
      << bad.err;
  for (const char* value : {"fast", "accurate"}) {
    const auto ok =
        test::run_command(std::string("ACTLAB_PRECISION=") + value + " " + cli + " eval --float sigmoid 0.5");
    EXPECT_EQ(ok.exit_code, 0) << value << ": " << ok.err;
  }
}

// ---------------------------------------------------------------- kinks and special values

// f(x) and f'(x) (backward with diff_dst = 1, from the output where the row says so) at one
// point. A zero expectation also checks the sign of zero for the forward value.
struct Case {
  float x;
  double y;
  double dy;
};

void check_cases(const Activation& act, const std::vector<Case>& cases) {
  SCOPED_TRACE(act.to_string());
  const ActivationInfo& row = act.info();
  for (const Case& c : cases) {
    float y = 0;
    float d = 0;
    const float one = 1.0f;
    kernels::forward(act, std::span<const float>(&c.x, 1), std::span<float>(&y, 1));
    const float saved = row.backward_from == BackwardFrom::kOutput ? y : c.x;
    kernels::backward(act, std::span<const float>(&saved, 1), std::span<const float>(&one, 1),
                      std::span<float>(&d, 1));
    EXPECT_LE(ulp_error(y, c.y), row.ulp.forward)
        << "f(" << c.x << ") = " << y << ", expected " << c.y;
    if (c.y == 0 && y == 0) {
      EXPECT_EQ(std::signbit(y), std::signbit(c.y))
          << "f(" << c.x << ") = " << y << ", expected " << c.y << " (sign of zero)";
    }
    EXPECT_LE(ulp_error(d, c.dy, row.ulp.backward_floor), row.ulp.backward + kSlack)
        << "f'(" << c.x << ") = " << d << ", expected " << c.dy;
  }
}

Activation with(ActivationId id, std::initializer_list<std::pair<const char*, double>> params) {
  Activation a(id);
  for (const auto& [name, value] : params) a.set(name, value);
  return a;
}

TEST(KernelConventions, KinksFollowPyTorch) {
  using A = ActivationId;
  const float f01 = 0.01f;
  check_cases(Activation(A::kBinaryStep), {{-1, 0, 0}, {0, 1, 0}, {-0.0f, 1, 0}, {1e-40f, 1, 0}});
  check_cases(Activation(A::kRelu), {{0, 0, 0}, {-0.0f, 0, 0}, {1, 1, 1}, {-1, 0, 0}});
  check_cases(Activation(A::kRelu6), {{0, 0, 0}, {6, 6, 0}, {3, 3, 1}, {7, 6, 0}});
  check_cases(Activation(A::kHardTanh), {{-1, -1, 0}, {1, 1, 0}, {0.5f, 0.5f, 1}});
  check_cases(with(A::kHardTanh, {{"min_val", -2}, {"max_val", 3}}),
              {{-2, -2, 0}, {3, 3, 0}, {-1.5f, -1.5f, 1}, {-9, -2, 0}});
  check_cases(Activation(A::kHardSigmoid),
              {{-3, 0, 0}, {3, 1, 0}, {0, 0.5, 1.0 / 6}, {-4, 0, 0}, {4, 1, 0}});
  check_cases(Activation(A::kHardswish),
              {{-3, 0, -0.5}, {3, 3, 1.5}, {0, 0, 0.5}, {-1.5f, -0.375, 0}, {-4, 0, 0}, {4, 4, 1}});
  check_cases(Activation(A::kLeakyRelu),
              {{0, 0, f01}, {-0.0f, -0.0, f01}, {-1, -f01, f01}, {1, 1, 1}});
  check_cases(with(A::kLeakyRelu, {{"negative_slope", 0.2}}), {{0, 0, 0.2f}, {-2, -0.4f, 0.2f}});
  check_cases(Activation(A::kPrelu), {{0, 0, 0.25}, {-2, -0.5, 0.25}, {2, 2, 1}});
  const float rrelu_mean = static_cast<float>((1.0 / 8 + static_cast<double>(1.0f / 3)) / 2);
  check_cases(Activation(A::kRrelu),
              {{0, 0, rrelu_mean}, {-1, -rrelu_mean, rrelu_mean}, {1, 1, 1}});
  check_cases(Activation(A::kThreshold), {{0, 0, 0}, {1e-40f, 1e-40f, 1}, {-1, 0, 0}});
  check_cases(with(A::kThreshold, {{"threshold", 0.25}, {"value", -0.75}}),
              {{0.25f, -0.75, 0}, {0.5f, 0.5, 1}, {-3, -0.75, 0}});
  check_cases(Activation(A::kElu), {{0, 0, 1}, {-0.0f, -0.0, 1}, {1, 1, 1}});
  check_cases(with(A::kElu, {{"alpha", 0.5}}),
              {{0, 0, 0.5}, {1e-30f, 1e-30f, 1}, {-kInf, -0.5, 0}});
  check_cases(with(A::kCelu, {{"alpha", 2}}), {{0, 0, 1}, {1, 1, 1}, {-kInf, -2, 0}});
  const double selu_scale = 1.0507009873554804934193349852946;
  const double selu_alpha = 1.6732632423543772848170429916717;
  check_cases(Activation(A::kSelu), {{0, 0, selu_scale * selu_alpha},
                                     {1, selu_scale, selu_scale},
                                     {-kInf, -selu_scale * selu_alpha, 0}});
  check_cases(Activation(A::kSoftshrink),
              {{0.5f, 0, 0}, {-0.5f, 0, 0}, {0.75f, 0.25, 1}, {-0.75f, -0.25, 1}, {0, 0, 0}});
  check_cases(Activation(A::kHardshrink),
              {{0.5f, 0, 0}, {-0.5f, 0, 0}, {0.75f, 0.75, 1}, {-0.75f, -0.75, 1}});
  check_cases(Activation(A::kSparsePlus), {{-1, 0, 0}, {1, 1, 1}, {0, 0.25, 0.5}, {-2, 0, 0}});
  // softplus switches to x strictly above the threshold, with derivative 1 there.
  check_cases(Activation(A::kSoftplus), {{20.5f, 20.5f, 1}, {0, std::log(2.0), 0.5}});
  check_cases(Activation(A::kSquareplus), {{0, 1, 0.5}});
  check_cases(with(A::kSquareplus, {{"b", 0}}), {{0, 0, 0.5}, {2, 2, 1}, {-2, 0, 0}});
  check_cases(Activation(A::kIdentity), {{-0.0f, -0.0, 1}, {kDenorm, kDenorm, 1}});
}

// ±inf give the limits (never NaN), −0 keeps its sign where f is odd, denormals are not
// flushed to zero.
TEST(KernelConventions, InfinitiesSignedZerosAndDenormals) {
  using A = ActivationId;
  const float big = std::numeric_limits<float>::max();
  check_cases(Activation(A::kSigmoid),
              {{kInf, 1, 0},
               {-kInf, 0, 0},
               {0, 0.5, 0.25},
               {-89, 1 / (1 + std::exp(89.0)),
                std::exp(-89.0) / ((1 + std::exp(-89.0)) * (1 + std::exp(-89.0)))}});
  check_cases(Activation(A::kTanh),
              {{kInf, 1, 0}, {-kInf, -1, 0}, {-0.0f, -0.0, 1}, {kDenorm, kDenorm, 1}});
  check_cases(Activation(A::kLogSigmoid),
              {{-kInf, -kInf, 1}, {kInf, 0, 0}, {-200, -200, 1}, {0, -std::log(2.0), 0.5}});
  check_cases(Activation(A::kRelu),
              {{kInf, kInf, 1}, {-kInf, 0, 0}, {kDenorm, kDenorm, 1}, {-kDenorm, 0, 0}});
  check_cases(Activation(A::kRelu6), {{kInf, 6, 0}, {-kInf, 0, 0}});
  check_cases(Activation(A::kHardTanh), {{kInf, 1, 0}, {-kInf, -1, 0}});
  check_cases(Activation(A::kLeakyRelu), {{-kInf, -kInf, 0.01f}, {kInf, kInf, 1}});
  check_cases(with(A::kLeakyRelu, {{"negative_slope", 0}}), {{-kInf, 0, 0}, {-1, 0, 0}});
  check_cases(Activation(A::kElu),
              {{-kInf, -1, 0}, {kInf, kInf, 1}, {-kDenorm, -kDenorm, 1}, {-1e-30f, -1e-30f, 1}});
  check_cases(Activation(A::kSelu),
              {{kInf, kInf, 1.0507009873554804934193349852946}, {-0.0f, -0.0, 1.7580993408473766}});
  check_cases(Activation(A::kExponential),
              {{0, 1, 1},
               {-kInf, 0, 0},
               {kInf, kInf, kInf},
               {89, kInf, kInf},
               {-100, std::exp(-100.0), static_cast<float>(std::exp(-100.0))}});
  check_cases(Activation(A::kGelu), {{-kInf, -0.0, 0},
                                     {kInf, kInf, 1},
                                     {0, 0, 0.5},
                                     {-0.0f, -0.0, 0.5},
                                     {-20, -0.0, 0},
                                     {1e-40f, 5e-41, 0.5}});
  check_cases(Activation(A::kGeluTanh),
              {{-kInf, -0.0, 0}, {kInf, kInf, 1}, {0, 0, 0.5}, {-0.0f, -0.0, 0.5}});
  check_cases(Activation(A::kSilu),
              {{-kInf, -0.0, 0}, {kInf, kInf, 1}, {0, 0, 0.5}, {big, big, 1}});
  check_cases(Activation(A::kMish),
              {{-kInf, -0.0, 0}, {kInf, kInf, 1}, {0, 0, 0.6}, {big, big, 1}});
  check_cases(Activation(A::kHardswish), {{-kInf, 0, 0}, {kInf, kInf, 1}});
  check_cases(Activation(A::kSoftplus), {{-kInf, 0, 0}, {kInf, kInf, 1}, {-200, 0, 0}});
  check_cases(Activation(A::kSquareplus),
              {{-kInf, 0, 0}, {kInf, kInf, 1}, {big, big, 1}, {-big, 4 / (4.0 * big), 0}});
  check_cases(Activation(A::kSparsePlus), {{-kInf, 0, 0}, {kInf, kInf, 1}});
  check_cases(Activation(A::kSoftsign),
              {{kInf, 1, 0}, {-kInf, -1, 0}, {-0.0f, -0.0, 1}, {big, 1, 0}});
  check_cases(Activation(A::kSoftshrink), {{kInf, kInf, 1}, {-kInf, -kInf, 1}, {-0.0f, 0, 0}});
  check_cases(Activation(A::kHardshrink), {{kInf, kInf, 1}, {-kInf, -kInf, 1}});
  const double tanh_at_1e3 = std::tanh(static_cast<double>(1e-3f));
  const double tanhshrink_at_1e3 = static_cast<double>(1e-3f) - tanh_at_1e3;
  check_cases(Activation(A::kTanhshrink), {{kInf, kInf, 1},
                                           {-kInf, -kInf, 1},
                                           {0, 0, 0},
                                           {-0.0f, -0.0, 0},
                                           {1e-3f, tanhshrink_at_1e3, tanh_at_1e3 * tanh_at_1e3}});
  check_cases(Activation(A::kBinaryStep), {{kInf, 1, 0}, {-kInf, 0, 0}});
  check_cases(Activation(A::kIdentity), {{kInf, kInf, 1}, {-kInf, -kInf, 1}});
  // Odd or linear-through-0 activations keep −0; dead zones give +0.
  const double rrelu_mean = (1.0 / 8 + static_cast<double>(1.0f / 3)) / 2;
  check_cases(Activation(A::kCelu), {{-0.0f, -0.0, 1}});
  check_cases(with(A::kCelu, {{"alpha", 2.5}}), {{-0.0f, -0.0, 1}});
  check_cases(Activation(A::kRrelu), {{-0.0f, -0.0, static_cast<float>(rrelu_mean)}});
  check_cases(Activation(A::kSilu), {{-0.0f, -0.0, 0.5}});
  check_cases(Activation(A::kMish), {{-0.0f, -0.0, 0.6}});
  check_cases(Activation(A::kHardswish), {{-0.0f, -0.0, 0.5}});
  check_cases(Activation(A::kRelu), {{-0.0f, 0.0, 0}});
  check_cases(Activation(A::kHardshrink), {{-0.0f, 0.0, 0}});
}

// NaN in gives NaN out, forward and backward, for every elementwise activation and setting
// (relu(NaN) = NaN, never 0; softshrink(NaN) = NaN although PyTorch 1.13 gives 0).
TEST(KernelConventions, NaNPropagatesForwardAndBackward) {
  for (ActivationId id : elementwise_ids()) {
    for (const Activation& act : test::parameter_settings(id)) {
      const float x = kNaN;
      float y = 0, d = 0;
      const float one = 1.0f;
      kernels::forward(act, std::span<const float>(&x, 1), std::span<float>(&y, 1));
      EXPECT_TRUE(std::isnan(y)) << act.to_string() << "(NaN) = " << y;
      kernels::backward(act, std::span<const float>(&x, 1), std::span<const float>(&one, 1),
                        std::span<float>(&d, 1));
      EXPECT_TRUE(std::isnan(d)) << act.to_string() << "'(NaN) = " << d;
    }
  }
}

// Every elementwise activation at ±inf equals the reference's limit (never NaN), and at ±0
// and denormals stays within the bound (no flush to zero).
TEST(KernelConventions, SpecialValuesMatchReferenceForEverySetting) {
  const std::vector<float> xs = test::special_values();
  for (ActivationId id : elementwise_ids()) {
    for (const Activation& act : test::parameter_settings(id)) {
      const Activation ref_act = test::with_float_params(act);
      std::vector<float> y(xs.size());
      kernels::forward(act, xs, y);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const double want = reference::forward(ref_act, xs[i]);
        EXPECT_FALSE(std::isnan(y[i])) << act.to_string() << "(" << xs[i] << ") is NaN";
        EXPECT_LE(ulp_error(y[i], want), act.info().ulp.forward)
            << act.to_string() << "(" << xs[i] << ") = " << y[i] << ", reference " << want;
      }
    }
  }
}

// ---------------------------------------------------------------- in place

std::vector<float> mixed_inputs() {
  std::vector<float> xs = random_floats(2000, 6.0f, 11);
  const std::vector<float> specials = test::special_values();
  xs.insert(xs.end(), specials.begin(), specials.end());
  xs.push_back(kNaN);
  return xs;
}

TEST(KernelInPlace, ElementwiseForwardAndBackwardGiveTheSameBits) {
  const std::vector<float> xs = mixed_inputs();
  const std::vector<float> dy = random_floats(xs.size(), 1.0f, 12);
  for (ActivationId id : elementwise_ids()) {
    for (const Activation& act : test::parameter_settings(id)) {
      std::vector<float> out(xs.size());
      kernels::forward(act, xs, out);
      std::vector<float> in_place = xs;
      kernels::forward(act, in_place, in_place);
      const std::vector<float>& saved =
          act.info().backward_from == BackwardFrom::kOutput ? out : xs;
      std::vector<float> grad(xs.size());
      kernels::backward(act, saved, dy, grad);
      std::vector<float> grad_in_place = dy;
      kernels::backward(act, saved, grad_in_place, grad_in_place);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        ASSERT_TRUE(same_bits(out[i], in_place[i]))
            << act.to_string() << " forward in place at x = " << xs[i] << ": " << in_place[i]
            << " vs " << out[i];
        ASSERT_TRUE(same_bits(grad[i], grad_in_place[i]))
            << act.to_string() << " backward in place at x = " << xs[i];
      }
    }
  }
}

TEST(KernelInPlace, SoftmaxFamilyForwardAndBackwardGiveTheSameBits) {
  const Shape shape{3, 5, 4};
  const std::vector<float> xs = random_floats(element_count(shape), 3.0f, 13);
  const std::vector<float> dy = random_floats(xs.size(), 1.0f, 14);
  for (ActivationId id :
       {ActivationId::kSoftmax, ActivationId::kLogSoftmax, ActivationId::kSoftmin}) {
    for (int dim : {0, 1, -1}) {
      Activation act(id);
      act.set("dim", dim).set("temperature", 0.7);
      std::vector<float> out(xs.size());
      kernels::forward(act, shape, xs, out);
      std::vector<float> in_place = xs;
      kernels::forward(act, shape, in_place, in_place);
      std::vector<float> grad(xs.size());
      kernels::backward(act, shape, out, dy, grad);
      std::vector<float> grad_in_place = dy;
      kernels::backward(act, shape, out, grad_in_place, grad_in_place);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        ASSERT_TRUE(same_bits(out[i], in_place[i])) << act.to_string() << " forward at " << i;
        ASSERT_TRUE(same_bits(grad[i], grad_in_place[i]))
            << act.to_string() << " backward at " << i;
      }
    }
  }
}

// ---------------------------------------------------------------- along a dimension

// Error of a softmax-family gradient in ULPs of max(|reference|, the size of the terms it is
// the difference of): dx_k = y_k·(dy_k − Σ dy_j·y_j)/T cancels when dy_k ≈ the dot
// product, which no float computation can resolve better than the terms (conventions.md).
// (The kernel's saved y carries its own rounding; even exact arithmetic from it is only
// as good as y, so the bound has a little room above the kernel's own ~1 ULP.)
std::vector<double> gradient_scales(const Activation& act, std::span<const std::size_t> shape,
                                    const std::vector<double>& x, const std::vector<double>& dy) {
  std::vector<double> scale(x.size(), 0.0);
  if (act.id() != ActivationId::kSoftmax && act.id() != ActivationId::kSoftmin &&
      act.id() != ActivationId::kLogSoftmax) {
    return scale;
  }
  // p = softmax(±x/T) from the reference itself (log_softmax → exp).
  std::vector<double> p(x.size());
  reference::forward(act, shape, x, p);
  if (act.id() == ActivationId::kLogSoftmax) {
    for (double& v : p) v = std::exp(v);
  }
  const double temperature = act.get("temperature");
  const DimSplit split = split_at_dim(shape, static_cast<int>(act.get("dim")));
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t i = 0; i < split.inner; ++i) {
      const auto at = [&](std::size_t k) { return (o * split.size + k) * split.inner + i; };
      double abs_dot = 0, abs_sum = 0;
      for (std::size_t k = 0; k < split.size; ++k) {
        abs_dot += std::fabs(dy[at(k)]) * p[at(k)];
        abs_sum += std::fabs(dy[at(k)]);
      }
      for (std::size_t k = 0; k < split.size; ++k) {
        scale[at(k)] = act.id() == ActivationId::kLogSoftmax
                           ? (std::fabs(dy[at(k)]) + p[at(k)] * abs_sum) / temperature
                           : p[at(k)] * (std::fabs(dy[at(k)]) + abs_dot) / temperature;
      }
    }
  }
  return scale;
}

// An input whose exact softmax(±x/T) (or log_softmax) is the saved float output y, up to
// the normalisation Σy = 1 that y holds to within its rounding: x = T·log y for softmax,
// −T·log y for softmin, T·y for log_softmax.
std::vector<double> along_dim_preimage(const Activation& act, const std::vector<float>& y) {
  const double temperature = act.get("temperature");
  std::vector<double> x(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = y[i];
    switch (act.id()) {
      case ActivationId::kSoftmax:
        x[i] = temperature * std::log(v);
        break;
      case ActivationId::kSoftmin:
        x[i] = -temperature * std::log(v);
        break;
      case ActivationId::kLogSoftmax:
        x[i] = temperature * v;
        break;
      default:
        ADD_FAILURE() << "no preimage for " << act.name();
        break;
    }
  }
  return x;
}

struct AlongDimWorst {
  Worst forward;
  Worst backward;
};

void check_along_dim(const Activation& act, const Shape& shape, const std::vector<float>& xs,
                     AlongDimWorst& worst) {
  const Shape out_shape = output_shape(act, shape);
  const Activation ref_act = test::with_float_params(act);
  const std::size_t n_out = element_count(out_shape);
  std::vector<float> y(n_out);
  kernels::forward(act, shape, xs, y);
  const std::vector<double> x_ref(xs.begin(), xs.end());
  std::vector<double> y_ref(n_out);
  reference::forward(ref_act, shape, x_ref, y_ref);
  const std::string where = act.to_string() + " on shape " + std::to_string(shape.size()) + "-d";
  // The reference computes log_softmax's log Σ as log(1 + t) in double, which loses t below
  // 2^-53 (it gives exactly 0 for the maximum where the true value is −t ≈ −1e-18), so near
  // 0 it is only good to about 2^-52 absolute; the floor 2^-26 measures there in float ULPs
  // of 2^-26 (2^-49), where that is 0.1 ULP. The maximum's value is checked against a
  // hand-computed −log1p(t) in LogSoftmaxKeepsTheMaximumsTinyValue.
  const double floor = act.id() == ActivationId::kLogSoftmax ? std::ldexp(1.0, -26) : 0.0;
  for (std::size_t i = 0; i < n_out; ++i) {
    const double e = ulp_error(y[i], y_ref[i], floor);
    worst.forward.update(e, static_cast<float>(i), y[i], y_ref[i]);
    EXPECT_LE(e, act.info().ulp.forward)
        << where << " forward at " << i << ": " << y[i] << " vs reference " << y_ref[i];
  }
  const std::vector<float> dy = random_floats(n_out, 1.0f, 21);
  const std::vector<double> dy_ref(dy.begin(), dy.end());
  std::vector<float> dx(xs.size());
  const bool from_output = act.info().backward_from == BackwardFrom::kOutput;
  kernels::backward(act, shape, from_output ? y : xs, dy, dx);
  // From the output, the fair reference is the exact gradient at the saved y (the forward's
  // rounding is not the backward's error): the reference at a preimage of y.
  const std::vector<double> at = from_output ? along_dim_preimage(act, y) : x_ref;
  std::vector<double> dx_ref(xs.size());
  reference::backward(ref_act, shape, at, dy_ref, dx_ref);
  const std::vector<double> scale = gradient_scales(ref_act, shape, at, dy_ref);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double e = ulp_error(dx[i], dx_ref[i], scale[i]);
    worst.backward.update(e, static_cast<float>(i), dx[i], dx_ref[i]);
    EXPECT_LE(e, act.info().ulp.backward)
        << where << " backward at " << i << ": " << dx[i] << " vs reference " << dx_ref[i];
  }
}

TEST(KernelAlongDim, MatchesReferenceOnRandomArraysShapesDimsAndTemperatures) {
  const std::vector<Shape> shapes{{12},   {4, 6},  {3, 4, 6}, {2, 6, 1, 4}, {5, 1},
                                  {1, 1}, {6, 12}, {8, 1000}, {64, 10},     {16, 2, 50}};
  std::printf(
      "\nAlong-dim max error in ULP (softmax family backward: ULPs of max(|ref|, terms))\n");
  for (ActivationId id : along_dim_ids()) {
    for (const Activation& base : test::parameter_settings(id)) {
      AlongDimWorst worst;
      for (const Shape& shape : shapes) {
        for (int dim : {0, 1, -1}) {
          if (dim >= static_cast<int>(shape.size())) continue;
          Activation act = base;
          act.set("dim", dim);
          try {
            (void)output_shape(act, shape);
          } catch (const Error&) {
            continue;  // glu on an odd size, maxout on a size not a multiple of pieces
          }
          std::uint32_t seed = 31;
          for (float scale : {0.5f, 3.0f, 20.0f, 300.0f}) {
            check_along_dim(act, shape, random_floats(element_count(shape), scale, seed++), worst);
          }
        }
      }
      std::printf("%-44s forward %7.3f (bound %g)  backward %7.3f (bound %g)\n",
                  base.to_string().c_str(), worst.forward.ulp, base.info().ulp.forward,
                  worst.backward.ulp, base.info().ulp.backward);
    }
  }
  std::fflush(stdout);
}

TEST(KernelAlongDim, LargeAndSmallLogitsAndRowsOfOne) {
  const Shape pair{2};
  std::vector<float> y(2);
  kernels::forward(Activation(ActivationId::kSoftmax), pair, std::vector<float>{1000, 0}, y);
  EXPECT_EQ(y, (std::vector<float>{1, 0}));
  kernels::forward(Activation(ActivationId::kSoftmax), pair, std::vector<float>{-1000, 0}, y);
  EXPECT_EQ(y, (std::vector<float>{0, 1}));
  kernels::forward(Activation(ActivationId::kSoftmin), pair, std::vector<float>{1000, 0}, y);
  EXPECT_EQ(y, (std::vector<float>{0, 1}));
  kernels::forward(Activation(ActivationId::kLogSoftmax), pair, std::vector<float>{1000, 0}, y);
  EXPECT_EQ(y, (std::vector<float>{0, -1000}));
  kernels::forward(Activation(ActivationId::kSoftmax).set("temperature", 0.01), pair,
                   std::vector<float>{1e30f, -1e30f}, y);
  EXPECT_EQ(y, (std::vector<float>{1, 0}));
  kernels::forward(Activation(ActivationId::kSoftmax), pair, std::vector<float>{-kInf, 0}, y);
  EXPECT_EQ(y, (std::vector<float>{0, 1}));
  // Equal logits: exactly uniform.
  std::vector<float> four(4);
  kernels::forward(Activation(ActivationId::kSoftmax), Shape{4}, std::vector<float>(4, 123.0f),
                   four);
  EXPECT_EQ(four, std::vector<float>(4, 0.25f));
  // Rows of one: softmax 1, log_softmax 0, gradient 0.
  const Shape column{5, 1};
  const std::vector<float> xs = random_floats(5, 100.0f, 41);
  std::vector<float> out(5), grad(5);
  kernels::forward(Activation(ActivationId::kSoftmax), column, xs, out);
  EXPECT_EQ(out, std::vector<float>(5, 1.0f));
  kernels::backward(Activation(ActivationId::kSoftmax), column, out, xs, grad);
  EXPECT_EQ(grad, std::vector<float>(5, 0.0f));
  kernels::forward(Activation(ActivationId::kLogSoftmax), column, xs, out);
  EXPECT_EQ(out, std::vector<float>(5, 0.0f));
  // NaN anywhere in a row makes that row NaN, and only that row.
  std::vector<float> rows{1, kNaN, 2, 3, 4, 5};
  std::vector<float> rows_out(6);
  kernels::forward(Activation(ActivationId::kSoftmax), Shape{2, 3}, rows, rows_out);
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(std::isnan(rows_out[k])) << k;
  for (int k = 3; k < 6; ++k) EXPECT_FALSE(std::isnan(rows_out[k])) << k;
}

// log_softmax of the maximum is −log1p(Σ others), not log(1 + Σ others) (which is 0 once
// the sum is below the float spacing at 1).
TEST(KernelAlongDim, LogSoftmaxKeepsTheMaximumsTinyValue) {
  std::vector<float> y(3);
  kernels::forward(Activation(ActivationId::kLogSoftmax), Shape{3}, std::vector<float>{0, -50, -60},
                   y);
  const double want = -std::log1p(std::exp(-50.0) + std::exp(-60.0));
  EXPECT_LE(ulp_error(y[0], want), 1) << y[0] << " vs " << want;
  EXPECT_LE(ulp_error(y[1], -50 + want), 1) << y[1];
  EXPECT_LE(ulp_error(y[2], -60 + want), 1) << y[2];
  std::vector<float> p(3);
  kernels::forward(Activation(ActivationId::kSoftmax), Shape{3}, std::vector<float>{0, -50, -60},
                   p);
  EXPECT_LE(ulp_error(p[1], std::exp(-50 + want)), 1) << p[1];
}

TEST(KernelAlongDim, MaxoutRoutesGradientToFirstMaximum) {
  const Activation act = Activation(ActivationId::kMaxout).set("pieces", 3);
  const Shape shape{2, 6};
  const std::vector<float> xs{1, 5, 5, -1, -2, -3, kNaN, 9, 9, 0, 0, 0};
  std::vector<float> y(4);
  kernels::forward(act, shape, xs, y);
  EXPECT_EQ(y[0], 5);
  EXPECT_EQ(y[1], -1);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[3], 0);
  std::vector<float> dx(12);
  kernels::backward(act, shape, xs, std::vector<float>{10, 20, 30, 40}, dx);
  EXPECT_EQ(dx, (std::vector<float>{0, 10, 0, 20, 0, 0, 30, 0, 0, 40, 0, 0}));
}

// ---------------------------------------------------------------- PReLU

TEST(KernelPrelu, PerChannelForwardAndSlopeGradientMatchReferenceAndFiniteDifferences) {
  const Shape shape{3, 4, 2, 5};  // (N, C, H, W)
  const std::vector<float> slopes{0.25f, -0.5f, 0.0f, 2.0f};
  std::vector<float> xs = random_floats(element_count(shape), 2.0f, 51);
  xs[7] = 0.0f;
  const std::vector<float> dy = random_floats(xs.size(), 1.0f, 52);
  std::vector<float> y(xs.size()), dx(xs.size());
  kernels::prelu_forward(slopes, shape, xs, y);
  std::vector<float> diff_slopes(4, 0.0f);
  kernels::prelu_backward(slopes, shape, xs, dy, dx, diff_slopes);

  const std::size_t inner = 10;
  std::vector<double> want_slopes(4, 0.0);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::size_t c = (i / inner) % 4;
    const Activation act = Activation(ActivationId::kPrelu).set("slope", slopes[c]);
    const double want_y = reference::forward(act, xs[i]);
    EXPECT_LE(ulp_error(y[i], want_y), act.info().ulp.forward) << "forward at " << i;
    const double want_dx = dy[i] * reference::derivative(act, xs[i]);
    EXPECT_LE(ulp_error(dx[i], want_dx), act.info().ulp.backward + 0.5) << "backward at " << i;
    want_slopes[c] += static_cast<double>(dy[i]) * std::min(0.0, static_cast<double>(xs[i]));
  }
  // ∂L/∂slope_c by central differences of L = Σ dy·prelu(x; slope) (linear in slope, so
  // the difference is exact up to rounding).
  for (std::size_t c = 0; c < 4; ++c) {
    const double h = 1e-3;
    double plus = 0, minus = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if ((i / inner) % 4 != c) continue;
      const double x = xs[i];
      plus += dy[i] * (x > 0 ? x : (slopes[c] + h) * x);
      minus += dy[i] * (x > 0 ? x : (slopes[c] - h) * x);
    }
    const double finite_difference = (plus - minus) / (2 * h);
    EXPECT_NEAR(diff_slopes[c], want_slopes[c], 1e-6 * (1 + std::fabs(want_slopes[c]))) << c;
    EXPECT_NEAR(diff_slopes[c], finite_difference, 1e-6 * (1 + std::fabs(want_slopes[c]))) << c;
  }
  // diff_slopes accumulates.
  kernels::prelu_backward(slopes, shape, xs, dy, dx, diff_slopes);
  for (std::size_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(diff_slopes[c], 2 * want_slopes[c], 1e-6 * (1 + std::fabs(want_slopes[c]))) << c;
  }
}

TEST(KernelPrelu, SharedSlopeAndOneDimensionalChannels) {
  const std::vector<float> xs{-2, -1, 0, 1, 2, kNaN};
  std::vector<float> y(6), dx(6);
  std::vector<float> diff_slope{0.0f};
  kernels::prelu_forward(std::vector<float>{0.25f}, Shape{2, 3}, xs, y);
  EXPECT_EQ(y[0], -0.5f);
  EXPECT_EQ(y[4], 2.0f);
  EXPECT_TRUE(std::isnan(y[5]));
  kernels::prelu_backward(std::vector<float>{0.25f}, Shape{2, 3}, xs, std::vector<float>(6, 1.0f),
                          dx, diff_slope);
  EXPECT_EQ(dx[2], 0.25f);  // slope at 0
  EXPECT_EQ(dx[3], 1.0f);
  EXPECT_TRUE(std::isnan(diff_slope[0]));  // the NaN input reaches the slope gradient
  // A 1-d shape (C): one slope per element.
  std::vector<float> y3(3);
  kernels::prelu_forward(std::vector<float>{0.1f, 0.2f, 0.3f}, Shape{3},
                         std::vector<float>{-1, -1, -1}, y3);
  EXPECT_EQ(y3, (std::vector<float>{-0.1f, -0.2f, -0.3f}));
}

// ---------------------------------------------------------------- RReLU

TEST(KernelRrelu, TrainingSlopesAreReproducibleUniformAndSaved) {
  const Activation act(ActivationId::kRrelu);
  const float lower = 1.0f / 8, upper = 1.0f / 3;
  std::vector<float> xs = random_floats(100000, 1.0f, 61);
  xs[0] = 0.0f;
  xs[1] = -0.0f;
  std::vector<float> y1(xs.size()), s1(xs.size()), y2(xs.size()), s2(xs.size()), y3(xs.size()),
      s3(xs.size());
  kernels::rrelu_forward_train(act, 42, xs, y1, s1);
  kernels::rrelu_forward_train(act, 42, xs, y2, s2);
  kernels::rrelu_forward_train(act, 43, xs, y3, s3);
  double slope_sum = 0;
  std::size_t negatives = 0, differing = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    ASSERT_TRUE(same_bits(y1[i], y2[i]) && same_bits(s1[i], s2[i]))
        << "seed 42 twice differs at " << i;
    if (xs[i] > 0) {
      ASSERT_EQ(s1[i], 1.0f) << i;
      ASSERT_EQ(y1[i], xs[i]) << i;
      continue;
    }
    ASSERT_GE(s1[i], lower) << i;
    ASSERT_LE(s1[i], upper) << i;
    ASSERT_TRUE(same_bits(y1[i], s1[i] * xs[i])) << i;
    slope_sum += s1[i];
    ++negatives;
    if (s1[i] != s3[i]) ++differing;
  }
  EXPECT_GT(differing, negatives * 99 / 100) << "seed 43 should draw other slopes";
  const double mean = slope_sum / static_cast<double>(negatives);
  const double sd_of_mean = (upper - lower) / std::sqrt(12.0 * static_cast<double>(negatives));
  EXPECT_NEAR(mean, (lower + upper) / 2.0, 5 * sd_of_mean);
  // x = 0 draws a slope too (PyTorch: x ≤ 0), so rrelu'(0) is the drawn slope.
  EXPECT_NE(s1[0], 1.0f);
  EXPECT_NE(s1[1], 1.0f);

  // Element i's slope depends on (seed, i) only: changing the other inputs leaves it.
  std::vector<float> other = xs;
  for (std::size_t i = 1; i < other.size(); i += 2) other[i] = -other[i];
  std::vector<float> y4(xs.size()), s4(xs.size());
  kernels::rrelu_forward_train(act, 42, other, y4, s4);
  for (std::size_t i = 0; i < xs.size(); i += 2) {
    if (xs[i] <= 0) {
      ASSERT_EQ(s4[i], s1[i]) << i;
    }
  }

  // Backward multiplies by the saved slopes.
  const std::vector<float> dy = random_floats(xs.size(), 1.0f, 62);
  std::vector<float> dx(xs.size());
  kernels::rrelu_backward_train(s1, dy, dx);
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_TRUE(same_bits(dx[i], dy[i] * s1[i])) << i;
}

// ---------------------------------------------------------------- size checks

std::string error_of(const std::function<void()>& f,
                     ErrorCode expected = ErrorCode::kInvalidArgument) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(expected)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an actlab::Error";
  return "";
}

TEST(KernelErrors, SizeMismatchesNameTheSizes) {
  const Activation relu(ActivationId::kRelu);
  std::vector<float> six(6), five(5), twelve(12);
  EXPECT_NE(error_of([&] { kernels::forward(relu, six, five); }).find("5 elements, but src has 6"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kernels::backward(relu, six, six, five); }).find("diff_src has 5"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kernels::backward(relu, six, five, six); }).find("diff_dst has 5"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kernels::forward(relu, Shape{2, 3}, five, five);
            }).find("src has 5 elements, but shape (2, 3) has 6"),
            std::string::npos);
  const Activation softmax(ActivationId::kSoftmax);
  EXPECT_NE(error_of([&] { kernels::forward(softmax, six, six); }).find("works along a dimension"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { kernels::backward(softmax, six, six, six); }).find("works along a dimension"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              kernels::forward(softmax, Shape{2, 3}, six, five);
            }).find("dst has 5 elements, but the output shape (2, 3) has 6"),
            std::string::npos);
  const Activation glu(ActivationId::kGlu);
  EXPECT_NE(error_of([&] {
              kernels::forward(glu, Shape{2, 3}, six, six);
            }).find("odd"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kernels::forward(glu, Shape{2, 6}, twelve, twelve);
            }).find("dst has 12 elements, but the output shape (2, 3) has 6"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kernels::backward(glu, Shape{2, 6}, twelve, twelve, twelve);
            }).find("diff_dst has 12 elements"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] {
        kernels::forward(Activation(ActivationId::kSoftmax).set("dim", 2), Shape{2, 3}, six, six);
      }).find("out of range"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              kernels::prelu_forward(std::vector<float>(2), Shape{2, 3}, six, six);
            }).find("slopes has 2 elements"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              std::vector<float> ds(2);
              kernels::prelu_backward(std::vector<float>(3), Shape{2, 3}, six, six, six, ds);
            }).find("diff_slopes has 2 elements"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kernels::rrelu_forward_train(Activation(ActivationId::kRrelu), 1, six, six, five);
            }).find("slopes has 5 elements"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { kernels::rrelu_forward_train(relu, 1, six, six, six); }).find("must be rrelu"),
      std::string::npos);
  EXPECT_NE(error_of([&] { kernels::rrelu_backward_train(six, five, six); }).find("diff_dst has 5"),
            std::string::npos);
}

}  // namespace
}  // namespace actlab
