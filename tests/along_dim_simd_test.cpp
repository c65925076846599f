// The vector softmax family (src/kernels/along_dim_simd.cpp) against the double reference
// and against the scalar loops of along_dim.cpp (the SCALAR target runs those), in the
// precision tier the process uses (ACTLAB_PRECISION; ctest runs both): every row
// length 1..40 (both vector layouts and every tail), dims other than the last (inner below
// and above the vector width), temperatures, arrays large enough to be split across
// threads, in-place calls, and the special values. Runs on whatever target the process uses
// (ACTLAB_TEST_SIMD_TARGET forces one), so `for t in "" AVX2 SSE4 SCALAR` covers them all.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <utility>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
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
constexpr double kSlack = 1e-6;  // the reference's own rounding, as in kernel_test

using test::random_floats;  // support/test_support.hpp
using test::same_bits;

const ActivationId kFamily[] = {ActivationId::kSoftmax, ActivationId::kSoftmin,
                                ActivationId::kLogSoftmax};

// Runs f with the kernels forced to `target`, then restores the target in use before.
template <class F>
void on_target(const std::string& target, F f) {
  const std::string before = simd_target();
  force_simd_target(target);
  f();
  force_simd_target(before);
}

// The gradient's error scale, as kernel_test's gradient_scales: ULPs of max(|ref|, the
// size of the terms it is the difference of), at the reference's own p.
std::vector<double> gradient_scales(const Activation& act, const Shape& shape,
                                    const std::vector<double>& x, const std::vector<double>& dy) {
  std::vector<double> p(x.size());
  reference::forward(act, shape, x, p);
  const bool log = act.id() == ActivationId::kLogSoftmax;
  if (log) {
    for (double& v : p) v = std::exp(v);
  }
  const double temperature = act.get("temperature");
  const DimSplit split = split_at_dim(shape, static_cast<int>(act.get("dim")));
  std::vector<double> scale(x.size());
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t i = 0; i < split.inner; ++i) {
      const auto at = [&](std::size_t k) { return (o * split.size + k) * split.inner + i; };
      double abs_dot = 0, abs_sum = 0;
      for (std::size_t k = 0; k < split.size; ++k) {
        abs_dot += std::fabs(dy[at(k)]) * p[at(k)];
        abs_sum += std::fabs(dy[at(k)]);
      }
      for (std::size_t k = 0; k < split.size; ++k) {
        scale[at(k)] = log ? (std::fabs(dy[at(k)]) + p[at(k)] * abs_sum) / temperature
                           : p[at(k)] * (std::fabs(dy[at(k)]) + abs_dot) / temperature;
      }
    }
  }
  return scale;
}

// The input whose exact result is the saved y (kernel_test's along_dim_preimage), for the
// reference's act (its temperature is the float the kernel uses: with 0.7 in double the
// preimage of y = 1e-30 would be off by 69·(0.7/0.7f − 1) ≈ 1e-6 in the exponent).
std::vector<double> preimage(const Activation& act, const std::vector<float>& y) {
  const double temperature = act.get("temperature");
  std::vector<double> x(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = y[i];
    x[i] = act.id() == ActivationId::kSoftmax   ? temperature * std::log(v)
           : act.id() == ActivationId::kSoftmin ? -temperature * std::log(v)
                                                : temperature * v;
  }
  return x;
}

struct Max {
  double forward = 0;
  double backward = 0;
};

