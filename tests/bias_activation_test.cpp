// kernels::bias_forward (bias + activation in one pass) against adding the bias and then
// calling kernels::forward: the same bits for every elementwise activation at its default
// parameters and a few settings, for Dense-like (inner = 1) and Conv2d-like (inner = H·W)
// shapes, sizes around the block and threading thresholds, in place; and its argument errors.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "support/test_support.hpp"

namespace actlab {
namespace {

using test::random_floats;  // support/test_support.hpp
using test::same_bits;

// The unfused computation: z = src + bias[(i / inner) % C], then kernels::forward.
std::vector<float> add_then_forward(const Activation& act, const std::vector<float>& bias,
                                    std::size_t inner, const std::vector<float>& src) {
  std::vector<float> z(src.size());
  for (std::size_t i = 0; i < src.size(); ++i) z[i] = src[i] + bias[(i / inner) % bias.size()];
  std::vector<float> y(src.size());
  kernels::forward(act, z, y);
  return y;
}

// Asserts fused == unfused bit for bit, out of place and in place; prints the first bad entry.
void expect_same_bits(const Activation& act, const std::vector<float>& bias, std::size_t inner,
                      const std::vector<float>& src) {
  const std::vector<float> expected = add_then_forward(act, bias, inner, src);
  std::vector<float> out(src.size());
  kernels::bias_forward(act, bias, inner, src, out);
  std::vector<float> in_place = src;
  kernels::bias_forward(act, bias, inner, in_place, in_place);
  for (std::size_t i = 0; i < src.size(); ++i) {
    ASSERT_TRUE(same_bits(out[i], expected[i]))
        << act.to_string() << ", C = " << bias.size() << ", inner = " << inner << ", n = "
        << src.size() << ": element " << i << " (src " << src[i] << ") gives " << out[i]
        << ", add-then-forward gives " << expected[i];
    ASSERT_TRUE(same_bits(in_place[i], expected[i]))
        << act.to_string() << " in place, C = " << bias.size() << ", inner = " << inner
        << ": element " << i << " gives " << in_place[i] << ", expected " << expected[i];
  }
}

struct Layout {
  std::size_t batch, channels, inner;
};

// Dense (inner 1) and Conv2d-like planes; 32·32·784 = 802,816 elements crosses every
// threading threshold, 3·5·7 is smaller than one block and not a multiple of anything.
const std::vector<Layout> kLayouts = {
    {1, 1, 1}, {3, 5, 7}, {32, 10, 1}, {32, 64, 1}, {7, 3, 1000}, {32, 64, 144}, {32, 32, 784}};

TEST(BiasForward, SameBitsAsAddThenForwardForEveryElementwiseActivation) {
  for (const ActivationInfo& info : catalogue()) {
    if (info.kind != Kind::kElementwise) continue;
    const Activation act(info.id);
    for (const Layout& l : kLayouts) {
      if (l.batch * l.channels * l.inner > 100'000 && info.id != ActivationId::kRelu &&
          info.id != ActivationId::kTanh && info.id != ActivationId::kGelu) {
        continue;  // the large layout for a few activations (cheap and costly ones) only
      }
      const auto seed = static_cast<std::uint32_t>(l.batch * 131 + l.channels * 7 + l.inner);
      const std::vector<float> src = random_floats(l.batch * l.channels * l.inner, 2.0f, seed);
      const std::vector<float> bias = random_floats(l.channels, 1.0f, seed + 1);
      expect_same_bits(act, bias, l.inner, src);
    }
  }
}

TEST(BiasForward, SameBitsForOtherParameterSettings) {
  for (ActivationId id : {ActivationId::kLeakyRelu, ActivationId::kElu, ActivationId::kPrelu,
                          ActivationId::kSoftplus}) {
    for (const Activation& act : test::parameter_settings(id)) {
      const std::vector<float> src = random_floats(32 * 16 * 36, 3.0f, 5);
      const std::vector<float> bias = random_floats(16, 1.0f, 6);
      expect_same_bits(act, bias, 36, src);
    }
  }
}

TEST(BiasForward, SpecialValuesPassThroughAsUnfused) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const std::vector<float> src = {kInf, -kInf, std::numeric_limits<float>::quiet_NaN(), -0.0f,
                                  0.0f, 1e30f, -1e30f, 3.0f};
  const std::vector<float> bias = {0.0f, -0.0f};  // -0 + -0 stays -0; 0 + -0 gives +0
  for (ActivationId id : {ActivationId::kRelu, ActivationId::kSigmoid, ActivationId::kTanh,
                          ActivationId::kElu}) {
    expect_same_bits(Activation(id), bias, 2, src);
    expect_same_bits(Activation(id), bias, 1, src);
  }
}

TEST(BiasForward, SizeAndKindErrors) {
  const Activation relu(ActivationId::kRelu);
  std::vector<float> src(12), dst(12), short_dst(11);
  const std::vector<float> bias(3), empty;
  EXPECT_NO_THROW(kernels::bias_forward(relu, bias, 4, src, dst));
  EXPECT_NO_THROW(kernels::bias_forward(relu, bias, 2, src, dst));  // N = 2
  auto expect_invalid = [](auto&& call, const std::string& part) {
    try {
      call();
      ADD_FAILURE() << "no error; expected one mentioning '" << part << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_invalid([&] { kernels::bias_forward(relu, bias, 4, src, short_dst); }, "dst has 11");
  expect_invalid([&] { kernels::bias_forward(relu, bias, 5, src, dst); }, "inner = 5");
  expect_invalid([&] { kernels::bias_forward(relu, empty, 1, src, dst); }, "C = 0");
  expect_invalid([&] { kernels::bias_forward(relu, bias, 0, src, dst); }, "inner = 0");
  expect_invalid([&] { kernels::bias_forward(Activation(ActivationId::kSoftmax), bias, 4, src, dst); },
                 "along a dimension");
}

}  // namespace
}  // namespace actlab
