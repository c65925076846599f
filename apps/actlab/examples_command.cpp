// actlab examples: the seeds' worked examples (EXPERIMENTS.md §6) recomputed by the library,
// each beside the value the tutorial printed. Exit 8 if any no longer matches.
#include <cmath>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actlab/activation.hpp"
#include "actlab/kernels.hpp"
#include "actlab/reference.hpp"
#include "actlab/shape.hpp"
#include "cli.hpp"

namespace actlab::cli {
namespace {

struct WorkedExample {
  std::string title;
  std::string source;             // where the tutorial shows it
  std::vector<double> expected;   // as the tutorial (or EXPERIMENTS.md §6) prints it
  int decimals;                   // printed precision of `expected`
  std::vector<double> reference;  // double reference
  std::vector<double> kernel;     // float32 kernels (empty where not a kernel question)
};

std::vector<double> reference_map(const Activation& act, const std::vector<double>& xs) {
  std::vector<double> out;
  for (double x : xs) out.push_back(reference::forward(act, x));
  return out;
}

std::vector<double> kernel_map(const Activation& act, const std::vector<double>& xs) {
  std::vector<float> src(xs.begin(), xs.end()), dst(xs.size());
  kernels::forward(act, src, dst);
  return {dst.begin(), dst.end()};
}

std::vector<double> kernel_derivative(const Activation& act, const std::vector<double>& xs) {
  std::vector<float> src(xs.begin(), xs.end()), dst(xs.size()), ones(xs.size(), 1.0f),
      diff(xs.size());
  kernels::forward(act, src, dst);
  kernels::backward(act, act.info().backward_from == BackwardFrom::kInput ? src : dst, ones, diff);
  return {diff.begin(), diff.end()};
}

// The root of a continuous g on [lo, hi] where g changes sign, by bisection to the last bit.
double bisect(const std::function<double(double)>& g, double lo, double hi) {
  for (int i = 0; i < 200 && lo < hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    (g(lo) < 0) == (g(mid) < 0) ? lo = mid : hi = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<WorkedExample> worked_examples() {
  std::vector<WorkedExample> out;
  const Activation sigmoid(ActivationId::kSigmoid), tanh_act(ActivationId::kTanh),
      relu(ActivationId::kRelu), silu(ActivationId::kSilu), elu(ActivationId::kElu),
      softmax(ActivationId::kSoftmax);

  // Seed 001 §1: a perceptron with inputs (0.5, 0.5, 0.8), weights (0.1, 0.4, −0.9), bias 1.
  const double weighted_sum = 0.5 * 0.1 + 0.5 * 0.4 + 0.8 * (-0.9) + 1.0;
  out.push_back({"perceptron sum 0.5·0.1 + 0.5·0.4 + 0.8·(−0.9) + 1.0", "seed 001 §1", {0.53}, 7,
                 {weighted_sum}, {}});
  out.push_back({"sigmoid(0.53)", "seed 001 §1 (prints 0.629483)", {0.6294831}, 7,
                 reference_map(sigmoid, {weighted_sum}), kernel_map(sigmoid, {weighted_sum})});

  const std::vector<double> minus_one_zero_one{-1, 0, 1};
  out.push_back({"sigmoid([−1, 0, 1])", "seed 003 (prints 0.2689, 0.5000, 0.7311)",
                 {0.2689414, 0.5, 0.7310586}, 7, reference_map(sigmoid, minus_one_zero_one),
                 kernel_map(sigmoid, minus_one_zero_one)});
  out.push_back({"tanh([−1, 0, 1])", "seed 003 (prints −0.7616, 0.0000, 0.7616)",
                 {-0.7615942, 0, 0.7615942}, 7, reference_map(tanh_act, minus_one_zero_one),
                 kernel_map(tanh_act, minus_one_zero_one)});
  out.push_back({"relu([−1, 0, 1])", "seed 003", {0, 0, 1}, 7,
                 reference_map(relu, minus_one_zero_one), kernel_map(relu, minus_one_zero_one)});
  const std::vector<double> matrix{-1, 2, -3, 4, -5, 6};
  out.push_back({"relu([[−1, 2, −3], [4, −5, 6]])", "seed 003", {0, 2, 0, 4, 0, 6}, 7,
                 reference_map(relu, matrix), kernel_map(relu, matrix)});

  const std::vector<double> logits{2.0, 1.0, 0.1};
  std::vector<double> soft_ref(3);
  reference::forward(softmax, Shape{3}, logits, soft_ref);
  std::vector<float> soft_src(logits.begin(), logits.end()), soft_dst(3);
  kernels::forward(softmax, Shape{3}, soft_src, soft_dst);
  out.push_back({"softmax([2, 1, 0.1])", "seed 003 (prints 0.6590, 0.2424, 0.0986)",
                 {0.6590011, 0.2424330, 0.0985659}, 7, soft_ref,
                 {soft_dst.begin(), soft_dst.end()}});

  // SiLU's minimum: where its derivative crosses zero (seed 001: "about −1.278, about −0.278").
  const double x_min =
      bisect([&](double x) { return reference::derivative(silu, x); }, -3.0, 0.0);
  out.push_back({"SiLU minimum: x where silu'(x) = 0, and silu(x)", "seed 001 §3.8",
                 {-1.2784645, -0.2784645}, 7, {x_min, reference::forward(silu, x_min)}, {}});

  double max_slope = 0;
  for (int k = -10000; k <= 10000; ++k) {
    max_slope = std::max(max_slope, reference::derivative(sigmoid, k / 1000.0));
  }
  out.push_back({"max sigmoid'(x) over [−10, 10]", "seed 001 §3.1 (0.25 at x = 0)", {0.25}, 7,
                 {max_slope}, kernel_derivative(sigmoid, {0.0})});

  double max_gap = 0;
  for (int k = -10000; k <= 10000; ++k) {
    const double x = k / 1000.0;
    max_gap = std::max(max_gap, std::fabs(2 * reference::forward(sigmoid, 2 * x) - 1 -
                                          reference::forward(tanh_act, x)));
  }
  out.push_back({"max |2·sigmoid(2x) − 1 − tanh(x)| over [−10, 10]",
                 "EXPERIMENTS.md §6 (the seed's 'tanh = 2·sigmoid − 1' needs the 2x)", {0}, 7,
                 {max_gap}, {}});
  out.push_back({"elu'(−1), alpha = 1  (= e⁻¹)", "seed 001 §3.5", {0.3678794}, 7,
                 {reference::derivative(elu, -1.0)}, kernel_derivative(elu, {-1.0})});

  // The study's CNN, layer by layer: weights + biases (the engine issue builds it for real).
  const double conv1 = 32 * 1 * 3 * 3 + 32, conv2 = 64 * 32 * 3 * 3 + 64,
               conv3 = 64 * 64 * 3 * 3 + 64, fc1 = 1024 * 64 + 64, fc2 = 64 * 10 + 10;
  out.push_back({"parameters of seed 001's CNN (conv 32, 64, 64; fc 64, 10)", "seed 001 §5",
                 {121994}, 0, {conv1 + conv2 + conv3 + fc1 + fc2}, {}});
  return out;
}

// Equal to the printed digits: within half a unit of the last printed decimal, plus, for a
// float32 result, one float spacing (e⁻¹ = 0.36787944… rounds to the float 0.36787945).
bool matches(const std::vector<double>& got, const WorkedExample& e, bool is_float) {
  if (got.size() != e.expected.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    double tolerance = 0.5 * std::pow(10.0, -e.decimals) * (1 + 1e-9);
    if (is_float) {
      const float f = static_cast<float>(got[i]);
      tolerance += std::fabs(std::nextafter(f, std::numeric_limits<float>::infinity()) - f);
    }
    if (!(std::fabs(got[i] - e.expected[i]) <= tolerance)) return false;
  }
  return true;
}

std::string values_text(const std::vector<double>& v, int decimals) {
  std::vector<std::string> parts;
  for (double x : v) parts.push_back(fmt::format("{:.{}f}", x, decimals));
  return parts.size() == 1 ? parts[0] : "[" + fmt::format("{}", fmt::join(parts, ", ")) + "]";
}

int run_examples(bool as_json) {
  const auto examples = worked_examples();
  int failures = 0;
  nlohmann::json rows = nlohmann::json::array();
  if (!as_json) std::cout << "The tutorials' worked examples, recomputed by actlab:\n\n";
  for (const WorkedExample& e : examples) {
    const bool ok =
        matches(e.reference, e, false) && (e.kernel.empty() || matches(e.kernel, e, true));
    failures += ok ? 0 : 1;
    if (as_json) {
      rows.push_back({{"title", e.title}, {"source", e.source}, {"expected", e.expected},
                      {"reference", e.reference}, {"kernel", e.kernel}, {"ok", ok}});
      continue;
    }
    // Two more digits than the tutorial shows, so a near miss is visible.
    const int shown = e.decimals == 0 ? 0 : e.decimals + 2;
    std::cout << fmt::format("{} {}\n    tutorial  {}   — {}\n    actlab    {}", ok ? "✓" : "✗",
                             e.title, values_text(e.expected, e.decimals), e.source,
                             values_text(e.reference, shown));
    if (!e.kernel.empty()) {
      std::cout << fmt::format("   float32 kernel {}", values_text(e.kernel, shown));
    }
    std::cout << "\n";
  }
  if (as_json) {
    std::cout << nlohmann::json{{"examples", rows}, {"failures", failures}}.dump(2) << "\n";
  } else {
    std::cout << fmt::format("\n{} of {} worked examples match the tutorials.\n",
                             examples.size() - failures, examples.size());
  }
  return failures == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace

void add_examples_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "examples", "The tutorials' worked examples recomputed (exit 8 if one no longer matches)");
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "As JSON");
  cmd->callback([as_json, &exit_code] { exit_code = run_examples(*as_json); });
}

}  // namespace actlab::cli