// Forward and backward of act on shape against the reference (bounds from the table), and
// in place against out of place (same bits). Returns the worst errors.
Max check(const Activation& act, const Shape& shape, std::uint32_t seed, float scale) {
  const std::size_t n = element_count(shape);
  const std::vector<float> xs = random_floats(n, scale, seed);
  const std::vector<float> dy = random_floats(n, 1.0f, seed + 1000);
  std::vector<float> y(n), dx(n);
  kernels::forward(act, shape, xs, y);
  kernels::backward(act, shape, y, dy, dx);
  const Activation ref_act = test::with_float_params(act);
  const std::string where = act.to_string() + " shape " + std::to_string(shape.size()) + "-d [" +
                            std::to_string(shape.front()) + "…" + std::to_string(shape.back()) +
                            "] seed " + std::to_string(seed);
  Max worst;
  std::vector<double> y_ref(n);
  reference::forward(ref_act, shape, std::vector<double>(xs.begin(), xs.end()), y_ref);
  const double floor = act.id() == ActivationId::kLogSoftmax ? std::ldexp(1.0, -26) : 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = ulp_error(y[i], y_ref[i], floor);
    worst.forward = std::max(worst.forward, e);
    EXPECT_LE(e, act.info().ulp.forward + kSlack) << where << " forward at " << i;
  }
  const std::vector<double> at = preimage(ref_act, y);
  const std::vector<double> dy_ref(dy.begin(), dy.end());
  std::vector<double> dx_ref(n);
  reference::backward(ref_act, shape, at, dy_ref, dx_ref);
  const std::vector<double> scales = gradient_scales(ref_act, shape, at, dy_ref);
  for (std::size_t i = 0; i < n; ++i) {
    const double e = ulp_error(dx[i], dx_ref[i], scales[i]);
    worst.backward = std::max(worst.backward, e);
    EXPECT_LE(e, act.info().ulp.backward + kSlack) << where << " backward at " << i;
  }
  std::vector<float> in_place = xs;
  kernels::forward(act, shape, in_place, in_place);
  std::vector<float> grad_in_place = dy;
  kernels::backward(act, shape, y, grad_in_place, grad_in_place);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(same_bits(in_place[i], y[i])) << where << " forward in place at " << i;
    EXPECT_TRUE(same_bits(grad_in_place[i], dx[i])) << where << " backward in place at " << i;
  }
  return worst;
}

TEST(AlongDimSimd, EveryRowLengthFrom1To40WithinTheTablesBounds) {
  for (ActivationId id : kFamily) {
    for (double temperature : {1.0, 0.5, 2.5, 0.3}) {
      Max worst;
      Activation act(id);
      act.set("temperature", temperature);
      for (std::size_t row = 1; row <= 40; ++row) {
        // 37 rows: two whole batches of 16 (or four of 8) and a partial one.
        for (const Shape& shape : {Shape{row}, Shape{37, row}}) {
          for (float scale : {0.5f, 4.0f, 40.0f}) {
            const Max m = check(act, shape, static_cast<std::uint32_t>(row * 7 + shape.size()),
                                scale);
            worst.forward = std::max(worst.forward, m.forward);
            worst.backward = std::max(worst.backward, m.backward);
          }
        }
      }
      std::printf("%-12s T = %.1f rows 1..40 (%s): forward %.3f ULP, backward %.3f ULP\n",
                  std::string(act.name()).c_str(), temperature, simd_target().c_str(),
                  worst.forward, worst.backward);
    }
  }
}

TEST(AlongDimSimd, DimsOtherThanTheLastAndLargeArrays) {
  // inner = 3 (< lanes: lines gathered), 40 (whole vectors of lines plus a rest), 17;
  // {300, 1000} and {1100, 257} are above the threading threshold (256K elements).
  const std::vector<std::pair<Shape, int>> cases{
      {{5, 9, 3}, 1},     {{2, 7, 40}, 1},  {{2, 40, 17}, 0}, {{2, 40, 17}, 1},
      {{2, 40, 17}, 2},   {{33, 64}, 0},    {{300, 1000}, 1}, {{1100, 257}, 0},
      {{4, 300, 40}, 1},  {{1, 1, 5}, -1},  {{6, 1}, 1},      {{1, 70}, 0}};
  for (ActivationId id : kFamily) {
    for (const auto& [shape, dim] : cases) {
      Activation act(id);
      act.set("dim", dim).set("temperature", 0.7);
      check(act, shape, 5 + static_cast<std::uint32_t>(element_count(shape)), 6.0f);
    }
  }
}

// Long rows (the Row layout's per-lane sums over many vectors, the fast tier's compensated
// and double sums, the scalar loops' double sums over 30,000 and 40,000 elements; a long line
// along dim 0, strided) and blocks of short rows (the fast tier's in-register transposes: 16
// or 8 rows at a time, every row length below two vectors, a partial block at the end).
TEST(AlongDimSimd, LongRowsAndBlocksOfShortRowsWithinTheTablesBounds) {
  for (ActivationId id : kFamily) {
    for (double temperature : {1.0, 0.5}) {
      Activation act(id);
      act.set("temperature", temperature);
      Max worst;
      for (const Shape& shape :
           {Shape{3, 4096}, Shape{2, 5000}, Shape{1, 1031}, Shape{1, 30000}, Shape{2, 40000}}) {
        const Max m = check(act, shape, static_cast<std::uint32_t>(shape.back()), 8.0f);
        worst.forward = std::max(worst.forward, m.forward);
        worst.backward = std::max(worst.backward, m.backward);
      }
      Activation along_0 = act;
      along_0.set("dim", 0);
      const Max m = check(along_0, Shape{30000, 3}, 77, 8.0f);
      worst.forward = std::max(worst.forward, m.forward);
      worst.backward = std::max(worst.backward, m.backward);
      std::printf("%-12s T = %.1f long rows (%s): forward %.3f ULP, backward %.3f ULP\n",
                  std::string(act.name()).c_str(), temperature, simd_target().c_str(),
                  worst.forward, worst.backward);
      for (std::size_t row = 2; row < 32; ++row) {
        check(act, Shape{53, row}, static_cast<std::uint32_t>(row + 500), 5.0f);
      }
    }
  }
}

