// simd_target.hpp: the kernels' SIMD target is named, forceable, and forcing it changes the
// code that runs (the results stay within the table's bounds: kernel_test runs on each).
#include <cstdlib>

#include <gtest/gtest.h>

#include "actlab/error.hpp"
#include "actlab/simd_target.hpp"

namespace actlab {
namespace {

TEST(SimdTarget, TheForcedTargetIsTheOneTheKernelsRun) {
  const char* wanted = std::getenv("ACTLAB_TEST_SIMD_TARGET");
  if (wanted == nullptr || *wanted == 0) {
    EXPECT_EQ(simd_target(), simd_targets().front()) << "by default the best target runs";
  } else {
    EXPECT_EQ(simd_target(), wanted);  // test support forced it before main
  }
}

TEST(SimdTarget, EveryCompiledTargetCanBeForcedAndReset) {
  const std::vector<std::string> targets = simd_targets();
  ASSERT_GE(targets.size(), 2u) << "expected several targets and the scalar fallback";
  EXPECT_EQ(targets.back(), "SCALAR");
  const std::string before = simd_target();
  for (const std::string& t : targets) {
    force_simd_target(t);
    EXPECT_EQ(simd_target(), t);
  }
  force_simd_target("best");
  EXPECT_EQ(simd_target(), targets.front());
  force_simd_target(before);
}

TEST(SimdTarget, UnknownTargetsAreNamedErrors) {
  try {
    force_simd_target("avx9000");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnknownName);
    EXPECT_NE(std::string(e.what()).find("SCALAR"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace actlab
