// The study report's figures (report_figures.hpp): the seed notebook's four plots (value per
// trial, best per activation, value against learning rate coloured by activation) plus the
// learning curves and the parameter importance, drawn with actlab::plot.
#include "report_figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace actlab::study::report_detail {
namespace {

using plot::Color;
using plot::Figure;
using plot::Panel;

constexpr int kWidth = 1000;
const Color kPrunedFill{0.86, 0.86, 0.86, 1}, kPrunedEdge{0.45, 0.45, 0.45, 1};
const Color kOurs = plot::palette(0), kSeed{0.35, 0.35, 0.35, 1}, kBest = plot::palette(1);
// Approximate advance of one character of the plot's 13 px labels (DejaVu Sans), for
// centring text: the plot module places free text by its left edge.
constexpr double kCharPixels = 7.9;

std::string fmt(double value, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

bool has_value(const Trial& t) { return t.value && std::isfinite(*t.value); }

// The corner whose legend box (a `w` × `h` share of the plot) covers the fewest points.
plot::LegendPlace quietest_corner(const std::vector<double>& xs, const std::vector<double>& ys,
                                  plot::Range xr, plot::Range yr, double w, double h) {
  const plot::LegendPlace places[] = {plot::LegendPlace::kBottomLeft,
                                      plot::LegendPlace::kBottomRight,
                                      plot::LegendPlace::kTopLeft, plot::LegendPlace::kTopRight};
  std::size_t best_count = std::numeric_limits<std::size_t>::max();
  plot::LegendPlace best = places[0];
  for (const auto place : places) {
    const bool right = place == plot::LegendPlace::kBottomRight ||
                       place == plot::LegendPlace::kTopRight;
    const bool top = place == plot::LegendPlace::kTopLeft || place == plot::LegendPlace::kTopRight;
    std::size_t count = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double fx = (xs[i] - xr.lo) / (xr.hi - xr.lo), fy = (ys[i] - yr.lo) / (yr.hi - yr.lo);
      const bool in_x = right ? fx > 1 - w : fx < w;
      const bool in_y = top ? fy > 1 - h : fy < h;
      if (in_x && in_y) ++count;
    }
    if (count < best_count) best_count = count, best = place;
  }
  return best;
}

// A log axis drawn with the plot module's category ticks: one tick per `step` decades, the
// ticks at 1, 2 and 5 × 10^k labelled (a 0.1-decade grid hits them within 0.5 %).
struct LogAxis {
  double origin = 0, step = 0.1;
  std::vector<std::string> labels;
  double x(double value) const { return (std::log10(value) - origin) / step; }
};

std::string nice_number(double mantissa, int exponent) {
  if (exponent >= -4 && exponent <= 4) {
    const double v = mantissa * std::pow(10.0, exponent);
    return fmt(v, ("%." + std::to_string(std::max(0, -exponent)) + "f").c_str());
  }
  return fmt(mantissa, "%.0f") + "e" + (exponent < 0 ? "\u2212" : "") +
         std::to_string(std::abs(exponent));
}

LogAxis log_axis(double low, double high) {
  const double llo = std::log10(low), lhi = std::log10(high);
  LogAxis axis;
  for (const double step : {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0}) {
    axis.step = step;
    if (std::ceil(lhi / step - 1e-9) - std::floor(llo / step + 1e-9) <= 16) break;
  }
  const double a = std::floor(llo / axis.step + 1e-9), b = std::ceil(lhi / axis.step - 1e-9);
  axis.origin = a * axis.step;
  for (double k = 0; k <= b - a; k += 1) {
    const double l = axis.origin + k * axis.step;
    const int exponent = static_cast<int>(std::floor(l + 1e-9));
    const double mantissa = std::pow(10.0, l - exponent);
    std::string label;
    for (const double nice : {1.0, 2.0, 5.0, 10.0}) {
      if (std::abs(mantissa - nice) < 0.006 * nice) {
        label = nice == 10.0 ? nice_number(1, exponent + 1) : nice_number(nice, exponent);
      }
    }
    axis.labels.push_back(label);
  }
  return axis;
}

// Free text centred on data x in a panel whose pixel scale is `px_per_unit`.
void centred_text(Panel& p, double x, double y, const std::string& text, double px_per_unit) {
  std::size_t chars = 0;  // UTF-8 code points
  for (const char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  p.text(x - static_cast<double>(chars) * kCharPixels / 2 / px_per_unit, y, text);
}

double px_per_unit(const Figure& fig, std::size_t panel) {
  const plot::Transform t = fig.transform(panel);
  return (t.right - t.left) / (t.x.hi - t.x.lo);
}

// Bars of best accuracies (%) per choice, with the values written above them and "not tried"
// where there is none. The axis starts near the lowest bar (accuracies differ by tenths of a
// percent), which the caption says.
void value_bars(Figure& fig, std::size_t index, const std::vector<std::string>& labels,
                const std::vector<std::optional<double>>& values, const std::string& label,
                Color colour, std::optional<plot::Range> fixed = {}) {
  Panel& p = fig.panel(index);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::vector<double> heights;
  for (const auto& v : values) {
    heights.push_back(v ? *v : 0.0);
    if (v) lo = std::min(lo, *v), hi = std::max(hi, *v);
  }
  plot::Range range{0, 100};
  if (fixed) {
    range = *fixed;
  } else if (lo <= hi) {
    const double span = hi - lo;
    range.lo = std::max(0.0, std::floor(lo - std::max(1.0, 0.6 * span)));
    range.hi = hi + 0.14 * (hi - range.lo);
  }
  p.bars(labels, heights, label, colour).y_range(range.lo, range.hi).grid(true);
  const double scale = px_per_unit(fig, index);
  const double lift = 0.05 * (range.hi - range.lo);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = static_cast<double>(i);
    if (values[i]) {
      centred_text(p, x, *values[i] + lift, fmt(*values[i], "%.2f"), scale);
    }
  }
}

}  // namespace

