// actlab plot | view | plot-derivative | plot-regions | plot-approx: the tutorials' figures as PNG, SVG or
// PDF files (docs/figures.md).
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "actlab/activation.hpp"
#include "actlab/data/mnist.hpp"
#include "actlab/error.hpp"
#include "actlab/plot/figures.hpp"
#include "cli.hpp"

namespace actlab::cli {
namespace {

void save(const plot::Figure& fig, const std::string& path) {
  fig.save(path);
  std::cout << "wrote " << path << "\n";
}

// "lo,hi" → two numbers.
std::pair<double, double> parse_range(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                "--range expects LO,HI (for example --range=-10,10), got '" + text + "'");
  }
  return {parse_number(text.substr(0, comma), "--range's LO", false),
          parse_number(text.substr(comma + 1), "--range's HI", false)};
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> names;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) names.push_back(item);
  }
  return names;
}

struct PlotOptions {
  std::string name;
  std::vector<std::string> params;
  std::string compare;
  std::string range;
  std::string out;
  bool derivative_lesson = false;
};

void run_plot(const PlotOptions& o) {
  if (o.derivative_lesson) {
    save(plot::derivative_lesson_figure(), o.out.empty() ? "derivative_lesson.png" : o.out);
    return;
  }
  if (!o.compare.empty()) {
    std::vector<Activation> acts;
    std::string stem = "compare";
    for (const std::string& n : split_names(o.compare)) {
      acts.push_back(Activation::parse(n, parse_params(o.params)));
      stem += "_" + std::string(acts.back().name());
    }
    const auto [lo, hi] = o.range.empty() ? std::pair{-5.0, 5.0} : parse_range(o.range);
    save(plot::compare_figure(acts, lo, hi), o.out.empty() ? stem + ".png" : o.out);
    return;
  }
  if (o.name.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "plot: name an activation (actlab plot relu), or use --compare a,b,c or "
                "--derivative-lesson");
  }
  const Activation act = Activation::parse(o.name, parse_params(o.params));
  const auto [lo, hi] = o.range.empty() ? std::pair{-10.0, 10.0} : parse_range(o.range);
  save(plot::function_figure(act, lo, hi),
       o.out.empty() ? std::string(act.name()) + ".png" : o.out);
}

struct ViewOptions {
  std::string name;
  std::vector<std::string> params;
  std::string image;
  std::string data_folder = data::kDefaultMnistFolder;
  std::size_t index = 0;
  std::uint64_t seed = 1;
  std::string out;
};

void run_view(const ViewOptions& o) {
  const Activation act = Activation::parse(o.name, parse_params(o.params));
  plot::Picture picture;
  std::string picture_name;
  if (o.image.empty()) {
    picture = plot::fashion_mnist_picture(o.data_folder, o.index);
    picture_name = "Fashion-MNIST test image " + std::to_string(o.index);
  } else {
    picture = plot::read_picture(o.image);
    const auto slash = o.image.find_last_of('/');
    picture_name = slash == std::string::npos ? o.image : o.image.substr(slash + 1);
  }
  save(plot::view_figure(act, picture, picture_name, o.seed),
       o.out.empty() ? "view_" + std::string(act.name()) + ".png" : o.out);
}

struct RegionOptions {
  std::string out;
  std::uint64_t seed = 1;
  bool perceptron_only = false;
};

struct ApproxOptions {
  std::string out;
  std::uint64_t seed = 1;
  std::size_t epochs = 100;
};

}  // namespace

void add_plot_commands(CLI::App& app, int& /*exit_code*/) {
  auto* plot_cmd = app.add_subcommand(
      "plot",
      "Draw f and f' of an activation (double reference) to a PNG, SVG or PDF file.\n"
      "  actlab plot gelu --out gelu.svg\n"
      "  actlab plot --compare relu,silu,gelu\n"
      "  actlab plot --derivative-lesson       (sigmoid' by forward difference, h = 1e-15 vs 1e-6)");
  auto p = std::make_shared<PlotOptions>();
  plot_cmd->add_option("name", p->name, "Activation name or alias");
  plot_cmd->add_option("-p,--param", p->params, "A parameter, NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  plot_cmd->add_option("--compare", p->compare, "Several activations on one chart: a,b,c");
  plot_cmd->add_option("--range", p->range,
                       "x range LO,HI (default -10,10; -5,5 with --compare); write "
                       "--range=-10,10");
  plot_cmd->add_option("-o,--out", p->out, "Output file: .png, .svg or .pdf (default NAME.png)");
  plot_cmd->add_flag("--derivative-lesson", p->derivative_lesson,
                     "The numerical vs analytic derivative of sigmoid (the round-off lesson)");
  plot_cmd->callback([p] { run_plot(*p); });

  auto* lesson = app.add_subcommand(
      "plot-derivative", "Sigmoid' by forward difference with h = 1e-15 and 1e-6 vs analytic");
  auto l = std::make_shared<std::string>();
  lesson->add_option("-o,--out", *l, "Output file (default derivative_lesson.png)");
  lesson->callback([l] {
    save(plot::derivative_lesson_figure(), l->empty() ? "derivative_lesson.png" : *l);
  });

  auto* view = app.add_subcommand(
      "view",
      "Six panels: f, f', a histogram of 1,000 mean-centred uniform samples and of f of them,\n"
      "an image's channel 0 / 255 minus its median and f of it (default image: Fashion-MNIST\n"
      "test image 0, an ankle boot)");
  auto v = std::make_shared<ViewOptions>();
  view->add_option("name", v->name, "Activation name or alias")->required();
  view->add_option("-p,--param", v->params, "A parameter, NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  view->add_option("--image", v->image, "A PNG or JPEG file (default: a Fashion-MNIST image)");
  view->add_option("--index", v->index, "Which Fashion-MNIST test image, without --image")
      ->capture_default_str();
  view->add_option("--data", v->data_folder, "Fashion-MNIST folder")->capture_default_str();
  view->add_option("--seed", v->seed, "Seed of the uniform samples")->capture_default_str();
  view->add_option("-o,--out", v->out, "Output file (default view_NAME.png)");
  view->callback([v] { run_view(*v); });

  auto* regions = app.add_subcommand(
      "plot-regions",
      "Decision regions on AND/OR/XOR (101 x 101 grid): the perceptron and seed 004's networks");
  auto r = std::make_shared<RegionOptions>();
  regions->add_option("-o,--out", r->out, "Output file (default regions.png)");
  regions->add_option("--seed", r->seed, "Seed of the initial weights")->capture_default_str();
  regions->add_flag("--perceptron-only", r->perceptron_only, "Only the perceptron's row");
  regions->callback([r] {
    save(plot::regions_figure(r->seed, !r->perceptron_only),
         r->out.empty() ? "regions.png" : r->out);
  });

  auto* approx = app.add_subcommand(
      "plot-approx", "Parallel and serial ReLU networks fitting x² + noise (seed 004)");
  auto a = std::make_shared<ApproxOptions>();
  approx->add_option("-o,--out", a->out, "Output file (default approx.png)");
  approx->add_option("--seed", a->seed, "Seed of noise, weights and shuffling")
      ->capture_default_str();
  approx->add_option("--epochs", a->epochs, "Training epochs")->capture_default_str();
  approx->callback([a] {
    save(plot::approx_figure(a->seed, a->epochs), a->out.empty() ? "approx.png" : a->out);
  });
}

}  // namespace actlab::cli