// The scalar loops (along_dim.cpp: what the SSE4 and SCALAR targets run) compute each line
// in double and round each result once: within 0.5 ULP of the double reference (plus its
// own rounding), forward and backward (at p = y/Σy), on short and long rows, a long line
// along dim 0 and every temperature. (Float steps with carried hi + lo parts reached 2.05
// ULP forward on a 30,000-element row at T = 0.5, and 3.1 backward at T = 0.3.)
TEST(AlongDimSimd, TheScalarLoopsRoundEachResultOnce) {
  on_target("SCALAR", [] {
    for (ActivationId id : kFamily) {
      for (double temperature : {1.0, 0.5, 0.3, 2.5}) {
        Activation act(id);
        act.set("temperature", temperature);
        Activation along_0 = act;
        along_0.set("dim", 0);
        Max worst;
        std::uint32_t seed = 60;
        for (const auto& [a, shape] :
             std::vector<std::pair<Activation, Shape>>{{act, Shape{37, 1}},
                                                       {act, Shape{37, 7}},
                                                       {act, Shape{9, 40}},
                                                       {act, Shape{1, 30000}},
                                                       {along_0, Shape{30000, 3}},
                                                       {along_0, Shape{5, 11}}}) {
          for (float scale : {0.5f, 8.0f, 40.0f}) {
            const Max m = check(a, shape, seed++, scale);
            worst.forward = std::max(worst.forward, m.forward);
            worst.backward = std::max(worst.backward, m.backward);
          }
        }
        std::printf("%-12s T = %.1f scalar loops: forward %.7f ULP, backward %.7f ULP\n",
                    std::string(act.name()).c_str(), temperature, worst.forward, worst.backward);
        EXPECT_LE(worst.forward, 0.5 + kSlack) << act.to_string();
        EXPECT_LE(worst.backward, 0.5 + kSlack) << act.to_string();
      }
    }
  });
}

// A line's bits do not depend on the batch, layout path or thread that computed it: each
// row of a large array (split across threads, rows batched) equals that row alone.
TEST(AlongDimSimd, ALinesBitsDoNotDependOnItsNeighbours) {
  for (ActivationId id : kFamily) {
    for (std::size_t row : {10, 33, 1000}) {
      const std::size_t rows = 300000 / row;  // above the threading threshold
      const Shape shape{rows, row};
      const std::vector<float> xs = random_floats(rows * row, 5.0f, 3);
      const std::vector<float> dy = random_floats(rows * row, 1.0f, 4);
      const Activation act(id);
      std::vector<float> y(xs.size()), dx(xs.size());
      kernels::forward(act, shape, xs, y);
      kernels::backward(act, shape, y, dy, dx);
      for (std::size_t r : {std::size_t{0}, std::size_t{1}, rows / 2 + 3, rows - 1}) {
        const Shape one{row};
        std::vector<float> y1(row), dx1(row);
        kernels::forward(act, one, std::span(xs).subspan(r * row, row), y1);
        kernels::backward(act, one, std::span<const float>(y).subspan(r * row, row),
                          std::span(dy).subspan(r * row, row), dx1);
        for (std::size_t k = 0; k < row; ++k) {
          ASSERT_TRUE(same_bits(y1[k], y[r * row + k])) << act.to_string() << " row " << r << " k " << k;
          ASSERT_TRUE(same_bits(dx1[k], dx[r * row + k])) << act.to_string() << " row " << r;
        }
      }
    }
  }
}

