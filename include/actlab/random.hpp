// A small seeded generator with its own distributions, so that results are identical on
// every platform and standard library (std::uniform_real_distribution is not).
#pragma once

#include <cstdint>

namespace actlab {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next_u64();                 // xoshiro256**
  double uniform();                         // [0, 1), 53 random bits
  double uniform(double low, double high);  // [low, high)
  double normal();                          // N(0, 1), Box–Muller
  std::uint64_t below(std::uint64_t n);     // uniform integer in [0, n), unbiased
  // A new generator whose stream is independent of this one's (for workers, layers).
  Rng split();

 private:
  std::uint64_t state_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace actlab
