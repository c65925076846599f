// The tutorials' figures, each a composition of the general plotting pieces.
#include "actlab/plot/figures.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "actlab/data/mnist.hpp"
#include "actlab/error.hpp"
#include "actlab/experiments.hpp"
#include "actlab/random.hpp"
#include "actlab/reference.hpp"

namespace actlab::plot {
namespace {

void require_elementwise(const Activation& act) {
  if (act.info().kind != Kind::kElementwise) {
    throw Error(ErrorCode::kInvalidArgument,
                "'" + std::string(act.name()) +
                    "' mixes values along a dimension, so it has no curve to plot; pick an "
                    "elementwise activation (actlab list)");
  }
}

std::vector<double> linspace(double lo, double hi, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  }
  return x;
}

std::vector<double> apply(const Activation& act, const std::vector<double>& x, bool derivative) {
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    y[i] = derivative ? reference::derivative(act, x[i]) : reference::forward(act, x[i]);
  }
  return y;
}

// The seed's grid: x = −10 + k/100 for k < 2000.
std::vector<double> seed_grid() {
  std::vector<double> x(2000);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = -10 + static_cast<double>(k) / 100;
  return x;
}

void check_range(double lo, double hi) {
  if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, "plot range %g,%g: need finite lo < hi", lo, hi);
    throw Error(ErrorCode::kInvalidArgument, buffer);
  }
}

std::string fixed(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;  // numpy's median
}

}  // namespace

Figure function_figure(const Activation& act, double lo, double hi) {
  require_elementwise(act);
  check_range(lo, hi);
  const std::vector<double> x = linspace(lo, hi, 1001);
  Figure fig(1000, 440, 1, 2);
  fig.title(act.to_string() + "    f(x) = " + std::string(act.info().formula));
  fig.panel(0).title("f(x)").x_label("x").y_label("f(x)").zero_lines(true).line(
      x, apply(act, x, false));
  fig.panel(1).title("f\u2032(x)").x_label("x").y_label("f\u2032(x)").zero_lines(true).line(
      x, apply(act, x, true), "", {palette(1)});
  return fig;
}

Figure compare_figure(const std::vector<Activation>& acts, double lo, double hi) {
  check_range(lo, hi);
  if (acts.empty()) throw Error(ErrorCode::kInvalidArgument, "compare: no activations given");
  const std::vector<double> x = linspace(lo, hi, 1001);
  Figure fig(1000, 460, 1, 2);
  std::string names;
  for (const Activation& a : acts) {
    require_elementwise(a);
    names += (names.empty() ? "" : " vs ") + a.to_string();
  }
  fig.title(names);
  Panel& f = fig.panel(0).title("f(x)").x_label("x").y_label("f(x)").zero_lines(true);
  Panel& d = fig.panel(1).title("f\u2032(x)").x_label("x").y_label("f\u2032(x)").zero_lines(true);
  for (const Activation& a : acts) {
    f.line(x, apply(a, x, false), a.to_string());
    d.line(x, apply(a, x, true), a.to_string());
  }
  return fig;
}

