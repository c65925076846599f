// A port of the parts of numpy 1.24's legacy RandomState (and of numpy's float reductions)
// that Optuna 3.1's samplers use, so that actlab can reproduce an Optuna study draw by draw.
// Private to src/study. Read from numpy's mtrand.pyx / distributions.c and checked by
// experiment with Debian's /usr/bin/python3 (tests/study_sampler_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace actlab::study::numpy {

// numpy.random.RandomState(seed) for an integer seed in [0, 2^32): MT19937 initialised by
// init_genrand(seed), which is exactly std::mt19937(seed).
class RandomState {
 public:
  explicit RandomState(std::uint32_t seed) : mt_(seed) {}

  // random_sample() / rand(): 53-bit double from two 32-bit draws,
  // ((a >> 5) · 2^26 + (b >> 6)) / 2^53.
  double random_sample();
  // uniform(low, high) = low + (high − low) · random_sample() (numpy computes high − low first).
  double uniform(double low, double high) { return low + (high - low) * random_sample(); }
  // randint(0, n) for n ≥ 1 (legacy "masked" rejection: draw 32 bits, mask to the smallest
  // all-ones value ≥ n − 1, retry while above n − 1). n − 1 must fit in 32 bits.
  std::uint64_t randint(std::uint64_t n);
  // choice(len(p), size, p=p): cdf = cumsum(p) / cdf[-1], then for each of `size` uniform
  // draws the first index whose cdf exceeds it (searchsorted side='right').
  std::vector<std::size_t> choice(const std::vector<double>& p, std::size_t size);
  // shuffle(x) of a list (legacy Fisher–Yates from the end, j = randint-style bounded draw).
  void shuffle(std::vector<std::size_t>& x);

 private:
  std::mt19937 mt_;
};

// np.add.reduce of a contiguous float64 array: numpy's pairwise summation (8 accumulators for
// blocks up to 128, recursive halving above), which is not the left-to-right sum.
double pairwise_sum(const double* a, std::size_t n);
inline double pairwise_sum(const std::vector<double>& a) { return pairwise_sum(a.data(), a.size()); }

// np.linspace(start, stop, num) with endpoint=True.
std::vector<double> linspace(double start, double stop, std::size_t num);

// np.logaddexp(x, y) as numpy computes it (npy_logaddexp).
double logaddexp(double x, double y);

}  // namespace actlab::study::numpy

namespace actlab::study::numpy {

// np.log of one float64 as numpy 1.24 on an AVX-512 (SKX) CPU computes it: Intel SVML's
// __svml_log8 ("la" variant, vendored by numpy), which differs from libm's log in the last
// bit for about a quarter of inputs. Optuna breaks exact ties between categories with such
// last-bit differences, so the faithful TPE needs the same rounding. Positive normal inputs
// follow SVML's algorithm (log x = e·ln2 − log rcp + log1p(rcp·m − 1) with rcp = 1/m rounded
// to 5 fractional bits from the hardware vrcp14 estimate, a 16-entry table and a degree-9
// polynomial with FMAs); other inputs, and CPUs without AVX-512F (where numpy does not use
// SVML either), use libm's log.
double log(double x);

}  // namespace actlab::study::numpy
