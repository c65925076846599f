// Linked into every test executable as an object (not from the static support library,
// whose unreferenced objects the linker would drop), so the forcing below always runs.
#include <cstdio>
#include <cstdlib>

#include "actlab/error.hpp"
#include "actlab/simd_target.hpp"

namespace actlab::test {
namespace {

// ACTLAB_TEST_SIMD_TARGET=AVX2 (or SSE4, SSSE3, SCALAR) runs a test executable's kernels on
// that target: tests/CMakeLists.txt registers the kernel tests once more per target, so
// the code a machine without AVX-512 runs is checked here too. A target that cannot be forced
// stops the run loudly instead of testing the default target under the wrong name.
const bool kSimdTargetForced = [] {
  const char* wanted = std::getenv("ACTLAB_TEST_SIMD_TARGET");
  if (wanted == nullptr || *wanted == 0) return false;
  try {
    force_simd_target(wanted);
  } catch (const Error& e) {
    std::fprintf(stderr, "ACTLAB_TEST_SIMD_TARGET: %s\n", e.what());
    std::exit(1);
  }
  std::fprintf(stderr, "[kernels forced to SIMD target %s]\n", simd_target().c_str());
  return true;
}();

}  // namespace

}  // namespace actlab::test
