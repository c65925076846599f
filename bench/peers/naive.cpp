// The naive column of actlab_peer_bench: what a user writes without a library, a plain `for`
// loop over the std:: float formula (forward) and the textbook derivative (backward), compiled
// with the bench's flags (Release: -O3, no -ffast-math, no -march, so the compiler may
// vectorise only the loops without calls, and std::exp & co. stay scalar libm calls). Note
// that GCC 12 does not vectorise a select whose untaken side may raise an FP exception
// (`v >= 0 ? v : a * v`, `g * (r > 0 ? 1 : 0)`) under the default -ftrapping-math: those loops
// stay scalar with a branch per element, mispredicted half the time on random signs.
// Backward reads what actlab's backward reads (y for sigmoid, tanh, relu, exponential and the
// softmax family, x otherwise), with diff_src = diff_dst · f'(·).
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "peers.hpp"

namespace actlab::peers {
namespace {

using A = ActivationId;

// Below this many elements the loops stay on one thread, as PyTorch's at::parallel_for does
// (its GRAIN_SIZE): waking a second OpenMP thread costs more than 32K elements of work.
constexpr std::size_t kGrain = 32768;

template <class F>
void map(const float* x, float* y, std::size_t n, int threads, F f) {
  const auto count = static_cast<long>(n);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && n >= kGrain)
  for (long i = 0; i < count; ++i) y[i] = f(x[i]);
}

// diff_src = diff_dst · df(saved)
template <class F>
void map_grad(const float* s, const float* g, float* gi, std::size_t n, int threads, F df) {
  const auto count = static_cast<long>(n);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && n >= kGrain)
  for (long i = 0; i < count; ++i) gi[i] = g[i] * df(s[i]);
}

// f and f' as float lambdas; the Calls bind them to the buffers.
template <class F, class D>
Calls elementwise(const Buffers& b, const float* saved, int threads, F f, D df) {
  return {[=] { map(b.x, b.out, b.n, threads, f); },
          [=] { map_grad(saved, b.g, b.gi, b.n, threads, df); }};
}

// Rows of `row` elements, one row per iteration; `f(x, y, row)` and `df(y, g, gi, row)`.
template <class F, class D>
Calls rows(const Buffers& b, std::size_t row, int threads, F f, D df) {
  const auto count = static_cast<long>(b.n / row);
  const bool parallel = threads > 1 && b.n >= kGrain;
  return {[=] {
            const float* x = b.x;
            float* y = b.out;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
            for (long r = 0; r < count; ++r) f(x + r * row, y + r * row, row);
          },
          [=] {
            const float *y = b.y, *g = b.g;
            float* gi = b.gi;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
            for (long r = 0; r < count; ++r) df(y + r * row, g + r * row, gi + r * row, row);
          }};
}

// softmax(sign·x) over one row, and its backward (sign = −1: softmin).
template <int kSign>
void softmax_row(const float* x, float* y, std::size_t n) {
  float m = kSign * x[0];
  for (std::size_t j = 1; j < n; ++j) m = std::max(m, kSign * x[j]);
  float sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    y[j] = std::exp(kSign * x[j] - m);
    sum += y[j];
  }
  for (std::size_t j = 0; j < n; ++j) y[j] /= sum;
}

template <int kSign>
void softmax_row_grad(const float* y, const float* g, float* gi, std::size_t n) {
  float dot = 0;
  for (std::size_t j = 0; j < n; ++j) dot += g[j] * y[j];
  for (std::size_t j = 0; j < n; ++j) gi[j] = kSign * y[j] * (g[j] - dot);
}

void log_softmax_row(const float* x, float* y, std::size_t n) {
  float m = x[0];
  for (std::size_t j = 1; j < n; ++j) m = std::max(m, x[j]);
  float sum = 0;
  for (std::size_t j = 0; j < n; ++j) sum += std::exp(x[j] - m);
  const float log_sum = std::log(sum);
  for (std::size_t j = 0; j < n; ++j) y[j] = x[j] - m - log_sum;
}