std::optional<std::size_t> best_trial(const std::vector<Trial>& trials) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (t.state != TrialState::kComplete || !has_value(t)) continue;
    if (!best || *t.value > *trials[*best].value ||
        (*t.value == *trials[*best].value && t.number < trials[*best].number)) {
      best = i;
    }
  }
  return best;
}

std::vector<std::string> choice_labels(const Distribution& distribution) {
  if (distribution.choices == seed_activation_choices()) return seed_activation_labels();
  std::vector<std::string> labels;
  for (const std::string& c : distribution.choices) {
    // Long names would overlap their neighbours on the axis; the table has them in full.
    labels.push_back(c.size() > 18 ? c.substr(0, 16) + "\u2026" : c);
  }
  return labels;
}

bool is_seed_activation_param(const ParamSpec& param) {
  return (param.name == "conv_activation" || param.name == "fc_activation") &&
         param.distribution.kind == Distribution::Kind::kCategorical &&
         param.distribution.choices == seed_activation_choices();
}

bool is_seed_space(const SearchSpace& space) {
  const SearchSpace seed = seed_search_space();
  if (space.size() != seed.size()) return false;
  for (std::size_t i = 0; i < seed.size(); ++i) {
    const Distribution &a = space[i].distribution, &b = seed[i].distribution;
    if (space[i].name != seed[i].name || a.kind != b.kind || a.choices != b.choices ||
        a.log != b.log || a.low != b.low || a.high != b.high) {
      return false;
    }
  }
  return true;
}

std::vector<SeedBest> seed_best(const std::string& param_name) {
  // In seed_activation_choices() order: sigmoid, relu, leaky 0.01, leaky 0.1, prelu, elu,
  // tanh, silu.
  const auto exact = [](double v) { return SeedBest{v, {}, {}, fmt(v, "%.2f")}; };
  if (param_name == "conv_activation") {
    return {exact(96.08), exact(97.74), exact(97.48), exact(97.72),
            exact(97.94), exact(97.76), exact(97.20), exact(97.40)};
  }
  const SeedBest range{{}, 96.5, 96.8, "96.5\u201396.8"};
  return {exact(97.76), exact(96.96), range, range, range, range, exact(97.94), range};
}

