// The seeds' small networks: gates (seed 004), linear collapse, and ReLU fits of x².
#include <algorithm>
#include <cmath>

#include "actlab/data/batches.hpp"
#include "actlab/error.hpp"
#include "actlab/experiments.hpp"
#include "actlab/nn/loss.hpp"
#include "actlab/nn/model.hpp"
#include "actlab/nn/optimizer.hpp"
#include "actlab/random.hpp"

namespace actlab::experiments {
namespace {

using nn::Init;
using nn::Sequential;

// Keras' Dense default: Glorot-uniform weights, zero bias.
std::unique_ptr<nn::Layer> keras_dense(std::size_t in, std::size_t out, Rng& rng) {
  auto layer = nn::make_dense(in, out, true, Init::kXavierUniform);
  layer->reset_parameters(rng);
  return layer;
}

std::unique_ptr<nn::Layer> act(ActivationId id) { return nn::make_activation(Activation(id)); }

Sequential build_gate_model(GateModel model, Rng& rng) {
  Sequential net;
  switch (model) {
    case GateModel::kLinear:
      net.add(keras_dense(2, 1, rng));
      break;
    case GateModel::kSigmoid:
      net.add(keras_dense(2, 1, rng)).add(act(ActivationId::kSigmoid));
      break;
    case GateModel::kHiddenSigmoid:
      net.add(keras_dense(2, 2, rng)).add(act(ActivationId::kSigmoid)).add(keras_dense(2, 1, rng));
      break;
    case GateModel::kQuadraticFeatures:
      net.add(keras_dense(3, 1, rng)).add(act(ActivationId::kSigmoid));
      break;
  }
  return net;
}

// The network's input for (x1, x2): the quadratic model also sees x1·x2.
std::vector<float> features(GateModel model, double x1, double x2) {
  if (model == GateModel::kQuadraticFeatures) {
    return {static_cast<float>(x1), static_cast<float>(x2), static_cast<float>(x1 * x2)};
  }
  return {static_cast<float>(x1), static_cast<float>(x2)};
}

Tensor feature_batch(GateModel model, const std::vector<std::array<double, 2>>& points) {
  const std::size_t width = model == GateModel::kQuadraticFeatures ? 3 : 2;
  std::vector<float> values;
  for (const auto& p : points) {
    const auto f = features(model, p[0], p[1]);
    values.insert(values.end(), f.begin(), f.end());
  }
  return Tensor({points.size(), width}, std::move(values));
}

nn::AdamOptions keras_adam(double lr) {
  nn::AdamOptions o;
  o.lr = lr;
  o.eps = 1e-7;  // Keras' default (PyTorch's is 1e-8)
  return o;
}

}  // namespace

std::string gate_model_name(GateModel model) {
  switch (model) {
    case GateModel::kLinear: return "linear";
    case GateModel::kSigmoid: return "sigmoid";
    case GateModel::kHiddenSigmoid: return "hidden-sigmoid";
    case GateModel::kQuadraticFeatures: return "quadratic-sigmoid";
  }
  return "?";
}

std::string gate_model_spec(GateModel model) {
  switch (model) {
    case GateModel::kLinear: return "Dense(1)";
    case GateModel::kSigmoid: return "Dense(1, sigmoid)";
    case GateModel::kHiddenSigmoid: return "Dense(2, sigmoid) → Dense(1)";
    case GateModel::kQuadraticFeatures: return "(x1, x2, x1·x2) → Dense(1, sigmoid)";
  }
  return "?";
}

GateResult train_gate_model(GateModel model, Gate gate, std::uint64_t seed, std::size_t epochs,
                            std::size_t grid) {
  Rng rng(seed);
  Sequential net = build_gate_model(model, rng);
  const auto corners = gate_inputs();
  const std::vector<std::array<double, 2>> points(corners.begin(), corners.end());
  const Tensor inputs = feature_batch(model, points);
  const auto labels = gate_labels(gate);
  const Tensor targets({4, 1}, std::vector<float>(labels.begin(), labels.end()));
  auto optimizer = nn::make_adam(net.parameters(), keras_adam(0.01));

  GateResult r;
  r.model = model;
  r.gate = gate;
  for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
    net.zero_grad();
    const Tensor out = net.forward(inputs, true);
    const nn::LossResult loss = nn::mse_loss(out, targets);
    net.backward(loss.gradient);
    optimizer->step();
  }
  const Tensor out = net.forward(inputs, false);
  r.final_loss = nn::mse_loss(out, targets).value;
  double correct = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    r.outputs[i] = out[i];
    correct += (out[i] >= 0.5 ? 1.0 : 0.0) == labels[i] ? 1 : 0;
  }
  r.accuracy = correct / 4;
  if (grid > 0) {
    std::vector<std::array<double, 2>> lattice;
    const double step = grid > 1 ? 1.0 / static_cast<double>(grid - 1) : 0;
    for (std::size_t row = 0; row < grid; ++row) {
      for (std::size_t col = 0; col < grid; ++col) lattice.push_back({col * step, row * step});
    }
    const Tensor values = net.forward(feature_batch(model, lattice), false);
    r.regions.assign(values.data().begin(), values.data().end());
  }
  return r;
}

