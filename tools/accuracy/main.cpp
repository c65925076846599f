// actlab-accuracy: max and mean ULP error of the float32 kernels against the double reference,
// forward and backward (diff_dst = 1, i.e. f'), for every elementwise activation, over the
// tests' dense sweep (default, seconds) or over all 2^32 float32 inputs (--exhaustive, a long
// run on std::threads, not a test). The error measure is the tests' own (test::ulp_error,
// linked from actlab_test_support; docs/conventions.md §7). Exit code 8 when a table bound
// (include/actlab/activations.def, .ulp) is broken.
//
//   build/bin/actlab-accuracy                       # dense sweep, every elementwise activation
//   build/bin/actlab-accuracy --exhaustive --only sigmoid --threads 2
//   build/bin/actlab-accuracy --precision accurate   # the accurate tier (kernels::Precision)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/reference.hpp"
#include "actlab/simd_target.hpp"
#include "support/test_support.hpp"

namespace {

using namespace actlab;

// Same slack as tests/kernel_test.cpp: the double reference's own rounding (~1e-7 ULP).
constexpr double kSlack = 1e-6;


struct Stat {
  double max = 0;
  double sum = 0;       // of finite errors
  std::uint64_t count = 0;
  std::uint64_t infinite = 0;  // NaN against a number, wrong infinity
  float worst_x = 0;
  float got = 0;
  double want = 0;
  void add(double e, float x, float value, double reference) {
    if (std::isinf(e)) {
      ++infinite;
    } else {
      sum += e;
    }
    ++count;
    if (e > max) {
      max = e;
      worst_x = x;
      got = value;
      want = reference;
    }
  }
  void merge(const Stat& o) {
    if (o.max > max) { max = o.max; worst_x = o.worst_x; got = o.got; want = o.want; }
    sum += o.sum;
    count += o.count;
    infinite += o.infinite;
  }
  double mean() const { return count ? sum / static_cast<double>(count) : 0; }
};

struct Result {
  Stat forward, backward;
};

// Measures one block of inputs on the calling thread (blocks stay below the kernels'
// threading threshold, and ACTLAB_NUM_THREADS=1 is set anyway).
void measure(const Activation& act, const Activation& ref_act, const float* xs, std::size_t n,
             std::vector<float>& y, std::vector<float>& d, const std::vector<float>& ones,
             Result& r) {
  const ActivationInfo& row = act.info();
  const bool from_output = row.backward_from == BackwardFrom::kOutput;
  const double floor = row.ulp.backward_floor;
  std::span<const float> src(xs, n);
  kernels::forward(act, src, std::span<float>(y.data(), n));
  kernels::backward(act, from_output ? std::span<const float>(y.data(), n) : src,
                    std::span<const float>(ones.data(), n), std::span<float>(d.data(), n));
  for (std::size_t i = 0; i < n; ++i) {
    const double ref_y = reference::forward(ref_act, xs[i]);
    r.forward.add(test::ulp_error(y[i], ref_y), xs[i], y[i], ref_y);
    const double at = from_output ? test::output_preimage(act.id(), y[i]) : static_cast<double>(xs[i]);
    const double ref_d = reference::derivative(ref_act, at);
    r.backward.add(test::ulp_error(d[i], ref_d, floor), xs[i], d[i], ref_d);
  }
}

Result run_sweep(const Activation& act, const std::vector<float>& xs) {
  const Activation ref_act = test::with_float_params(act);
  constexpr std::size_t kBlock = 4096;
  std::vector<float> y(kBlock), d(kBlock), ones(kBlock, 1.0f);
  Result r;
  for (std::size_t b = 0; b < xs.size(); b += kBlock) {
    measure(act, ref_act, xs.data() + b, std::min(kBlock, xs.size() - b), y, d, ones, r);
  }
  return r;
}

// All 2^32 bit patterns, in blocks of 2^12 handed out by an atomic counter.
Result run_exhaustive(const Activation& act, unsigned threads, bool progress) {
  const Activation ref_act = test::with_float_params(act);
  constexpr std::uint64_t kBlock = 4096;
  constexpr std::uint64_t kBlocks = (std::uint64_t{1} << 32) / kBlock;
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::mutex merge_mutex;
  Result total;
  const auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    std::vector<float> xs(kBlock), y(kBlock), d(kBlock), ones(kBlock, 1.0f);
    Result local;
    for (std::uint64_t b; (b = next.fetch_add(1)) < kBlocks;) {
      for (std::uint64_t i = 0; i < kBlock; ++i) {
        const auto bits = static_cast<std::uint32_t>(b * kBlock + i);
        std::memcpy(&xs[i], &bits, sizeof bits);
      }
      measure(act, ref_act, xs.data(), kBlock, y, d, ones, local);
      const std::uint64_t k = done.fetch_add(1) + 1;
      if (progress && k % (kBlocks / 16) == 0) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "  %s: %3.0f%% after %.0f s\n", act.to_string().c_str(),
                     100.0 * static_cast<double>(k) / kBlocks, s);
      }
    }
    std::lock_guard<std::mutex> lock(merge_mutex);
    total.forward.merge(local.forward);
    total.backward.merge(local.backward);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return total;
}