std::vector<std::optional<double>> best_per_choice(const std::vector<Trial>& trials,
                                                   const ParamSpec& param) {
  std::vector<std::optional<double>> best(param.distribution.choices.size());
  for (const Trial& t : trials) {
    if (t.state != TrialState::kComplete || !has_value(t)) continue;
    const auto it = t.params.find(param.name);
    if (it == t.params.end() || !param.distribution.contains(it->second)) continue;
    auto& b = best[static_cast<std::size_t>(it->second)];
    if (!b || *t.value > *b) b = *t.value;
  }
  return best;
}

std::string percent(double fraction) { return fmt(fraction * kPercent, "%.2f"); }

Figure history_figure(const ReportInput& input) {
  Figure fig(kWidth, 480);
  Panel& p = fig.panel(0);
  p.title("Trial-validation accuracy of each trial, and the best so far")
      .x_label("trial number")
      .y_label("trial-validation accuracy (%)");
  std::vector<double> cx, cy, px, py, all_x, all_y;
  // Trials arrive in number order; the step line follows the COMPLETE ones.
  std::vector<const Trial*> ordered;
  for (const Trial& t : input.trials) ordered.push_back(&t);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Trial* a, const Trial* b) { return a->number < b->number; });
  std::vector<double> sx, sy;
  std::optional<double> best;
  double last_number = 0;
  for (const Trial* t : ordered) {
    last_number = std::max(last_number, static_cast<double>(t->number));
    if (!has_value(*t)) continue;
    const double n = static_cast<double>(t->number), v = *t->value * kPercent;
    if (t->state == TrialState::kComplete) {
      cx.push_back(n), cy.push_back(v);
      if (!best || v > *best) {
        if (best) sx.push_back(n), sy.push_back(*best);
        best = v;
        sx.push_back(n), sy.push_back(v);
      }
    } else if (t->state == TrialState::kPruned) {
      px.push_back(n), py.push_back(v);
    } else {
      continue;
    }
    all_x.push_back(n), all_y.push_back(v);
  }
  if (best) sx.push_back(last_number), sy.push_back(*best);
  if (!sx.empty()) p.line(sx, sy, "best so far (COMPLETE)", {kBest, 2.2, false});
  if (!px.empty()) {
    plot::ScatterStyle pruned{kPrunedFill, {}, 4.0, plot::Marker::kCircle, kPrunedEdge};
    p.scatter(px, py, "PRUNED (value at its last epoch)", pruned);
  }
  if (!cx.empty()) {
    plot::ScatterStyle complete{kOurs, {}, 4.0, plot::Marker::kCircle, Color{1, 1, 1, 1}};
    p.scatter(cx, cy, "COMPLETE", complete);
  }
  const plot::Transform t = fig.transform(0);
  p.legend(quietest_corner(all_x, all_y, t.x, t.y, 0.32, 0.3));
  return fig;
}

Figure best_by_figure(const ReportInput& input, const ParamSpec& param) {
  const bool seed = is_seed_activation_param(param);
  Figure fig(kWidth, seed ? 760 : 420, seed ? 2 : 1, 1);
  const std::vector<std::string> labels = choice_labels(param.distribution);
  std::vector<std::optional<double>> ours = best_per_choice(input.trials, param);
  for (auto& v : ours) {
    if (v) *v *= kPercent;
  }
  fig.panel(0)
      .title("This study: best trial-validation accuracy per " + param.name)
      .y_label("best accuracy (%)")
      .legend(plot::LegendPlace::kNone);
  value_bars(fig, 0, labels, ours, "this study", kOurs);
  {
    Panel& p = fig.panel(0);
    const plot::Transform t = fig.transform(0);
    const double scale = px_per_unit(fig, 0);
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (!ours[i]) {
        centred_text(p, static_cast<double>(i), t.y.lo + 0.12 * (t.y.hi - t.y.lo), "not tried",
                     scale);
      }
    }
  }
  if (!seed) return fig;

  // The seed notebook's MNIST values; FC choices known only as a range get a range marker.
  const std::vector<SeedBest> seed_values = seed_best(param.name);
  std::vector<std::optional<double>> exact;
  std::vector<double> rx, ry;
  for (std::size_t i = 0; i < seed_values.size(); ++i) {
    exact.push_back(seed_values[i].value);
    if (seed_values[i].low) {
      const double x = static_cast<double>(i);
      rx.insert(rx.end(), {x, x, std::nan("")});
      ry.insert(ry.end(), {*seed_values[i].low, *seed_values[i].high, std::nan("")});
    }
  }
  Panel& s = fig.panel(1);
  s.title("Seed notebook (MNIST, 120 trials): best accuracy per " + param.name)
      .y_label("best accuracy (%)")
      .legend(plot::LegendPlace::kTopLeft);
  value_bars(fig, 1, labels, exact, "best accuracy (recorded exactly)", kSeed,
             plot::Range{95.5, 99.3});  // headroom above the bars for the legend
  if (!rx.empty()) {
    s.line(rx, ry, "only the range 96.5\u201396.8 % is recorded", {kBest, 7.0, false});
  }
  return fig;
}

