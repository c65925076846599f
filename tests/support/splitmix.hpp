// splitmix64 for test inputs: the same numbers on every platform and standard library
// (std:: distributions are not portable), independent of the library's own Rng so that a
// change there cannot move the tests' inputs.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace actlab::test {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // [low, high), 53 random bits.
  double uniform(double low, double high) {
    return low + (high - low) * static_cast<double>(next() >> 11) * 0x1p-53;
  }
  float uniform_float(double low, double high) { return static_cast<float>(uniform(low, high)); }
  // Modulo draw: slightly biased for n not a power of 2, which inputs do not mind.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  // Uniform in [−scale, scale), rounded to float: every input must be one the float
  // kernels can see.
  float symmetric(double scale) {
    return static_cast<float>(scale * (2.0 * static_cast<double>(next() >> 11) * 0x1p-53 - 1.0));
  }
  // ±0.5, ±1 or ±2: multiplying by them is exact, so an elementwise gradient's ULP error
  // is the derivative's own.
  float power_of_two() {
    const std::uint64_t r = next();
    const float magnitude = std::ldexp(1.0f, static_cast<int>(r % 3) - 1);
    return (r & 8) != 0 ? -magnitude : magnitude;
  }

 private:
  std::uint64_t state_;
};

}  // namespace actlab::test
