// The study report's figures and the facts they share with the page (report.cpp); internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actlab/plot/figure.hpp"
#include "actlab/study/report.hpp"

namespace actlab::study::report_detail {

// Objective values are accuracies in [0, 1]; the report shows them in percent.
constexpr double kPercent = 100.0;
// A trial below this accuracy has collapsed to (about) one constant class.
constexpr double kCollapsed = 0.2;

// Index into trials of the best COMPLETE trial (highest value, lowest number on ties).
std::optional<std::size_t> best_trial(const std::vector<Trial>& trials);
// Short labels for a categorical parameter's choices: the seed's labels for the seed's
// activations, otherwise the choices themselves.
std::vector<std::string> choice_labels(const Distribution& distribution);
// True when `param` is one of the seed's two activation parameters over the seed's choices,
// so that the seed notebook's MNIST results apply to it.
bool is_seed_activation_param(const ParamSpec& param);
// True when the space is the seed's (same names, kinds and choices).
bool is_seed_space(const SearchSpace& space);

// The seed notebook's best MNIST accuracy (%) per choice (EXPERIMENTS.md §1), in the
// choices' order; for FC choices only a range is known ("96.5–96.8").
struct SeedBest {
  std::optional<double> value;          // exact, when recorded
  std::optional<double> low, high;      // a range, when only that is recorded
  std::string text;                     // as the table shows it
};
std::vector<SeedBest> seed_best(const std::string& param_name);

// Best value (fraction) per choice of a categorical parameter over COMPLETE trials.
std::vector<std::optional<double>> best_per_choice(const std::vector<Trial>& trials,
                                                   const ParamSpec& param);

// Percent with two decimals: 0.97941 → "97.94".
std::string percent(double fraction);

plot::Figure history_figure(const ReportInput& input);
plot::Figure best_by_figure(const ReportInput& input, const ParamSpec& param);
// `colour_param` null: one colour (a space without categorical parameters).
plot::Figure value_vs_figure(const ReportInput& input, const ParamSpec& x_param,
                             const ParamSpec* colour_param);
plot::Figure learning_curves_figure(const ReportInput& input);
plot::Figure importance_figure(const std::vector<Importance>& importance, std::size_t trials);

}  // namespace actlab::study::report_detail
