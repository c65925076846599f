// The tutorials' small experiments (EXPERIMENTS.md §3 and §5), as library functions so that
// the CLI, the tests and the tour page all run the same code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace actlab::experiments {

enum class Gate { kAnd, kOr, kXor };
Gate parse_gate(const std::string& name);  // "and" | "or" | "xor"; Error kUnknownName otherwise
std::string gate_name(Gate gate);
// The four inputs (0,0), (0,1), (1,0), (1,1) and the gate's truth table.
std::array<std::array<double, 2>, 4> gate_inputs();
std::array<double, 4> gate_labels(Gate gate);

// Seeds 000/004: a perceptron with binary_step, weights and bias ~ N(0, 1), trained with
// the perceptron rule w += lr·(label − prediction)·x, b += lr·(label − prediction), one
// sample at a time, for `epochs` passes over the four inputs.
struct PerceptronResult {
  Gate gate{};
  std::array<double, 2> weights{};
  double bias = 0;
  std::array<double, 4> predictions{};
  double accuracy = 0;
  std::size_t epochs = 0;
  std::vector<double> accuracy_per_epoch;
};
PerceptronResult train_perceptron(Gate gate, std::uint64_t seed, double learning_rate = 0.01,
                                  std::size_t epochs = 1000);

// The decision regions on a grid×grid lattice over [0, 1]² (101×101 in the seed), row-major
// with y (the second input) as the row: 1 where the perceptron fires.
std::vector<double> perceptron_regions(const PerceptronResult& p, std::size_t grid = 101);

}  // namespace actlab::experiments
