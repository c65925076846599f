#include <algorithm>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/experiments.hpp"
#include "actlab/random.hpp"
#include "actlab/reference.hpp"

namespace actlab::experiments {
namespace {

double fire(const std::array<double, 2>& w, double b, double x0, double x1) {
  static const Activation step(ActivationId::kBinaryStep);
  return reference::forward(step, w[0] * x0 + w[1] * x1 + b);
}

}  // namespace

Gate parse_gate(const std::string& name) {
  if (name == "and") return Gate::kAnd;
  if (name == "or") return Gate::kOr;
  if (name == "xor") return Gate::kXor;
  throw Error(ErrorCode::kUnknownName, "unknown gate '" + name + "' (gates: and, or, xor)");
}

std::string gate_name(Gate gate) {
  switch (gate) {
    case Gate::kAnd: return "and";
    case Gate::kOr: return "or";
    case Gate::kXor: return "xor";
  }
  return "?";
}

std::array<std::array<double, 2>, 4> gate_inputs() { return {{{0, 0}, {0, 1}, {1, 0}, {1, 1}}}; }

std::array<double, 4> gate_labels(Gate gate) {
  switch (gate) {
    case Gate::kAnd: return {0, 0, 0, 1};
    case Gate::kOr: return {0, 1, 1, 1};
    case Gate::kXor: return {0, 1, 1, 0};
  }
  return {};
}

PerceptronResult train_perceptron(Gate gate, std::uint64_t seed, double learning_rate,
                                  std::size_t epochs) {
  Rng rng(seed);
  PerceptronResult r;
  r.gate = gate;
  r.weights = {rng.normal(), rng.normal()};
  r.bias = rng.normal();
  r.epochs = epochs;
  const auto inputs = gate_inputs();
  const auto labels = gate_labels(gate);
  const auto score = [&] {
    double correct = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      r.predictions[i] = fire(r.weights, r.bias, inputs[i][0], inputs[i][1]);
      correct += r.predictions[i] == labels[i] ? 1 : 0;
    }
    return correct / 4;
  };
  for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
    for (std::size_t i = 0; i < 4; ++i) {
      const double error = labels[i] - fire(r.weights, r.bias, inputs[i][0], inputs[i][1]);
      r.weights[0] += learning_rate * error * inputs[i][0];
      r.weights[1] += learning_rate * error * inputs[i][1];
      r.bias += learning_rate * error;
    }
    r.accuracy_per_epoch.push_back(score());
  }
  r.accuracy = score();
  return r;
}

std::vector<double> perceptron_regions(const PerceptronResult& p, std::size_t grid) {
  std::vector<double> out(grid * grid);
  const double step = grid > 1 ? 1.0 / static_cast<double>(grid - 1) : 0;
  for (std::size_t row = 0; row < grid; ++row) {
    for (std::size_t col = 0; col < grid; ++col) {
      out[row * grid + col] = fire(p.weights, p.bias, col * step, row * step);
    }
  }
  return out;
}

}  // namespace actlab::experiments
