// Google Benchmark over the whole catalogue: forward and backward of every activation at
// 4K, 256K and 16M float32 elements, registered from the table so nothing is left out.
// Reports elements/s (items_per_second) and bytes/s. Run: build/bin/actlab_bench
// (add --benchmark_filter=sigmoid to narrow it; ACTLAB_SIMD_TARGET=AVX2|SSE4|SCALAR forces a
// lower SIMD target). Peers (oneDNN, PyTorch) come with the
// fast-kernels issue.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/kernels.hpp"
#include "actlab/shape.hpp"
#include "actlab/simd_target.hpp"

namespace {

using actlab::Activation;
using actlab::BackwardFrom;
using actlab::Kind;

std::vector<float> random_inputs(std::size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-8.0f, 8.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Along-dim activations run over rows of 1,000 (softmax family, glu, maxout).
actlab::Shape shape_for(const Activation& act, std::size_t n) {
  if (act.info().kind == Kind::kElementwise) return {n};
  return {n / 1000, 1000};
}

void forward(benchmark::State& state, Activation act) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const actlab::Shape shape = shape_for(act, n);
  const auto src = random_inputs(n);
  std::vector<float> dst(actlab::element_count(actlab::output_shape(act, shape)));
  for (auto _ : state) {
    actlab::kernels::forward(act, shape, src, dst);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>((n + dst.size()) * sizeof(float)));
}

void backward(benchmark::State& state, Activation act) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const actlab::Shape shape = shape_for(act, n);
  const auto src = random_inputs(n);
  std::vector<float> dst(actlab::element_count(actlab::output_shape(act, shape)));
  actlab::kernels::forward(act, shape, src, dst);
  const std::vector<float> diff_dst(dst.size(), 1.0f);
  std::vector<float> diff_src(n);
  const std::vector<float>& saved = act.info().backward_from == BackwardFrom::kInput ? src : dst;
  for (auto _ : state) {
    actlab::kernels::backward(act, shape, saved, diff_dst, diff_src);
    benchmark::DoNotOptimize(diff_src.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>((saved.size() + diff_dst.size() + n) * sizeof(float)));
}

// Plain memcpy: the memory ceiling the elementwise kernels are measured against.
void copy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto src = random_inputs(n);
  std::vector<float> dst(n);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(2 * n * sizeof(float)));
}

const int registered = [] {
  // ACTLAB_SIMD_TARGET=AVX2 measures the code a machine without AVX-512 would run.
  if (const char* target = std::getenv("ACTLAB_SIMD_TARGET")) actlab::force_simd_target(target);
  benchmark::AddCustomContext("simd_target", actlab::simd_target());
  const std::vector<int64_t> sizes{4000, 256000, 16000000};
  benchmark::RegisterBenchmark("copy", copy)->ArgName("n")->Arg(sizes[0])->Arg(sizes[1])->Arg(sizes[2]);
  for (const actlab::ActivationInfo& row : actlab::catalogue()) {
    const Activation act(row.id);
    for (const char* direction : {"forward", "backward"}) {
      const std::string name = std::string(row.name) + "/" + direction;
      auto* b = benchmark::RegisterBenchmark(name.c_str(), direction[0] == 'f' ? forward : backward, act);
      b->ArgName("n");
      for (int64_t n : sizes) b->Arg(n);
    }
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
