// Which SIMD target the kernels run on. Highway compiles every kernel for several x86-64
// targets (AVX3 = AVX-512, AVX2, SSE4, SSSE3, SCALAR) and picks the best the CPU supports
// once; tests and benchmarks can force a lower one to check or measure the code another
// machine would run (the test suite runs the kernel tests again on each: tests/CMakeLists.txt).
#pragma once

#include <string>
#include <vector>

namespace actlab {

// The target the kernels dispatch to now, e.g. "AVX3", "AVX2", "SCALAR".
std::string simd_target();
// Compiled and supported by this CPU, best first.
std::vector<std::string> simd_targets();
// Makes the kernels use `name` (case-insensitive, one of simd_targets()); "" or "best"
// restores the automatic choice. Error kUnknownName for a target not compiled in,
// kInvalidArgument for one this CPU lacks.
void force_simd_target(const std::string& name);

}  // namespace actlab