Figure value_vs_figure(const ReportInput& input, const ParamSpec& x_param,
                       const ParamSpec* colour_param) {
  // Without a categorical parameter every point is one colour: a single "choice".
  const ParamSpec single{"", Distribution::categorical({"COMPLETE trials"})};
  const ParamSpec& colour = colour_param ? *colour_param : single;
  Figure fig(kWidth, 520);
  Panel& p = fig.panel(0);
  const Distribution& xd = x_param.distribution;
  std::optional<LogAxis> axis;
  if (xd.log) axis = log_axis(xd.low, xd.high);
  p.title("Trial-validation accuracy against " + x_param.name +
          (colour_param ? ", coloured by " + colour.name : ""))
      .x_label(x_param.name + (axis ? " (log scale)" : ""))
      .y_label("trial-validation accuracy (%)");
  const std::vector<std::string> labels = choice_labels(colour.distribution);
  std::vector<std::vector<double>> xs(labels.size()), ys(labels.size());
  std::vector<double> all_x, all_y;
  for (const Trial& t : input.trials) {
    if (t.state != TrialState::kComplete || !has_value(t)) continue;
    const auto xv = t.params.find(x_param.name);
    const auto cv = t.params.find(colour.name);
    if (xv == t.params.end() || !xd.contains(xv->second)) continue;
    if (colour_param && (cv == t.params.end() || !colour.distribution.contains(cv->second))) {
      continue;
    }
    const auto c = colour_param ? static_cast<std::size_t>(cv->second) : 0;
    const double x = axis ? axis->x(xv->second) : xv->second;
    xs[c].push_back(x), ys[c].push_back(*t.value * kPercent);
    all_x.push_back(x), all_y.push_back(*t.value * kPercent);
  }
  for (std::size_t c = 0; c < labels.size(); ++c) {
    if (xs[c].empty()) continue;  // no legend entry for a choice never tried
    plot::ScatterStyle style{plot::palette(c), {}, 4.5, plot::Marker::kCircle,
                             Color{1, 1, 1, 0.9}};
    p.scatter(xs[c], ys[c], labels[c], style);
  }
  if (axis) {
    p.categories_ = axis->labels;
    p.x_range(-0.3, static_cast<double>(axis->labels.size()) - 0.7);
  } else {
    const double margin = 0.03 * (xd.high - xd.low);
    p.x_range(xd.low - margin, xd.high + margin);
  }
  const plot::Transform t = fig.transform(0);
  p.legend(quietest_corner(all_x, all_y, t.x, t.y, 0.22,
                           std::min(0.9, (22.0 * static_cast<double>(labels.size()) + 20) /
                                             (t.bottom - t.top))));
  return fig;
}