Figure view_figure(const Activation& act, const Picture& picture, const std::string& picture_name,
                   std::uint64_t seed) {
  require_elementwise(act);
  if (picture.width == 0 || picture.height == 0 || picture.channels == 0) {
    throw Error(ErrorCode::kInvalidArgument, "view: the picture '" + picture_name + "' is empty");
  }
  const std::vector<double> x = seed_grid();
  std::vector<double> samples(1000);
  Rng rng(seed);
  for (double& s : samples) s = rng.uniform();
  const double mean = std::accumulate(samples.begin(), samples.end(), 0.0) /
                      static_cast<double>(samples.size());
  for (double& s : samples) s -= mean;

  Image img;
  img.rows = picture.height;
  img.cols = picture.width;
  img.values.resize(img.rows * img.cols);
  for (std::size_t r = 0; r < img.rows; ++r) {
    for (std::size_t c = 0; c < img.cols; ++c) img.values[r * img.cols + c] = picture.at(r, c, 0) / 255.0;
  }
  const double med = median(img.values);
  for (double& v : img.values) v -= med;
  img.smooth = img.rows > 200 || img.cols > 200;  // photos: smooth; small pictures: one block per pixel
  img.show_colorbar = true;
  img.colorbar = "value";
  Image activated = img;
  activated.values = apply(act, img.values, false);

  const std::string name = act.to_string();
  Figure fig(1260, 800, 2, 3);
  fig.title(name + ": curve, derivative, and what it does to samples and to an image");
  fig.panel(0).title("f(x)").x_label("x").zero_lines(true).line(x, apply(act, x, false));
  fig.panel(1).title("f\u2032(x)").x_label("x").zero_lines(true).line(x, apply(act, x, true), "",
                                                                        {palette(1)});
  fig.panel(2)
      .title("1,000 uniform samples, mean-centred")
      .x_label("x")
      .y_label("count")
      .histogram(samples, 30, "", palette(2));
  fig.panel(3)
      .title(name + " of the samples")
      .x_label("f(x)")
      .y_label("count")
      .histogram(apply(act, samples, false), 30, "", palette(3));
  fig.panel(4)
      .title("image: channel 0 / 255 \u2212 median")
      .x_label(picture_name)
      .grid(false)
      .equal_aspect(true)
      .image(std::move(img));
  fig.panel(5)
      .title(name + " of the image")
      .x_label(picture_name)
      .grid(false)
      .equal_aspect(true)
      .image(std::move(activated));
  return fig;
}

Picture fashion_mnist_picture(const std::string& folder, std::size_t index) {
  const data::RawMnist raw = data::read_mnist(folder, data::MnistPart::kTest);
  if (index >= raw.size() || raw.images.dims.size() != 3) {
    throw Error(ErrorCode::kInvalidArgument,
                "Fashion-MNIST test image " + std::to_string(index) + " does not exist in " +
                    raw.images_path + " (" + std::to_string(raw.size()) + " images)");
  }
  Picture p;
  p.height = raw.images.dims[1];
  p.width = raw.images.dims[2];
  p.channels = 1;
  const std::size_t n = p.width * p.height;
  p.pixels.assign(raw.images.values.begin() + static_cast<std::ptrdiff_t>(index * n),
                  raw.images.values.begin() + static_cast<std::ptrdiff_t>((index + 1) * n));
  return p;
}

DerivativeLesson derivative_lesson() {
  const Activation sigmoid = Activation::parse("sigmoid");
  DerivativeLesson d;
  for (int k = 0; k <= 1000; ++k) {
    const double x = -5 + k / 100.0;
    const double s = reference::forward(sigmoid, x);
    d.x.push_back(x);
    d.analytic.push_back(s * (1 - s));
    d.tiny_h.push_back((reference::forward(sigmoid, x + 1e-15) - s) / 1e-15);
    d.sane_h.push_back((reference::forward(sigmoid, x + 1e-6) - s) / 1e-6);
  }
  return d;
}

Figure derivative_lesson_figure() {
  const DerivativeLesson d = derivative_lesson();
  const auto log_error = [&](const std::vector<double>& approx) {
    std::vector<double> e(approx.size());
    for (std::size_t i = 0; i < e.size(); ++i) {
      // An exact hit would be log10(0): show it at the bottom of the scale instead.
      e[i] = std::log10(std::max(std::abs(approx[i] - d.analytic[i]), 1e-18));
    }
    return e;
  };
  const std::size_t zero = 500;  // x = 0
  Figure fig(1100, 460, 1, 2);
  fig.title("Sigmoid\u2032 by forward difference (\u03c3(x + h) \u2212 \u03c3(x)) / h: round-off "
            "beats truncation when h is tiny");
  fig.panel(0)
      .title("derivative")
      .x_label("x")
      .y_label("\u03c3\u2032(x)")
      .line(d.x, d.tiny_h, "h = 1e\u221215", {palette(1), 1.2})
      .line(d.x, d.sane_h, "h = 1e\u22126", {palette(2), 3.5})
      .line(d.x, d.analytic, "analytic \u03c3(x)(1 \u2212 \u03c3(x))", {palette(0), 1.5, true});
  fig.panel(1)
      .title("absolute error (log\u2081\u2080)")
      .x_label("x")
      .y_label("log\u2081\u2080 |error|")
      .y_range(-18.5, 0)
      .legend(LegendPlace::kBottomRight)
      .line(d.x, log_error(d.tiny_h), "h = 1e\u221215", {palette(1), 1.2})
      .line(d.x, log_error(d.sane_h), "h = 1e\u22126", {palette(2), 1.5})
      .text(-4.8, -12.3, "x = 0, h = 1e\u221215: " + fixed(d.tiny_h[zero], 7) + " instead of 0.25.")
      .text(-4.8, -13.6, "\u03c3(h) \u2212 \u03c3(0) = 2.5e\u221216 rounds to 2\u00b72\u207b\u2075\u00b3 (doubles")
      .text(-4.8, -14.9, "near 0.5 are 2\u207b\u2075\u00b3 apart); \u00f7 h magnifies it.");
  return fig;
}