// NaN lines, ±inf, −inf entries, rows of one and huge logits give what the scalar loops
// give (NaN where they give NaN, the same exact 0, 1 and −inf), for every row length
// through both layouts.
TEST(AlongDimSimd, SpecialValuesAsTheScalarLoops) {
  for (std::size_t row : {1, 2, 5, 16, 17, 40, 100}) {
    std::vector<std::vector<float>> lines;
    for (std::size_t at : {std::size_t{0}, row / 2, row - 1}) {
      for (float special : {kNaN, kInf, -kInf, 1e30f, -1e30f, 3e38f}) {
        std::vector<float> line = random_floats(row, 3.0f, static_cast<std::uint32_t>(at + row));
        line[at] = special;
        lines.push_back(line);
      }
    }
    lines.push_back(std::vector<float>(row, -kInf));
    lines.push_back(std::vector<float>(row, 123.0f));
    std::vector<float> xs;
    for (const auto& l : lines) xs.insert(xs.end(), l.begin(), l.end());
    const Shape shape{lines.size(), row};
    const std::vector<float> dy = random_floats(xs.size(), 1.0f, 9);
    for (ActivationId id : kFamily) {
      for (double temperature : {1.0, 0.01}) {
        Activation act(id);
        act.set("temperature", temperature);
        std::vector<float> y(xs.size()), dx(xs.size()), y_s(xs.size()), dx_s(xs.size());
        kernels::forward(act, shape, xs, y);
        kernels::backward(act, shape, y, dy, dx);
        on_target("SCALAR", [&] {
          kernels::forward(act, shape, xs, y_s);
          kernels::backward(act, shape, y, dy, dx_s);
        });
        for (std::size_t i = 0; i < xs.size(); ++i) {
          const std::string where = act.to_string() + " row " + std::to_string(row) + " at " +
                                    std::to_string(i) + " x = " + std::to_string(xs[i]);
          ASSERT_EQ(std::isnan(y[i]), std::isnan(y_s[i])) << where << ": " << y[i] << " vs " << y_s[i];
          ASSERT_EQ(std::isnan(dx[i]), std::isnan(dx_s[i])) << where << " backward";
          if (y_s[i] == 0 || y_s[i] == 1 || std::isinf(y_s[i])) {
            EXPECT_EQ(y[i], y_s[i]) << where;
          } else if (!std::isnan(y_s[i])) {
            EXPECT_LE(ulp_error(y[i], y_s[i]), 2 * act.info().ulp.forward) << where;
          }
        }
      }
    }
  }
}

// glu (vectorised on the FMA targets): forward and backward against the double reference
// within the table's bounds for half-blocks of every length 1..40 (vector tails) and dims
// other than the last; special values (NaN, ±inf, ±0, |b| beyond the e^(−64) tail, huge a)
// as the scalar loops give them (the same NaNs, zeros and infinities).
TEST(AlongDimSimd, GluWithinTheTablesBoundsAndSpecialValuesAsTheScalarLoops) {
  const Activation base(ActivationId::kGlu);
  double worst_f = 0, worst_b = 0;
  for (std::size_t half = 1; half <= 40; ++half) {
    for (const auto& [shape, dim] : std::vector<std::pair<Shape, int>>{
             {{3, 2 * half}, 1}, {{2 * half, 5}, 0}, {{2, 2 * half, 3}, 1}}) {
      Activation act = base;
      act.set("dim", dim);
      const Shape out = output_shape(act, shape);
      const std::size_t n = element_count(shape), m = element_count(out);
      const std::vector<float> xs = random_floats(n, 8.0f, static_cast<std::uint32_t>(half));
      const std::vector<float> dy = random_floats(m, 1.0f, static_cast<std::uint32_t>(half + 99));
      std::vector<float> y(m), dx(n);
      kernels::forward(act, shape, xs, y);
      kernels::backward(act, shape, xs, dy, dx);
      const std::vector<double> xd(xs.begin(), xs.end()), dyd(dy.begin(), dy.end());
      std::vector<double> y_ref(m), dx_ref(n);
      reference::forward(act, shape, xd, y_ref);
      reference::backward(act, shape, xd, dyd, dx_ref);
      for (std::size_t i = 0; i < m; ++i) {
        const double e = ulp_error(y[i], y_ref[i]);
        worst_f = std::max(worst_f, e);
        ASSERT_LE(e, act.info().ulp.forward + kSlack) << "glu forward, half " << half << " at " << i;
      }
      for (std::size_t i = 0; i < n; ++i) {
        const double e = ulp_error(dx[i], dx_ref[i]);
        worst_b = std::max(worst_b, e);
        ASSERT_LE(e, act.info().ulp.backward + kSlack) << "glu backward, half " << half << " at " << i;
      }
    }
  }
  std::printf("glu (%s): forward %.3f ULP, backward %.3f ULP\n", simd_target().c_str(), worst_f,
              worst_b);
  // Every pair (a, b) of special values, 19 halves so that a tail is involved.
  const std::vector<float> special{kNaN, kInf, -kInf, 0.0f, -0.0f, 1e30f, -1e30f, 70.0f,
                                   -70.0f, 100.0f, -100.0f, 1.5f, -2.5f, 3e38f, -1e-40f};
  std::vector<float> as, bs;
  for (float a : special) {
    for (float b : special) {
      as.push_back(a);
      bs.push_back(b);
    }
  }
  const std::size_t half = as.size();
  std::vector<float> xs(as);
  xs.insert(xs.end(), bs.begin(), bs.end());
  const Shape shape{2 * half};
  const std::vector<float> dy = random_floats(half, 2.0f, 5);
  std::vector<float> y(half), dx(2 * half), y_s(half), dx_s(2 * half);
  kernels::forward(base, shape, xs, y);
  kernels::backward(base, shape, xs, dy, dx);
  on_target("SCALAR", [&] {
    kernels::forward(base, shape, xs, y_s);
    kernels::backward(base, shape, xs, dy, dx_s);
  });
  const auto same = [&](float v, float v_s, const std::string& where) {
    ASSERT_EQ(std::isnan(v), std::isnan(v_s)) << where << ": " << v << " vs " << v_s;
    if (v_s == 0 || std::isinf(v_s)) {
      EXPECT_EQ(v, v_s) << where;
    } else if (!std::isnan(v_s)) {
      EXPECT_LE(ulp_error(v, v_s), 2 * base.info().ulp.forward) << where;
    }
  };
  for (std::size_t i = 0; i < half; ++i) {
    const std::string at = " a = " + std::to_string(as[i]) + ", b = " + std::to_string(bs[i]);
    same(y[i], y_s[i], "forward" + at);
    same(dx[i], dx_s[i], "da" + at);
    same(dx[half + i], dx_s[half + i], "db" + at);
  }
}

