// Optuna 3.1's MedianPruner (PercentilePruner(50) in optuna/pruners/_percentile.py), for a
// maximised study.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "actlab/study/sampler.hpp"

namespace actlab::study {
namespace {

// np.nanpercentile(values, 50) with numpy's default "linear" method: sort the non-NaN values,
// virtual index (n − 1)·0.5, and numpy's _lerp (a + (b − a)·t, or b − (b − a)·(1 − t) for
// t ≥ 0.5). NaN when every value is NaN.
double nan_median(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double index = static_cast<double>(values.size() - 1) * 0.5;
  const auto lo = static_cast<std::size_t>(std::floor(index));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double t = index - static_cast<double>(lo);
  const double a = values[lo], b = values[hi];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// _is_first_in_interval_step: no step reported since the last pruning step other than `step`.
bool is_first_in_interval_step(std::int64_t step, const Trial& current, std::int64_t warmup,
                               std::int64_t interval) {
  const std::int64_t nearest_lower = (step - warmup) / interval * interval + warmup;
  std::int64_t second_last = -1;
  for (const auto& [s, v] : current.intermediate) {
    if (s > second_last && s != step) second_last = s;
  }
  return second_last < nearest_lower;
}

}  // namespace

// `step` is the step the current trial has just reported (Optuna's trial.last_step).
bool median_should_prune(const std::vector<Trial>& history, const Trial& current,
                         std::int64_t step, const MedianPrunerOptions& options) {
  std::vector<const Trial*> complete;
  for (const Trial& t : history) {
    if (t.state == TrialState::kComplete && t.number != current.number) complete.push_back(&t);
  }
  if (complete.empty() || complete.size() < options.n_startup_trials) return false;
  if (current.intermediate.empty()) return false;
  if (step < options.n_warmup_steps) return false;
  if (!is_first_in_interval_step(step, current, options.n_warmup_steps,
                                 std::max<std::int64_t>(options.interval_steps, 1))) {
    return false;
  }
  // np.nanmax over every value reported so far; all NaN → prune.
  double best = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [s, v] : current.intermediate) {
    if (!std::isnan(v) && (std::isnan(best) || v > best)) best = v;
  }
  if (std::isnan(best)) return true;
  std::vector<double> at_step;
  for (const Trial* t : complete) {
    const auto it = t->intermediate.find(step);
    if (it != t->intermediate.end()) at_step.push_back(it->second);
  }
  if (at_step.size() < options.n_min_trials) return false;
  const double median = nan_median(std::move(at_step));
  if (std::isnan(median)) return false;
  return best < median;
}

}  // namespace actlab::study