Figure learning_curves_figure(const ReportInput& input) {
  Figure fig(kWidth, 520);
  Panel& p = fig.panel(0);
  const std::optional<std::size_t> best = best_trial(input.trials);
  p.title(best ? "Epoch-validation accuracy per epoch of every trial (best trial #" +
                     std::to_string(input.trials[*best].number) + " highlighted)"
               : "Epoch-validation accuracy per epoch of every trial")
      .x_label("epoch")
      .y_label("epoch-validation accuracy (%)");
  // Fainter lines the more trials there are, so that a few hundred still show their spread.
  const auto curves = static_cast<double>(std::count_if(
      input.trials.begin(), input.trials.end(),
      [](const Trial& t) { return !t.intermediate.empty(); }));
  const double alpha = std::clamp(10.0 / std::max(curves, 1.0), 0.06, 0.4);
  const Color complete{0.0, 0.447, 0.698, alpha}, other{0.45, 0.45, 0.45, alpha};
  bool any_complete = false, any_other = false;
  std::vector<double> end_x, end_y, all_x, all_y;
  std::vector<Color> end_colour;
  for (std::size_t i = 0; i < input.trials.size(); ++i) {
    const Trial& t = input.trials[i];
    if (t.intermediate.empty() || (best && i == *best)) continue;
    std::vector<double> x, y;
    for (const auto& [step, v] : t.intermediate) {
      x.push_back(static_cast<double>(step)), y.push_back(v * kPercent);
    }
    const bool is_complete = t.state == TrialState::kComplete;
    (is_complete ? any_complete : any_other) = true;
    const Color c = is_complete ? complete : other;
    end_x.push_back(x.back()), end_y.push_back(y.back()), end_colour.push_back(c);
    all_x.insert(all_x.end(), x.begin(), x.end());
    all_y.insert(all_y.end(), y.begin(), y.end());
    p.line(std::move(x), std::move(y), "", {c, 1.3, false});
  }
  // Legend entries as empty series, in colours strong enough to read at any alpha above.
  if (any_complete) p.line({}, {}, "COMPLETE trials", {Color{0.0, 0.447, 0.698, 0.6}, 2, false});
  if (any_other) {
    p.line({}, {}, "PRUNED, FAIL or RUNNING", {Color{0.45, 0.45, 0.45, 0.6}, 2, false});
  }
  if (best && !input.trials[*best].intermediate.empty()) {
    std::vector<double> x, y;
    for (const auto& [step, v] : input.trials[*best].intermediate) {
      x.push_back(static_cast<double>(step)), y.push_back(v * kPercent);
    }
    end_x.push_back(x.back()), end_y.push_back(y.back()), end_colour.push_back(kBest);
    all_x.insert(all_x.end(), x.begin(), x.end());
    all_y.insert(all_y.end(), y.begin(), y.end());
    p.line(std::move(x), std::move(y),
           "best trial #" + std::to_string(input.trials[*best].number), {kBest, 3.0, false});
  }
  // A dot where each trial stopped (pruned trials stop early; one-epoch trials show at all).
  if (!end_x.empty()) p.scatter(end_x, end_y, "", {kOurs, end_colour, 2.5, plot::Marker::kCircle, {}});
  const plot::Transform t = fig.transform(0);
  p.legend(quietest_corner(all_x, all_y, t.x, t.y, 0.3, 0.25));
  return fig;
}

Figure importance_figure(const std::vector<Importance>& importance, std::size_t trials) {
  Figure fig(kWidth, 400);
  std::vector<std::string> names;
  std::vector<double> heights;
  for (const Importance& i : importance) {
    names.push_back(i.name);
    heights.push_back(i.importance);
  }
  fig.panel(0)
      .title("Parameter importance: share of the accuracy's variance each parameter explains (" +
             std::to_string(trials) + " COMPLETE trials)")
      .y_label("fANOVA main effect (fraction)")
      .legend(plot::LegendPlace::kNone);
  Panel& p = fig.panel(0);
  p.bars(names, heights, "", kOurs).y_range(0, 1.1);
  const double scale = px_per_unit(fig, 0);
  for (std::size_t i = 0; i < heights.size(); ++i) {
    centred_text(p, static_cast<double>(i), heights[i] + 0.05, fmt(heights[i], "%.2f"), scale);
  }
  return fig;
}

}  // namespace actlab::study::report_detail