namespace {

// One decision-region panel: the 101 × 101 map of outputs over [0, 1]² (0.5 is the white
// boundary), and the four inputs, white for label 1 and dark for label 0.
void region_panel(Panel& panel, const std::string& title, std::vector<double> values,
                  std::size_t grid, experiments::Gate gate) {
  Image img;
  img.rows = img.cols = grid;
  img.values = std::move(values);
  img.origin_lower = true;
  const double half = 0.5 / static_cast<double>(grid - 1);
  img.extent = std::array<double, 4>{-half, 1 + half, -half, 1 + half};
  img.map = ColorMap::kBlueRed;
  img.vmin = -0.25;  // 0 and 1 in mid blue and mid red, so that the points stay readable
  img.vmax = 1.25;
  img.colorbar = "output";
  const auto inputs = experiments::gate_inputs();
  const auto labels = experiments::gate_labels(gate);
  std::vector<double> px, py;
  ScatterStyle points;
  points.radius = 7;
  points.edge = Color{0.1, 0.1, 0.1, 1};
  for (std::size_t i = 0; i < 4; ++i) {
    px.push_back(inputs[i][0]);
    py.push_back(inputs[i][1]);
    points.colors.push_back(labels[i] > 0.5 ? Color{1, 1, 1, 1} : Color{0.1, 0.1, 0.1, 1});
  }
  panel.title(title)
      .x_label("x\u2081")
      .y_label("x\u2082")
      .grid(false)
      .equal_aspect(true)
      .x_range(-0.08, 1.08)
      .y_range(-0.08, 1.08)
      .image(std::move(img))
      .scatter(px, py, "", points);
}

// The networks' specs in a panel title's width.
std::string short_spec(experiments::GateModel model) {
  switch (model) {
    case experiments::GateModel::kLinear: return "Dense(1)";
    case experiments::GateModel::kSigmoid: return "Dense(1, \u03c3)";
    case experiments::GateModel::kHiddenSigmoid: return "Dense(2, \u03c3) \u2192 Dense(1)";
    case experiments::GateModel::kQuadraticFeatures: return "(x\u2081, x\u2082, x\u2081x\u2082) \u2192 Dense(1, \u03c3)";
  }
  return experiments::gate_model_spec(model);
}

}  // namespace

Figure regions_figure(std::uint64_t seed, bool networks) {
  using namespace experiments;
  const Gate gates[] = {Gate::kAnd, Gate::kOr, Gate::kXor};
  const GateModel models[] = {GateModel::kLinear, GateModel::kSigmoid, GateModel::kHiddenSigmoid,
                              GateModel::kQuadraticFeatures};
  const std::size_t grid = 101, rows = networks ? 5 : 1;
  Figure fig(1080, static_cast<int>(34 + 330 * rows), rows, 3);
  fig.title("Decision regions, 101 \u00d7 101 grid, seed " + std::to_string(seed) +
            ": output 1 red, 0 blue, 0.5 white; white points have label 1");
  for (std::size_t g = 0; g < 3; ++g) {
    const PerceptronResult r = train_perceptron(gates[g], seed);
    region_panel(fig.panel(0, g),
                 "perceptron, " + upper(gate_name(gates[g])) + ": accuracy " + fixed(r.accuracy, 2),
                 perceptron_regions(r, grid), grid, gates[g]);
  }
  for (std::size_t m = 0; networks && m < 4; ++m) {
    for (std::size_t g = 0; g < 3; ++g) {
      const GateResult r = train_gate_model(models[m], gates[g], seed, 1000, grid);
      region_panel(fig.panel(m + 1, g),
                   short_spec(models[m]) + ", " + upper(gate_name(gates[g])) + ": " +
                       fixed(r.accuracy, 2),
                   r.regions, grid, gates[g]);
    }
  }
  return fig;
}

