// The tutorials' figures (EXPERIMENTS.md §3–5), built from the general module in figure.hpp,
// so that the CLI, the tests and the tour page draw the same pictures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/nn/model.hpp"
#include "actlab/plot/figure.hpp"
#include "actlab/plot/picture.hpp"

namespace actlab::plot {

// f(x) (left panel) and f′(x) (right panel) of an elementwise activation from the double
// reference, at 1,001 points over [lo, hi]. Error kInvalidArgument for along-dim activations
// (softmax, glu, …: they have no curve) or lo ≥ hi.
Figure function_figure(const Activation& act, double lo = -10, double hi = 10);

// Several activations on one chart each for f and f′ (seed 001's SiLU vs ReLU figure).
Figure compare_figure(const std::vector<Activation>& acts, double lo = -5, double hi = 5);

// The six panels of EXPERIMENTS.md §4: f and f′ on x = −10 + k/100 (k < 2000); 1,000
// uniform samples on [0, 1) from actlab::Rng(seed), mean-centred, as a histogram, and the same
// after the activation; the picture's channel 0 / 255 minus its median, and that after the
// activation. `picture_name` is shown in the titles.
Figure view_figure(const Activation& act, const Picture& picture, const std::string& picture_name,
                   std::uint64_t seed = 1);

// The default picture of `actlab view`: Fashion-MNIST t10k image `index` (index 0 is an
// ankle boot) from `folder`, as a 28 × 28 gray Picture; errors as data::read_mnist.
Picture fashion_mnist_picture(const std::string& folder, std::size_t index = 0);

// The derivative round-off lesson: sigmoid's forward difference (σ(x + h) − σ(x))/h with
// h = 1e-15 and h = 1e-6 against σ(x)(1 − σ(x)) on x = −5 + k/100 (k = 0…1000), and the
// absolute errors on a log scale. At x = 0, h = 1e-15 gives 0.2220446 instead of 0.25.
Figure derivative_lesson_figure();
// The values behind it: x, analytic, h = 1e-15 and h = 1e-6 differences.
struct DerivativeLesson {
  std::vector<double> x, analytic, tiny_h, sane_h;
};
DerivativeLesson derivative_lesson();

// Decision regions on AND, OR and XOR on the 101 × 101 grid over [0, 1]², with the four
// inputs marked by their labels (EXPERIMENTS.md §3): the perceptron (first row) and, with
// `networks`, seed 004's gate networks (linear, sigmoid, hidden sigmoid, quadratic feature),
// one row each, their outputs coloured with 0.5 (the threshold) in white.
Figure regions_figure(std::uint64_t seed = 1, bool networks = true);

// Seed 004's x² fits (experiments::approximate_square): the noisy targets, x², and the
// parallel and serial ReLU networks' curves with their MSEs.
Figure approx_figure(std::uint64_t seed = 1, std::size_t epochs = 100);

// Training curves of nn::fit (actlab train): loss and accuracy per epoch for the training and
// validation sets, the best epoch marked by a dashed line. Error kInvalidArgument if empty.
Figure training_figure(const nn::TrainResult& result, const std::string& title);

}  // namespace actlab::plot
