// Helpers shared by the tests: error in ULP, input sweeps, and running the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/activation.hpp"

namespace actlab::test {

// Spacing of float32 numbers at |r| (2^-149 in the denormal range). Infinite r gives
// infinity.
double float_ulp_at(double r);

// Error of a float32 result `y` against the double `reference`, in ULPs of
// max(|reference|, floor). Both NaN counts as 0; NaN against a number, or infinities of
// different sign, count as +inf; equal infinities count as 0.
double ulp_error(float y, double reference, double floor = 0);

// The dense sweep of the tests: every 1/1024 step over [−150, 150] (307,201 points),
// plus the extremes and special values (±0, ±denormals, ±FLT_MIN, ±FLT_MAX, ±inf) and a
// band of tiny magnitudes where cancellations show up.
std::vector<float> dense_sweep();
// The special values alone.
std::vector<float> special_values();

// a and b have the same bits (so +0 ≠ −0 and a NaN equals the same NaN).
bool same_bits(float a, float b);
// n draws of N(0, scale²) from std::mt19937(seed) (the kernel tests' random inputs).
std::vector<float> random_floats(std::size_t n, float scale, std::uint32_t seed);

// A copy of `act` whose parameters are rounded to float, the values the float kernels
// actually use, so that the reference answers the same question.
Activation with_float_params(const Activation& act);

// Every parameter setting the tests visit for one activation: the defaults, plus each
// parameter moved to a couple of other valid values (kept consistent with constraints).
std::vector<Activation> parameter_settings(ActivationId id);

// For backward_from = kOutput the kernel only sees y = fl(f(x)); the fair reference is the
// exact derivative at the point y stands for, f⁻¹(y) (docs/conventions.md). relu's
// derivative is the same at y as at x. Throws std::logic_error for an activation whose
// backward reads its input.
double output_preimage(ActivationId id, float y);

struct ProcessResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};
// Runs a shell command line, capturing both streams.
ProcessResult run_command(const std::string& command_line);
// Runs tests/oracle/<script> with /usr/bin/python3 on `request` (a JSON file in, a JSON file
// out) and returns its answer; a failing script is a test failure carrying its stderr (and
// an empty answer), never a skip.
nlohmann::json run_oracle(const std::string& script, const nlohmann::json& request);
// Runs the actlab CLI with the arguments (already shell-quoted where needed).
ProcessResult run_cli(const std::string& arguments);

}  // namespace actlab::test