// maxout (vectorised where inner ≥ a vector, and along the last dim for 2 ≤ pieces < 2
// vectors): the same bits as the scalar loops (SCALAR target), forward and backward, with
// ties (±0 included), NaNs and infinities, every group count around the block and vector
// sizes, and in place.
TEST(AlongDimSimd, MaxoutGivesTheScalarLoopsBits) {
  const std::vector<float> values{1.0f, 2.0f, -3.0f, 0.0f, -0.0f, kInf, -kInf, kNaN, 2.0f, 7.5f};
  std::uint32_t seed = 1;
  for (std::size_t pieces : {1, 2, 3, 4, 5, 16, 20, 31, 33}) {
    for (const auto& [shape, dim] : std::vector<std::pair<Shape, int>>{
             {{3, 37 * pieces}, 1}, {{2, 17 * pieces}, 1}, {{1, 5 * pieces}, -1},
             {{2, 2 * pieces, 40}, 1}, {{2, 3 * pieces, 17}, 1}, {{pieces, 19}, 0}}) {
      Activation act(ActivationId::kMaxout);
      act.set("pieces", static_cast<double>(pieces)).set("dim", dim);
      const Shape out = output_shape(act, shape);
      const std::size_t n = element_count(shape), m = element_count(out);
      std::mt19937 rng(seed++);
      std::vector<float> xs(n);
      for (float& x : xs) {
        x = rng() % 4 == 0 ? values[rng() % values.size()] : static_cast<float>(rng() % 64) / 8;
      }
      const std::vector<float> dy = random_floats(m, 1.0f, seed);
      std::vector<float> y(m), dx(n), y_s(m), dx_s(n);
      kernels::forward(act, shape, xs, y);
      kernels::backward(act, shape, xs, dy, dx);
      on_target("SCALAR", [&] {
        kernels::forward(act, shape, xs, y_s);
        kernels::backward(act, shape, xs, dy, dx_s);
      });
      const std::string where = act.to_string() + " shape [" + std::to_string(shape.front()) +
                                "…" + std::to_string(shape.back()) + "]";
      for (std::size_t i = 0; i < m; ++i) {
        ASSERT_TRUE(same_bits(y[i], y_s[i])) << where << " forward at " << i << ": " << y[i]
                                             << " vs " << y_s[i];
      }
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(same_bits(dx[i], dx_s[i])) << where << " backward at " << i;
      }
      std::vector<float> in_place = xs;
      kernels::forward(act, shape, in_place, std::span<float>(in_place).first(m));
      for (std::size_t i = 0; i < m; ++i) {
        ASSERT_TRUE(same_bits(in_place[i], y[i])) << where << " forward in place at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace actlab
