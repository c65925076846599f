// TPE as Optuna 3.1's independent TPESampler (optuna/samplers/_tpe/sampler.py), maximising.
//
// Per parameter: the COMPLETE and PRUNED trials of the history are ranked (COMPLETE first by
// value; PRUNED after them, later-pruned first, then by their last intermediate value); the
// best gamma(n) = min(ceil(0.1·n), 25) form "below" (good), the rest "above"; a Parzen
// estimator is fitted to each; n_ei_candidates values are drawn from the good one and the one
// maximising log l(x) − log g(x) is returned. Until n_startup_trials trials are ranked the
// value is drawn as Optuna's RandomSampler does.
//
// Seeding (TpeOptions::seeding):
//  kFaithful: two numpy RandomState(seed) streams live in the sampler, one for TPE draws and
//    one for the random startup draws, as TPESampler(seed) and its inner RandomSampler(seed)
//    hold them; each call advances them, so one worker sampling trials in order reproduces
//    Optuna 3.1 trial by trial.
//  kPerTrial: every (trial number, parameter) draws from a fresh RandomState whose seed is
//    per_trial_seed(seed, number, name) (study/random_sampler.hpp), for both startup and TPE
//    draws: the proposal depends only on (seed, trial number, parameter, history).
#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>

#include "actlab/error.hpp"
#include "actlab/study/sampler.hpp"
#include "study/parzen_estimator.hpp"
#include "study/random_sampler.hpp"

namespace actlab::study {
namespace {

// Optuna's ranking key of a trial: (step, score), compared lexicographically, smaller is
// better. COMPLETE: (−inf, −value); PRUNED with intermediate values: (−last step, −last value)
// (+inf for a NaN value); PRUNED without any: (1, 0).
struct Rank {
  double step;
  double score;
};

// numpy's order for a (step, score) record: by step, then score, NaN last.
bool rank_less(const Rank& a, const Rank& b) {
  if (a.step != b.step) return a.step < b.step;
  return a.score < b.score || (std::isnan(b.score) && !std::isnan(a.score));
}

std::size_t default_gamma(std::size_t n) {
  return std::min<std::size_t>(static_cast<std::size_t>(std::ceil(0.1 * static_cast<double>(n))),
                               25);
}

// np.argmax: the first NaN if any, else the first largest.
std::size_t argmax(const std::vector<double>& v) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) return i;
    if (v[i] > v[best]) best = i;
  }
  return best;
}

class TpeSampler final : public Sampler {
 public:
  explicit TpeSampler(const TpeOptions& options) : options_(options) {
    if (options.n_ei_candidates == 0) {
      throw Error(ErrorCode::kInvalidParameter, "TPE needs at least one EI candidate");
    }
    if (!(options.prior_weight > 0)) {
      throw Error(ErrorCode::kInvalidParameter, "TPE's prior weight must be positive");
    }
    if (options.seeding == Seeding::kFaithful) {
      tpe_rng_.emplace(faithful_seed(options.seed));
      random_rng_.emplace(faithful_seed(options.seed));
    }
  }

  double sample(const std::vector<Trial>& history, const Trial& current,
                const ParamSpec& param) override {
    if (options_.seeding == Seeding::kFaithful) {
      std::lock_guard<std::mutex> lock(mutex_);
      return sample_with(history, param, *tpe_rng_, *random_rng_);
    }
    numpy::RandomState rng(per_trial_seed(options_.seed, current.number, param.name));
    return sample_with(history, param, rng, rng);
  }

  std::string name() const override {
    return options_.seeding == Seeding::kFaithful ? "tpe-faithful" : "tpe";
  }

 private:
  double sample_with(const std::vector<Trial>& history, const ParamSpec& param,
                     numpy::RandomState& tpe_rng, numpy::RandomState& random_rng) const {
    // _get_observation_pairs: COMPLETE (with a value) and PRUNED trials, in number order.
    std::vector<Rank> ranks;
    std::vector<double> values;  // NaN where the trial lacks the parameter
    for (const Trial& t : history) {
      if (t.state == TrialState::kComplete) {
        if (!t.value) continue;
        ranks.push_back({-std::numeric_limits<double>::infinity(), -*t.value});
      } else if (t.state == TrialState::kPruned) {
        if (t.intermediate.empty()) {
          ranks.push_back({1.0, 0.0});
        } else {
          const auto& [step, v] = *t.intermediate.rbegin();
          ranks.push_back({-static_cast<double>(step),
                           std::isnan(v) ? std::numeric_limits<double>::infinity() : -v});
        }
      } else {
        continue;  // RUNNING and FAIL are ignored (no constant liar)
      }
      const auto it = t.params.find(param.name);
      values.push_back(it == t.params.end() ? std::numeric_limits<double>::quiet_NaN()
                                            : it->second);
    }
    const std::size_t n = ranks.size();
    if (n < options_.n_startup_trials) return random_draw(random_rng, param.distribution);

    // _split_observation_pairs: stable argsort of the ranks, best gamma(n) below.
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t i, std::size_t j) { return rank_less(ranks[i], ranks[j]); });
    const std::size_t n_below = std::min(default_gamma(n), n);
    std::vector<std::size_t> below_idx(order.begin(), order.begin() + static_cast<long>(n_below));
    std::vector<std::size_t> above_idx(order.begin() + static_cast<long>(n_below), order.end());
    std::sort(below_idx.begin(), below_idx.end());
    std::sort(above_idx.begin(), above_idx.end());
    std::vector<double> below, above;
    for (std::size_t i : below_idx) {
      if (!std::isnan(values[i])) below.push_back(values[i]);
    }
    for (std::size_t i : above_idx) {
      if (!std::isnan(values[i])) above.push_back(values[i]);
    }

    const ParzenOptions parzen{options_.prior_weight, options_.consider_magic_clip,
                               options_.consider_endpoints, options_.omit_log_sigma};
    const ParzenEstimator l(below, param.distribution, parzen);
    const ParzenEstimator g(above, param.distribution, parzen);
    const std::vector<double> candidates = l.sample(tpe_rng, options_.n_ei_candidates);
    const std::vector<double> log_l = l.log_pdf(candidates);
    const std::vector<double> log_g = g.log_pdf(candidates);
    std::vector<double> score(candidates.size());
    for (std::size_t i = 0; i < score.size(); ++i) score[i] = log_l[i] - log_g[i];
    return candidates[argmax(score)];
  }

  TpeOptions options_;
  std::mutex mutex_;
  std::optional<numpy::RandomState> tpe_rng_, random_rng_;  // kFaithful only
};

}  // namespace

std::unique_ptr<Sampler> make_tpe_sampler(const TpeOptions& options) {
  return std::make_unique<TpeSampler>(options);
}

}  // namespace actlab::study
