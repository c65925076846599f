// The study's report (issue 6): the seed notebook's plots, parameter importance, a table of
// every trial, the best parameters with their test accuracy, and the seed's MNIST results for
// comparison, as one HTML page with its figures beside it (PNG and SVG).
#pragma once

#include <string>
#include <vector>

#include "actlab/study/trial.hpp"

namespace actlab::study {

struct ReportInput {
  std::string study_name;
  std::string storage_url;
  std::string data_description;  // e.g. "Fashion-MNIST (/usr/share/datasets/fashion-mnist)"
  SearchSpace space;             // seed_search_space() for the seed study
  std::vector<Trial> trials;     // every trial, any state, in number order
  // Trial attributes the runner writes: "test_accuracy" (best trial, re-evaluated on test),
  // "epochs", "seconds", "worker", "error" (FAIL). Values are the objective (trial-validation
  // accuracy, maximised); intermediate values are the epoch-validation accuracies.
};

// Importance of each parameter for the objective over the COMPLETE trials: the fraction of
// the objective's variance explained by that parameter's main effect (a functional-ANOVA
// decomposition on a seeded random forest, as Optuna's default fANOVA evaluator; floats
// binned on the forest's splits). Sums to ≤ 1; names in the space's order. Empty when fewer
// than 2 COMPLETE trials.
struct Importance {
  std::string name;
  double importance = 0;
};
std::vector<Importance> parameter_importance(const SearchSpace& space,
                                             const std::vector<Trial>& trials,
                                             std::uint64_t seed = 0);

// Writes <folder>/index.html and <folder>/<figure>.png and .svg for: history (value per trial,
// best so far), best_by_<param> for each categorical parameter, value_vs_<float param>
// coloured by each categorical parameter, learning curves (intermediate values), importance.
// Returns the paths written (index.html first). Creates the folder. Error kIo when it cannot
// write. Works with any number of trials (0 trials: a page saying so, no figures).
std::vector<std::string> write_study_report(const ReportInput& input, const std::string& folder);

}  // namespace actlab::study