CollapseResult linear_collapse(std::uint64_t seed, std::size_t samples) {
  Rng rng(seed);
  CollapseResult r;
  r.widths = {3, 5, 4, 2};
  std::vector<std::unique_ptr<nn::Layer>> layers;
  for (std::size_t i = 0; i + 1 < r.widths.size(); ++i) {
    layers.push_back(nn::make_dense(r.widths[i], r.widths[i + 1]));
    layers.back()->reset_parameters(rng);
  }
  // Fold the layers into one affine map in double: W ← W_i·W, b ← W_i·b + b_i.
  std::size_t in = r.widths[0];
  std::vector<std::vector<double>> w(in, std::vector<double>(in, 0.0));
  for (std::size_t i = 0; i < in; ++i) w[i][i] = 1;
  std::vector<double> b(in, 0.0);
  for (auto& layer : layers) {
    const auto params = layer->parameters();
    const Tensor& weight = *params[0].value;  // (out, in)
    const Tensor& bias = *params[1].value;
    const std::size_t out = weight.dim(0);
    std::vector<std::vector<double>> next(out, std::vector<double>(r.widths[0], 0.0));
    std::vector<double> next_b(out, 0.0);
    for (std::size_t o = 0; o < out; ++o) {
      next_b[o] = bias[o];
      for (std::size_t k = 0; k < in; ++k) {
        const double wk = weight[o * in + k];
        next_b[o] += wk * b[k];
        for (std::size_t j = 0; j < r.widths[0]; ++j) next[o][j] += wk * w[k][j];
      }
    }
    w = std::move(next);
    b = std::move(next_b);
    in = out;
  }
  r.product = w;
  r.bias = b;

  std::vector<float> xs(samples * r.widths[0]);
  for (float& x : xs) x = static_cast<float>(rng.uniform(-3, 3));
  const Tensor x({samples, r.widths[0]}, xs);
  const auto run = [&](bool with_relu) {
    Tensor h = x;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      h = layers[i]->forward(h, false);
      if (with_relu && i + 1 < layers.size()) {
        h = nn::make_activation(Activation(ActivationId::kRelu))->forward(h, false);
      }
    }
    double worst = 0;
    const std::size_t out = r.widths.back();
    for (std::size_t s = 0; s < samples; ++s) {
      for (std::size_t o = 0; o < out; ++o) {
        double affine = b[o];
        for (std::size_t j = 0; j < r.widths[0]; ++j) affine += w[o][j] * x[s * r.widths[0] + j];
        worst = std::max(worst, std::fabs(h[s * out + o] - affine));
      }
    }
    return worst;
  };
  r.max_difference_linear = run(false);
  r.max_difference_with_relu = run(true);
  return r;
}

ApproxResult approximate_square(std::uint64_t seed, std::size_t epochs) {
  Rng rng(seed);
  ApproxResult r;
  for (int k = 0; k <= 2000; ++k) {
    const double x = -10.0 + k / 100.0;
    r.x.push_back(x);
    r.y_noisy.push_back(x * x + 10.0 * rng.normal());
  }
  const std::size_t n = r.x.size();
  const Tensor inputs({n, 1}, std::vector<float>(r.x.begin(), r.x.end()));
  const Tensor targets({n, 1}, std::vector<float>(r.y_noisy.begin(), r.y_noisy.end()));

  const auto train = [&](Sequential& net, std::vector<double>& fit, double& mse,
                         double& mse_clean, std::uint64_t shuffle_seed) {
    auto optimizer = nn::make_adam(net.parameters(), keras_adam(0.005));
    data::BatchLoader loader(inputs, targets, 32, true, shuffle_seed);
    for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
      loader.next_epoch();
      for (std::size_t b = 0; b < loader.batch_count(); ++b) {
        const data::Batch batch = loader.batch(b);
        net.zero_grad();
        const nn::LossResult loss = nn::mse_loss(net.forward(batch.inputs, true), batch.targets);
        net.backward(loss.gradient);
        optimizer->step();
      }
    }
    const Tensor out = net.forward(inputs, false);
    fit.assign(out.data().begin(), out.data().end());
    mse = nn::mse_loss(out, targets).value;
    mse_clean = 0;
    for (std::size_t i = 0; i < n; ++i) mse_clean += std::pow(fit[i] - r.x[i] * r.x[i], 2);
    mse_clean /= static_cast<double>(n);
  };

  Sequential parallel;
  parallel.add(keras_dense(1, 6, rng)).add(act(ActivationId::kRelu)).add(keras_dense(6, 1, rng));
  Sequential serial;
  serial.add(keras_dense(1, 2, rng)).add(act(ActivationId::kRelu));
  serial.add(keras_dense(2, 2, rng)).add(act(ActivationId::kRelu));
  serial.add(keras_dense(2, 2, rng)).add(act(ActivationId::kRelu));
  serial.add(keras_dense(2, 1, rng));
  r.parallel_parameters = parallel.parameter_count();
  r.serial_parameters = serial.parameter_count();
  train(parallel, r.parallel_fit, r.parallel_mse, r.parallel_mse_clean, seed + 1);
  train(serial, r.serial_fit, r.serial_mse, r.serial_mse_clean, seed + 2);
  return r;
}

}  // namespace actlab::experiments