void log_softmax_row_grad(const float* y, const float* g, float* gi, std::size_t n) {
  float sum = 0;
  for (std::size_t j = 0; j < n; ++j) sum += g[j];
  for (std::size_t j = 0; j < n; ++j) gi[j] = g[j] - std::exp(y[j]) * sum;
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

}  // namespace

Calls naive_calls(const PeerOp& op, const Buffers& b, int threads) {
  const Activation& act = op.act;
  auto p = [&act](const char* name) { return static_cast<float>(act.get(name)); };
  const float* x = b.x;
  const float* y = b.y;
  switch (act.id()) {
    case A::kBinaryStep: {
      const float t = p("threshold");
      return elementwise(b, x, threads, [t](float v) { return v < t ? 0.f : 1.f; },
                         [](float) { return 0.f; });
    }
    case A::kIdentity:
      return elementwise(b, x, threads, [](float v) { return v; }, [](float) { return 1.f; });
    case A::kSigmoid:
      return elementwise(b, y, threads, sigmoid, [](float s) { return s * (1.f - s); });
    case A::kHardSigmoid:
      return elementwise(
          b, x, threads, [](float v) { return std::min(std::max(v + 3.f, 0.f), 6.f) / 6.f; },
          [](float v) { return v > -3.f && v < 3.f ? 1.f / 6.f : 0.f; });
    case A::kLogSigmoid:
      return elementwise(
          b, x, threads, [](float v) { return -std::log1p(std::exp(-v)); },
          [](float v) { return 1.f / (1.f + std::exp(v)); });
    case A::kTanh:
      return elementwise(b, y, threads, [](float v) { return std::tanh(v); },
                         [](float t) { return 1.f - t * t; });
    case A::kHardTanh: {
      const float lo = p("min_val"), hi = p("max_val");
      return elementwise(
          b, x, threads, [lo, hi](float v) { return std::min(std::max(v, lo), hi); },
          [lo, hi](float v) { return v > lo && v < hi ? 1.f : 0.f; });
    }
    case A::kRelu:
      return elementwise(b, y, threads, [](float v) { return std::max(v, 0.f); },
                         [](float r) { return r > 0.f ? 1.f : 0.f; });
    case A::kRelu6:
      return elementwise(
          b, x, threads, [](float v) { return std::min(std::max(v, 0.f), 6.f); },
          [](float v) { return v > 0.f && v < 6.f ? 1.f : 0.f; });
    case A::kLeakyRelu:
    case A::kPrelu:
    case A::kRrelu: {  // prelu: one shared slope; rrelu: eval mode, slope (lower + upper)/2
      const float a = act.id() == A::kLeakyRelu ? p("negative_slope")
                      : act.id() == A::kPrelu   ? p("slope")
                                                : (p("lower") + p("upper")) / 2;
      return elementwise(b, x, threads, [a](float v) { return v >= 0.f ? v : a * v; },
                         [a](float v) { return v > 0.f ? 1.f : a; });
    }
    case A::kThreshold: {
      const float t = p("threshold"), value = p("value");
      return elementwise(b, x, threads, [t, value](float v) { return v > t ? v : value; },
                         [t](float v) { return v > t ? 1.f : 0.f; });
    }
    case A::kElu: {
      const float a = p("alpha");
      return elementwise(b, x, threads, [a](float v) { return v > 0.f ? v : a * std::expm1(v); },
                         [a](float v) { return v > 0.f ? 1.f : a * std::exp(v); });
    }
    case A::kCelu: {
      const float a = p("alpha");
      return elementwise(
          b, x, threads,
          [a](float v) { return std::max(0.f, v) + std::min(0.f, a * std::expm1(v / a)); },
          [a](float v) { return v > 0.f ? 1.f : std::exp(v / a); });
    }
    case A::kSelu: {
      constexpr float kAlpha = 1.6732632423543772f, kScale = 1.0507009873554805f;
      return elementwise(
          b, x, threads, [](float v) { return kScale * (v > 0.f ? v : kAlpha * std::expm1(v)); },
          [](float v) { return v > 0.f ? kScale : kScale * kAlpha * std::exp(v); });
    }
    case A::kExponential:
      return elementwise(b, y, threads, [](float v) { return std::exp(v); },
                         [](float e) { return e; });
    case A::kGelu: {
      constexpr float kInvSqrt2 = 0.70710678118654752f;
      constexpr float kInvSqrt2Pi = 0.39894228040143268f;
      return elementwise(
          b, x, threads, [](float v) { return 0.5f * v * std::erfc(-v * kInvSqrt2); },
          [](float v) {
            return 0.5f * std::erfc(-v * kInvSqrt2) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
          });
    }
    case A::kGeluTanh: {
      constexpr float kC = 0.79788456080286536f, kK = 0.044715f;
      return elementwise(
          b, x, threads,
          [](float v) { return 0.5f * v * (1.f + std::tanh(kC * (v + kK * v * v * v))); },
          [](float v) {
            const float t = std::tanh(kC * (v + kK * v * v * v));
            return 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * kC * (1.f + 3.f * kK * v * v);
          });
    }
    case A::kSilu: {
      const float beta = p("beta");
      return elementwise(
          b, x, threads, [beta](float v) { return v * sigmoid(beta * v); },
          [beta](float v) {
            const float s = sigmoid(beta * v);
            return s + beta * v * s * (1.f - s);
          });
    }
    case A::kHardswish:
      return elementwise(
          b, x, threads, [](float v) { return v * std::min(std::max(v + 3.f, 0.f), 6.f) / 6.f; },
          [](float v) { return v < -3.f ? 0.f : v > 3.f ? 1.f : (2.f * v + 3.f) / 6.f; });
    case A::kMish:
      return elementwise(
          b, x, threads, [](float v) { return v * std::tanh(std::log1p(std::exp(v))); },
          [](float v) {
            const float t = std::tanh(std::log1p(std::exp(v)));
            return t + v * (1.f - t * t) * sigmoid(v);
          });
    case A::kSoftplus: {
      const float beta = p("beta"), t = p("threshold");
      return elementwise(
          b, x, threads,
          [beta, t](float v) { return beta * v > t ? v : std::log1p(std::exp(beta * v)) / beta; },
          [beta, t](float v) { return beta * v > t ? 1.f : sigmoid(beta * v); });
    }
    case A::kSquareplus: {
      const float c = p("b");
      return elementwise(
          b, x, threads, [c](float v) { return (v + std::sqrt(v * v + c)) / 2.f; },
          [c](float v) { return (1.f + v / std::sqrt(v * v + c)) / 2.f; });
    }
    case A::kSparsePlus:
      return elementwise(
          b, x, threads,
          [](float v) { return v <= -1.f ? 0.f : v >= 1.f ? v : (v + 1.f) * (v + 1.f) / 4.f; },
          [](float v) { return v <= -1.f ? 0.f : v >= 1.f ? 1.f : (v + 1.f) / 2.f; });
    case A::kSoftsign:
      return elementwise(
          b, x, threads, [](float v) { return v / (1.f + std::abs(v)); },
          [](float v) { return 1.f / ((1.f + std::abs(v)) * (1.f + std::abs(v))); });
    case A::kSoftshrink: {
      const float l = p("lambd");
      return elementwise(
          b, x, threads, [l](float v) { return v > l ? v - l : v < -l ? v + l : 0.f; },
          [l](float v) { return std::abs(v) > l ? 1.f : 0.f; });
    }
    case A::kHardshrink: {
      const float l = p("lambd");
      return elementwise(b, x, threads, [l](float v) { return std::abs(v) > l ? v : 0.f; },
                         [l](float v) { return std::abs(v) > l ? 1.f : 0.f; });
    }
    case A::kTanhshrink:
      return elementwise(b, x, threads, [](float v) { return v - std::tanh(v); },
                         [](float v) { return std::tanh(v) * std::tanh(v); });
    case A::kSoftmax:
      return rows(b, op.row, threads, softmax_row<1>, softmax_row_grad<1>);
    case A::kSoftmin:
      return rows(b, op.row, threads, softmax_row<-1>, softmax_row_grad<-1>);
    case A::kLogSoftmax:
      return rows(b, op.row, threads, log_softmax_row, log_softmax_row_grad);
    default:
      return {};
  }
}

}  // namespace actlab::peers
