// Samplers and the median pruner of the activation study (issue 6), after Optuna 3.1
// (../shared/OPTUNA.md; source read from /usr/lib/python3/dist-packages/optuna).
//
// A sampler proposes one parameter at a time, in the search space's order, from the trials
// recorded so far (any state: each sampler picks the states it uses, as Optuna does).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actlab/study/trial.hpp"

namespace actlab::study {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The internal value (see Distribution) of `param` for trial number `trial_number`.
  // `history` holds every trial of the study except the one being sampled, in number order;
  // `current` is that trial with the parameters sampled so far.
  virtual double sample(const std::vector<Trial>& history, const Trial& current,
                        const ParamSpec& param) = 0;
  virtual std::string name() const = 0;  // "tpe", "tpe-faithful", "random", "grid"
};

// How the random draws are seeded.
//  kFaithful: one numpy RandomState(seed) stream advancing call after call, exactly as an
//    Optuna 3.1 sampler object does in one process: a single worker reproduces Optuna's trials
//    one by one. Resuming or several workers give different (still valid) streams, as in Optuna.
//  kPerTrial: the draws for trial n come from a stream seeded by (seed, n), so the same
//    history gives the same proposal whichever worker asks and whenever: a resumed or
//    multi-worker study stays deterministic given its histories, and workers never repeat
//    each other's startup trials (Optuna's #4714).
enum class Seeding { kFaithful, kPerTrial };

struct TpeOptions {
  std::uint64_t seed = 0;
  Seeding seeding = Seeding::kPerTrial;
  std::size_t n_startup_trials = 10;  // random trials before TPE starts
  std::size_t n_ei_candidates = 24;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  // Optuna 3.1's truncated-normal log-density omits −log σ (optuna#5109). true reproduces
  // that; false uses the correct density. The default is whichever the sampler benchmark
  // over many seeds shows no worse (tests/study_sampler_test.cpp, docs/study.md).
  bool omit_log_sigma = true;
};

// TPE as Optuna 3.1's TPESampler(seed=…) with its defaults (independent, not multivariate);
// startup trials drawn as its RandomSampler(seed) does. Study direction: maximise.
std::unique_ptr<Sampler> make_tpe_sampler(const TpeOptions& options);
// Optuna's RandomSampler(seed): uniform (log-uniform for log floats), uniform categorical.
std::unique_ptr<Sampler> make_random_sampler(std::uint64_t seed, Seeding seeding);
// Every combination of `grid` once, in a seeded shuffled order (Optuna's GridSampler visits
// unvisited grid points at random); float parameters take the listed values. After the grid
// is exhausted it starts again. Error kInvalidParameter when a grid value lies outside its
// distribution or a parameter of the space has no grid.
struct GridAxis {
  std::string name;
  std::vector<double> internal_values;
};
std::unique_ptr<Sampler> make_grid_sampler(const SearchSpace& space, std::vector<GridAxis> grid,
                                           std::uint64_t seed);
// "tpe" | "tpe-faithful" | "random" | "grid" (grid: every choice × lr in 5 log steps).
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SearchSpace& space,
                                      std::uint64_t seed);

// Optuna's MedianPruner defaults (PercentilePruner 50 %, maximise): at `step`, with at least
// n_startup_trials COMPLETE trials and step > n_warmup_steps (and on interval), prune when the
// best value the current trial has reported so far is below the median of the values that the
// COMPLETE trials reported at that same step (trials without that step are left out; no
// pruning while none has it). NaN best → prune.
struct MedianPrunerOptions {
  std::size_t n_startup_trials = 5;
  std::int64_t n_warmup_steps = 0;
  std::int64_t interval_steps = 1;
  std::size_t n_min_trials = 1;
};
bool median_should_prune(const std::vector<Trial>& history, const Trial& current,
                         std::int64_t step, const MedianPrunerOptions& options = {});

}  // namespace actlab::study
