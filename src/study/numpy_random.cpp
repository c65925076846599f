// numpy's legacy RandomState draws and float reductions (see numpy_random.hpp).
#include "study/numpy_random.hpp"

#include <algorithm>
#include <cmath>

namespace actlab::study::numpy {
namespace {

// The smallest all-ones mask covering `max` (numpy's gen_mask / random_interval).
std::uint64_t gen_mask(std::uint64_t max) {
  std::uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  return mask;
}

}  // namespace

double RandomState::random_sample() {
  const std::uint32_t a = static_cast<std::uint32_t>(mt_()) >> 5;
  const std::uint32_t b = static_cast<std::uint32_t>(mt_()) >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

std::uint64_t RandomState::randint(std::uint64_t n) {
  const std::uint64_t max = n - 1;
  if (max == 0) return 0;
  const std::uint64_t mask = gen_mask(max);
  std::uint64_t value;
  do {
    value = static_cast<std::uint32_t>(mt_()) & mask;
  } while (value > max);
  return value;
}

std::vector<std::size_t> RandomState::choice(const std::vector<double>& p, std::size_t size) {
  std::vector<double> cdf(p.size());
  double running = 0;
  for (std::size_t i = 0; i < p.size(); ++i) cdf[i] = running += p[i];  // np.cumsum
  const double last = cdf.back();
  for (double& c : cdf) c /= last;
  std::vector<std::size_t> out(size);
  for (std::size_t k = 0; k < size; ++k) {
    const double u = random_sample();
    out[k] = static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
  return out;
}

void RandomState::shuffle(std::vector<std::size_t>& x) {
  for (std::size_t i = x.size(); i-- > 1;) {
    std::swap(x[i], x[randint(i + 1)]);  // random_interval(i): masked draw in [0, i]
  }
}

double pairwise_sum(const double* a, std::size_t n) {
  constexpr std::size_t kBlock = 128;  // numpy's PW_BLOCKSIZE
  if (n < 8) {
    double res = 0.;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= kBlock) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

std::vector<double> linspace(double start, double stop, std::size_t num) {
  std::vector<double> y(num);
  if (num == 0) return y;
  if (num == 1) {  // numpy: undefined step, y = 0 · delta + start
    y[0] = 0.0 * (stop - start) + start;
    return y;
  }
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (std::size_t i = 0; i < num; ++i) y[i] = static_cast<double>(i) * step + start;
  y[num - 1] = stop;
  return y;
}

double logaddexp(double x, double y) {
  if (x == y) return x + M_LN2;  // handles infinities of the same sign
  const double d = x - y;
  if (d > 0) return x + std::log1p(std::exp(-d));
  if (d <= 0) return y + std::log1p(std::exp(d));
  return d;  // NaN
}

}  // namespace actlab::study::numpy

// ---- np.log as SVML computes it (see numpy_random.hpp) ----------------------------------------
#include <immintrin.h>

namespace actlab::study::numpy {
namespace {

// −log(rcp) for rcp = (16 + i)/32 (i = 1…15, index 0 is rcp = 1), minus ln 2 where rcp < 0.75
// (the exponent is raised by one there instead): SVML's table, as public constants.
constexpr double kLogTable[16] = {
    0x0.0p+0,                 -0x1.f0a30c01162a6p-5, -0x1.e27076e2af2e6p-4, -0x1.5ff3070a793d4p-3,
    -0x1.c8ff7c79a9a22p-3,   -0x1.1675cababa60ep-2, -0x1.4618bc21c5ec2p-2, -0x1.739d7f6bbd007p-2,
    0x1.269621134db92p-2,     0x1.f991c6cb3b379p-3,  0x1.a93ed3c8ad9e3p-3,  0x1.5bf406b543db2p-3,
    0x1.1178e8227e47cp-3,     0x1.9335e5d594989p-4,  0x1.08598b59e3a07p-4,  0x1.0415d89e74444p-5};
// log1p(r) ≈ r + r²·P(r), P's coefficients from r⁷ down to r⁰.
constexpr double kC[8] = {0x1.c81cd309d7c70p-4,  -0x1.007357e93af62p-3, 0x1.249229cee81efp-3,
                          -0x1.55553fb28db06p-3, 0x1.9999999cc9f5cp-3,  -0x1.00000000c05bdp-2,
                          0x1.5555555555466p-2,  -0x1.fffffffffffc6p-2};
constexpr double kLn2 = 0x1.62e42fefa39efp-1;

__attribute__((target("avx512f"))) double svml_log(double x) {
  const __m128d vx = _mm_set_sd(x);
  const double m = _mm_cvtsd_f64(_mm_getmant_sd(vx, vx, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_nan));
  double e = _mm_cvtsd_f64(_mm_getexp_sd(vx, vx));
  const __m128d vm = _mm_set_sd(m);
  // The hardware's 14-bit reciprocal estimate, rounded to 5 fractional bits (nearest).
  const double rcp = _mm_cvtsd_f64(
      _mm_roundscale_sd(vm, _mm_rcp14_sd(vm, vm), (5 << 4) | _MM_FROUND_TO_NEAREST_INT));
  const double r = std::fma(rcp, m, -1.0);
  if (rcp < 0.75) e += 1.0;
  const double r2 = r * r, r4 = r2 * r2;
  const double p01 = std::fma(r, kC[0], kC[1]);
  const double p23 = std::fma(r, kC[2], kC[3]);
  const double p45 = std::fma(r, kC[4], kC[5]);
  const double p67 = std::fma(r, kC[6], kC[7]);
  const double p03 = std::fma(p01, r2, p23);
  const double p47 = std::fma(p45, r2, p67);
  const double p = std::fma(std::fma(p03, r4, p47), r2, r);
  std::uint64_t bits;
  static_assert(sizeof bits == sizeof rcp);
  __builtin_memcpy(&bits, &rcp, sizeof bits);
  const double t = kLogTable[(bits >> 48) & 15] + p;
  return std::fma(kLn2, e, t);
}

}  // namespace

double log(double x) {
  static const bool kHasAvx512 = __builtin_cpu_supports("avx512f");
  if (!kHasAvx512 || !std::isnormal(x) || x < 0) return std::log(x);
  return svml_log(x);
}

}  // namespace actlab::study::numpy
