// actlab perceptron | gates | linear-collapse | approx: the tutorials' small experiments.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actlab/error.hpp"
#include "actlab/experiments.hpp"
#include "cli.hpp"

namespace actlab::cli {
namespace {

struct PerceptronOptions {
  std::string gate = "and";
  std::uint64_t seed = 1;
  double learning_rate = 0.01;
  std::size_t epochs = 1000;
  bool as_json = false;
};

void run_perceptron(const PerceptronOptions& o) {
  using namespace experiments;
  const Gate gate = parse_gate(o.gate);
  const PerceptronResult r = train_perceptron(gate, o.seed, o.learning_rate, o.epochs);
  const auto inputs = gate_inputs();
  const auto labels = gate_labels(gate);
  if (o.as_json) {
    nlohmann::json j{{"gate", gate_name(gate)},       {"seed", o.seed},
                     {"learning_rate", o.learning_rate}, {"epochs", o.epochs},
                     {"weights", r.weights},          {"bias", r.bias},
                     {"predictions", r.predictions},  {"labels", labels},
                     {"accuracy", r.accuracy},        {"accuracy_per_epoch", r.accuracy_per_epoch}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format(
      "Perceptron on {} — binary step, perceptron rule, lr {}, {} epochs, seed {}\n\n"
      "  x1  x2 | label | output\n",
      gate_name(gate), o.learning_rate, o.epochs, o.seed);
  for (std::size_t i = 0; i < 4; ++i) {
    std::cout << fmt::format("  {:>2}  {:>2} | {:>5} | {:>6}{}\n", inputs[i][0], inputs[i][1],
                             labels[i], r.predictions[i],
                             r.predictions[i] == labels[i] ? "" : "   ✗");
  }
  std::cout << fmt::format("\n  accuracy {:.2f}   weights ({:.8f}, {:.8f})   bias {:.8f}\n",
                           r.accuracy, r.weights[0], r.weights[1], r.bias);
  if (gate == Gate::kXor) {
    std::cout << "\n  XOR is not linearly separable: no line splits {(0,1), (1,0)} from "
                 "{(0,0), (1,1)},\n  so a single perceptron never reaches 1.0 (the seed's run "
                 "ends at 0.25). A hidden layer\n  solves it: see 'actlab gates'.\n";
  } else {
    std::cout << fmt::format("\n  {} is linearly separable: the perceptron rule finds a "
                             "separating line.\n",
                             gate == Gate::kAnd ? "AND" : "OR");
  }
}

struct NetworkOptions {
  std::uint64_t seed = 1;
  std::size_t epochs = 0;  // 0: the seed's count
  std::string csv;
  std::size_t runs = 5;  // approx: seeds seed … seed + runs − 1 (one init can kill ReLUs)
  bool as_json = false;
};

void run_gates(const NetworkOptions& o) {
  using namespace experiments;
  const std::size_t epochs = o.epochs == 0 ? 1000 : o.epochs;
  nlohmann::json rows = nlohmann::json::array();
  if (!o.as_json) {
    std::cout << fmt::format(
        "Seed 004's networks on the gates — MSE, Adam lr 0.01, {} epochs, seed {}; output ≥ 0.5 "
        "is 1\n\n  {:<38} {:>6} {:>6} {:>6}   solves XOR?\n",
        epochs, o.seed, "network", "AND", "OR", "XOR");
  }
  for (GateModel model : {GateModel::kLinear, GateModel::kSigmoid, GateModel::kHiddenSigmoid,
                          GateModel::kQuadraticFeatures}) {
    std::array<double, 3> accuracy{};
    int i = 0;
    for (Gate gate : {Gate::kAnd, Gate::kOr, Gate::kXor}) {
      const GateResult r = train_gate_model(model, gate, o.seed, epochs);
      accuracy[i++] = r.accuracy;
      rows.push_back({{"model", gate_model_name(model)}, {"spec", gate_model_spec(model)},
                      {"gate", gate_name(gate)}, {"accuracy", r.accuracy},
                      {"outputs", r.outputs}, {"final_loss", r.final_loss}});
    }
    if (!o.as_json) {
      std::cout << fmt::format("  {:<38} {:>6.2f} {:>6.2f} {:>6.2f}   {}\n",
                               gate_model_spec(model), accuracy[0], accuracy[1], accuracy[2],
                               accuracy[2] == 1.0 ? "yes" : "no");
    }
  }
  if (o.as_json) {
    std::cout << nlohmann::json{{"seed", o.seed}, {"epochs", epochs}, {"results", rows}}.dump(2)
              << "\n";
    return;
  }
  std::cout << "\n  One unit draws one line, so it cannot separate XOR; two sigmoid units in a hidden\n"
               "  layer (or the product feature x1·x2) can. From a random start the hidden layer\n"
               "  can stall in 1000 steps (about half the seeds): try --epochs 3000 or another --seed.\n";
}

void run_linear_collapse(const NetworkOptions& o) {
  const auto r = experiments::linear_collapse(o.seed);
  if (o.as_json) {
    std::cout << nlohmann::json{{"widths", r.widths}, {"product", r.product}, {"bias", r.bias},
                                {"max_difference_linear", r.max_difference_linear},
                                {"max_difference_with_relu", r.max_difference_with_relu}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << fmt::format("Three linear layers {} fold into one affine map y = W·x + b:\n\n",
                           fmt::join(r.widths, " → "));
  for (std::size_t i = 0; i < r.product.size(); ++i) {
    std::cout << "  [";
    for (double w : r.product[i]) std::cout << fmt::format(" {:>10.6f}", w);
    std::cout << fmt::format(" ]   b = {:>10.6f}\n", r.bias[i]);
  }
  std::cout << fmt::format(
      "\n  max |stack(x) − (W·x + b)| over 1,000 random x:        {:.3g}  (float rounding: they are "
      "the same function)\n"
      "  the same with ReLU between the layers:                  {:.3g}  (no longer one linear map)\n",
      r.max_difference_linear, r.max_difference_with_relu);
}

void run_approx(const NetworkOptions& o) {
  const std::size_t epochs = o.epochs == 0 ? 100 : o.epochs;
  std::vector<experiments::ApproxResult> results;
  for (std::size_t i = 0; i < std::max<std::size_t>(o.runs, 1); ++i) {
    results.push_back(experiments::approximate_square(o.seed + i, epochs));
  }
  const auto& first = results.front();
  if (!o.csv.empty()) {
    std::FILE* f = std::fopen(o.csv.c_str(), "w");
    if (f == nullptr) throw Error(ErrorCode::kIo, "cannot write '" + o.csv + "'");
    std::fprintf(f, "x,y_noisy,x_squared,parallel_fit,serial_fit\n");
    for (std::size_t i = 0; i < first.x.size(); ++i) {
      std::fprintf(f, "%.2f,%.9g,%.9g,%.9g,%.9g\n", first.x[i], first.y_noisy[i],
                   first.x[i] * first.x[i], first.parallel_fit[i], first.serial_fit[i]);
    }
    if (std::fclose(f) != 0) throw Error(ErrorCode::kIo, "cannot write '" + o.csv + "'");
  }
  const auto median = [&](auto member) {
    std::vector<double> v;
    for (const auto& r : results) v.push_back(r.*member);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  using R = experiments::ApproxResult;
  if (o.as_json) {
    nlohmann::json runs = nlohmann::json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      runs.push_back({{"seed", o.seed + i},
                      {"parallel", {{"mse", r.parallel_mse}, {"mse_vs_x_squared", r.parallel_mse_clean}}},
                      {"serial", {{"mse", r.serial_mse}, {"mse_vs_x_squared", r.serial_mse_clean}}}});
    }
    std::cout << nlohmann::json{{"epochs", epochs},
                                {"parameters", {{"parallel", first.parallel_parameters},
                                                {"serial", first.serial_parameters}}},
                                {"median_mse", {{"parallel", median(&R::parallel_mse)},
                                                {"serial", median(&R::serial_mse)}}},
                                {"runs", runs}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << fmt::format(
      "y = x² + 10·N(0,1) on [−10, 10] (2,001 points), Adam lr 0.005, batch 32, {} epochs\n"
      "parallel: Dense(6, relu) → Dense(1), {} parameters; serial: 3 × Dense(2, relu) → "
      "Dense(1), {} parameters\n\n  {:>6} {:>16} {:>16}   (MSE against the noisy targets)\n",
      epochs, first.parallel_parameters, first.serial_parameters, "seed", "parallel", "serial");
  for (std::size_t i = 0; i < results.size(); ++i) {
    std::cout << fmt::format("  {:>6} {:>16.2f} {:>16.2f}\n", o.seed + i, results[i].parallel_mse,
                             results[i].serial_mse);
  }
  std::cout << fmt::format("  {:>6} {:>16.2f} {:>16.2f}\n", "median", median(&R::parallel_mse),
                           median(&R::serial_mse));
  std::cout << "\n  The noise alone leaves an MSE near 100. Six ReLUs side by side give up to six kinks\n"
               "  and fit x² well; the narrow serial stack often loses units that die at 0 (an MSE\n"
               "  near 1,050 is a flat line: the variance of the targets), as can an unlucky start.\n";
  if (!o.csv.empty()) std::cout << "  fitted curves of seed " << o.seed << ": " << o.csv << "\n";
}

void add_network_options(CLI::App* cmd, const std::shared_ptr<NetworkOptions>& o, bool csv) {
  cmd->add_option("--seed", o->seed, "Seed for weights, noise and shuffling")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Epochs (default: the seed's)");
  if (csv) {
    cmd->add_option("--csv", o->csv, "Write x, targets and both fitted curves as CSV");
    cmd->add_option("--runs", o->runs, "How many seeds to train (seed, seed + 1, …)")
        ->capture_default_str();
  }
  cmd->add_flag("--json", o->as_json, "As JSON");
}

}  // namespace

void add_experiment_commands(CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand(
      "perceptron", "A perceptron learning a logic gate (AND/OR succeed, XOR cannot)");
  auto o = std::make_shared<PerceptronOptions>();
  cmd->add_option("--gate", o->gate, "and | or | xor")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for the initial weights")->capture_default_str();
  cmd->add_option("--lr", o->learning_rate, "Learning rate")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--epochs", o->epochs, "Passes over the four inputs")->capture_default_str();
  cmd->add_flag("--json", o->as_json, "As JSON (with the accuracy after every epoch)");
  cmd->callback([o] { run_perceptron(*o); });

  auto* gates = app.add_subcommand(
      "gates", "Linear, sigmoid, hidden-layer and quadratic networks on AND/OR/XOR");
  auto g = std::make_shared<NetworkOptions>();
  add_network_options(gates, g, false);
  gates->callback([g] { run_gates(*g); });

  auto* collapse = app.add_subcommand(
      "linear-collapse", "Stacked linear layers equal one linear layer; a ReLU breaks that");
  auto c = std::make_shared<NetworkOptions>();
  add_network_options(collapse, c, false);
  collapse->callback([c] { run_linear_collapse(*c); });

  auto* approx = app.add_subcommand(
      "approx", "ReLU networks (parallel 1-6-1 vs serial 1-2-2-2-1) fitting x² with noise");
  auto a = std::make_shared<NetworkOptions>();
  add_network_options(approx, a, true);
  approx->callback([a] { run_approx(*a); });
}

}  // namespace actlab::cli
