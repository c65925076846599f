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

namespace actlab::experiments {

// Seed 004's Keras networks on the gates: MSE, Adam(lr 0.01, Keras' eps 1e-7), the four
// inputs as one batch, 1000 epochs, Glorot-uniform weights and zero biases (Keras' defaults);
// an output ≥ 0.5 counts as 1.
enum class GateModel {
  kLinear,             // Dense(1), no activation
  kSigmoid,            // Dense(1, sigmoid)
  kHiddenSigmoid,      // Dense(2, sigmoid) → Dense(1): solves XOR
  kQuadraticFeatures,  // Dense(1, sigmoid) on (x1, x2, x1·x2): "a quadratic term" solves XOR
};
std::string gate_model_name(GateModel model);
std::string gate_model_spec(GateModel model);

struct GateResult {
  GateModel model{};
  Gate gate{};
  std::array<double, 4> outputs{};
  double accuracy = 0;
  double final_loss = 0;
  std::vector<double> regions;  // grid×grid outputs over [0, 1]², row = x2 (if grid > 0)
};
GateResult train_gate_model(GateModel model, Gate gate, std::uint64_t seed,
                            std::size_t epochs = 1000, std::size_t grid = 0);

// Stacked linear layers collapse into one affine map; one ReLU between them breaks it.
struct CollapseResult {
  std::vector<std::size_t> widths;            // e.g. 3 → 5 → 4 → 2
  std::vector<std::vector<double>> product;   // W = W_L⋯W_1, (out × in)
  std::vector<double> bias;                   // b = W_L⋯W_2·b_1 + … + b_L
  double max_difference_linear = 0;           // max |stack(x) − (W·x + b)| over the samples
  double max_difference_with_relu = 0;        // the same with ReLU between the layers
};
CollapseResult linear_collapse(std::uint64_t seed, std::size_t samples = 1000);

// Seed 004: y = x² + 10·N(0, 1) on x = −10 + k/100 (k = 0…2000), fitted by ReLU networks of
// 19 parameters each: parallel Dense(6, relu) → Dense(1) and serial 3 × Dense(2, relu) →
// Dense(1); Adam lr 0.005, batch 32 (shuffled), 100 epochs, MSE.
struct ApproxResult {
  std::vector<double> x, y_noisy, parallel_fit, serial_fit;
  double parallel_mse = 0;  // against the noisy targets, after training
  double serial_mse = 0;
  double parallel_mse_clean = 0;  // against x² itself
  double serial_mse_clean = 0;
  std::size_t parallel_parameters = 0, serial_parameters = 0;
};
ApproxResult approximate_square(std::uint64_t seed, std::size_t epochs = 100);

}  // namespace actlab::experiments