Figure approx_figure(std::uint64_t seed, std::size_t epochs) {
  const experiments::ApproxResult r = experiments::approximate_square(seed, epochs);
  std::vector<double> square(r.x.size());
  for (std::size_t i = 0; i < r.x.size(); ++i) square[i] = r.x[i] * r.x[i];
  Figure fig(900, 560);
  fig.title("ReLU networks of " + std::to_string(r.parallel_parameters) +
            " parameters fitting x\u00b2 + 10\u00b7N(0, 1) (seed " + std::to_string(seed) + ", " +
            std::to_string(epochs) + " epochs)");
  ScatterStyle noisy;
  noisy.color = Color{0.55, 0.55, 0.55, 0.45};
  noisy.radius = 1.6;
  fig.panel(0)
      .x_label("x")
      .y_label("y")
      .legend(LegendPlace::kTopLeft)
      .scatter(r.x, r.y_noisy, "targets x\u00b2 + noise", noisy)
      .line(r.x, square, "x\u00b2", {Color{0.1, 0.1, 0.1, 1}, 1.5, true})
      .line(r.x, r.parallel_fit,
            "parallel 1\u20136\u20131: MSE " + fixed(r.parallel_mse, 1), {palette(0), 2.5})
      .line(r.x, r.serial_fit,
            "serial 1\u20132\u20132\u20132\u20131: MSE " + fixed(r.serial_mse, 1), {palette(1), 2.5});
  if (std::max(r.parallel_mse, r.serial_mse) > 300) {
    // The noise alone leaves an MSE near 100; a flat stretch is a unit that died.
    fig.panel(0)
        .text(-9.6, -8, "Flat stretches are ReLU units that died (output 0 for every x).")
        .text(-9.6, -17, "The noise alone leaves an MSE near 100; other seeds fit well.");
  }
  return fig;
}

Figure training_figure(const nn::TrainResult& result, const std::string& title) {
  if (result.history.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "training curves: no epochs to plot");
  }
  std::vector<double> epoch, train_loss, val_loss, train_acc, val_acc;
  for (const nn::EpochRecord& e : result.history) {
    epoch.push_back(static_cast<double>(e.epoch));
    train_loss.push_back(e.train_loss);
    val_loss.push_back(e.validation_loss);
    train_acc.push_back(e.train_accuracy);
    val_acc.push_back(e.validation_accuracy);
  }
  Figure fig(1000, 440, 1, 2);
  fig.title(title);
  Panel& loss = fig.panel(0).title("loss").x_label("epoch").y_label("loss").legend(
      LegendPlace::kTopRight);
  Panel& acc = fig.panel(1).title("accuracy").x_label("epoch").y_label("accuracy").legend(
      LegendPlace::kBottomRight);
  const bool one = epoch.size() == 1;  // a single epoch: show points, a line needs two
  ScatterStyle dot;
  dot.radius = 4;
  if (one) {
    loss.scatter(epoch, train_loss, "train", dot).scatter(epoch, val_loss, "validation", dot);
    acc.scatter(epoch, train_acc, "train", dot).scatter(epoch, val_acc, "validation", dot);
  } else {
    loss.line(epoch, train_loss, "train").line(epoch, val_loss, "validation");
    acc.line(epoch, train_acc, "train").line(epoch, val_acc, "validation");
  }
  if (result.best_epoch > 0) {
    const double best = static_cast<double>(result.best_epoch);
    const Range ly = loss.data_y_range(), ay = acc.data_y_range();
    const LineStyle marker{Color{0.4, 0.4, 0.4, 1}, 1.2, true};
    loss.line({best, best}, {ly.lo, ly.hi}, "best epoch " + std::to_string(result.best_epoch),
              marker);
    acc.line({best, best}, {ay.lo, ay.hi}, "best epoch " + std::to_string(result.best_epoch),
             marker);
  }
  return fig;
}

}  // namespace actlab::plot