void usage() {
  std::printf(
      "usage: actlab-accuracy [--only NAME[,NAME...]] [--exhaustive] [--threads N]\n"
      "                       [--all-settings] [--precision fast|accurate]\n"
      "  Max and mean ULP error of the float32 kernels against the double reference,\n"
      "  forward and backward (diff_dst = 1), per elementwise activation.\n"
      "  default       the tests' dense sweep (test::dense_sweep(): every 1/1024 over\n"
      "                [-150, 150], tiny magnitudes and special values)\n"
      "  --exhaustive  every one of the 2^32 float32 inputs (NaNs included), on N threads\n"
      "  --all-settings  every parameter setting of the tests, not only the defaults\n"
      "  --precision   the kernels' vector math tier (kernels::Precision); default fast\n"
      "  Exit code 8 when a table bound (activations.def .ulp, + 1e-6) is broken.\n");
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  bool exhaustive = false, all_settings = false;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<ActivationId> ids;
  kernels::Precision precision = kernels::Precision::kFast;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--exhaustive") {
      exhaustive = true;
    } else if (a == "--all-settings") {
      all_settings = true;
    } else if (a == "--only" && i + 1 < argc) {
      for (const std::string& name : split(argv[++i])) {
        const ActivationId id = find_activation(name);
        if (info(id).kind != Kind::kElementwise) {
          std::fprintf(stderr, "actlab-accuracy: %s works along a dimension; this tool "
                       "measures elementwise activations only\n", name.c_str());
          return 2;
        }
        ids.push_back(id);
      }
    } else if (a == "--precision" && i + 1 < argc) {
      const std::string value = argv[++i];
      if (value != "fast" && value != "accurate") {
        std::fprintf(stderr, "actlab-accuracy: --precision '%s': expected 'fast' or 'accurate'\n",
                     value.c_str());
        return 2;
      }
      precision = value == "fast" ? kernels::Precision::kFast : kernels::Precision::kAccurate;
    } else if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "actlab-accuracy: unknown argument '%s'\n", a.c_str());
      usage();
      return 2;
    }
  }
  if (ids.empty()) {
    for (const ActivationInfo& row : catalogue()) {
      if (row.kind == Kind::kElementwise) ids.push_back(row.id);
    }
  }

  kernels::set_precision(precision);
  std::printf("Precision %s, SIMD target %s\n",
              precision == kernels::Precision::kFast ? "fast" : "accurate", simd_target().c_str());
  const std::vector<float> sweep = exhaustive ? std::vector<float>{} : test::dense_sweep();
  if (exhaustive) {
    std::printf("Exhaustive: all 2^32 float32 inputs, %u threads\n", threads);
  } else {
    std::printf("Dense sweep: %zu points (test::dense_sweep)\n", sweep.size());
  }
  std::printf("backward: diff_dst = 1 (f'), from the output's preimage where backward_from = "
              "output; mean over all inputs, counting NaN-vs-NaN as 0\n");
  std::printf("%-30s %-4s %10s %10s %6s %5s %-4s  %s\n", "activation", "dir", "max ULP",
              "mean ULP", "bound", "floor", "ok", "worst x (kernel vs reference)");
  bool broken = false;
  const auto start = std::chrono::steady_clock::now();
  for (ActivationId id : ids) {
    std::vector<Activation> settings =
        all_settings ? test::parameter_settings(id) : std::vector<Activation>{Activation(id)};
    for (const Activation& act : settings) {
      const auto t0 = std::chrono::steady_clock::now();
      const Result r = exhaustive ? run_exhaustive(act, threads, true) : run_sweep(act, sweep);
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const UlpBound bound = act.info().ulp;
      auto line = [&](const char* dir, const Stat& s, double b, double floor) {
        const bool ok = s.max <= b + kSlack;
        broken = broken || !ok;
        std::printf("%-30s %-4s %10.4g %10.3g %6g %5g %-4s  x = %.9g (%.9g vs %.17g)", 
                    act.to_string().c_str(), dir, s.max, s.mean(), b, floor, ok ? "yes" : "NO",
                    static_cast<double>(s.worst_x), static_cast<double>(s.got), s.want);
        if (s.infinite) std::printf(" [%llu infinite]", static_cast<unsigned long long>(s.infinite));
        std::printf("\n");
      };
      line("fwd", r.forward, bound.forward, 0);
      line("bwd", r.backward, bound.backward, bound.backward_floor);
      if (exhaustive) std::printf("%-30s (%.0f s)\n", "", secs);
      std::fflush(stdout);
    }
  }
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s in %.1f s\n", broken ? "BOUND BROKEN" : "all within the table's bounds", total);
  return broken ? 8 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // This tool runs its own threads over small blocks; keep the kernels' pool out of it.
  setenv("ACTLAB_NUM_THREADS", "1", 1);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actlab-accuracy: %s\n", e.what());
    return 2;
  }
}
