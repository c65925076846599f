// The activation study's vocabulary (issue 6): search spaces, trials and their states, shared
// by the samplers, the storages, the runner and the report. Modelled on Optuna 3.1 so that a
// reader of Optuna's documentation recognises every field (../shared/OPTUNA.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace actlab::study {

// Optuna's states minus WAITING. A RUNNING trial whose heartbeat goes stale is marked FAIL by
// whichever worker notices first; FAIL trials are ignored by samplers and pruners and do not
// count towards the study's target.
enum class TrialState { kRunning, kComplete, kPruned, kFail };
std::string state_name(TrialState state);  // "RUNNING", "COMPLETE", "PRUNED", "FAIL"
TrialState parse_state(const std::string& name);  // Error kCorruptData for anything else

// One dimension of the search space. Values travel as doubles in Optuna's internal form:
// a categorical value is the index of its choice, a float value is itself.
struct Distribution {
  enum class Kind { kCategorical, kFloat };
  Kind kind = Kind::kFloat;
  std::vector<std::string> choices;  // kCategorical: at least one, distinct
  double low = 0, high = 0;          // kFloat: low < high (low > 0 when log)
  bool log = false;                  // kFloat: log-uniform

  static Distribution categorical(std::vector<std::string> choices);
  static Distribution log_float(double low, double high);
  static Distribution uniform_float(double low, double high);
  bool contains(double internal_value) const;  // index in range / low ≤ v ≤ high
  // "relu" for a categorical index, "0.001988" (shortest round-trip) for a float.
  std::string format(double internal_value) const;
};

struct ParamSpec {
  std::string name;
  Distribution distribution;
};
// In suggestion order (the order the objective asks for the parameters; samplers draw in it).
using SearchSpace = std::vector<ParamSpec>;

struct Trial {
  std::int64_t number = -1;  // 0-based, unique within the study, in creation order
  TrialState state = TrialState::kRunning;
  std::map<std::string, double> params;  // internal values (see Distribution)
  std::optional<double> value;           // the objective's value (COMPLETE; PRUNED: last step's)
  std::map<std::int64_t, double> intermediate;  // step (epoch, 1-based) → reported value
  std::map<std::string, std::string> attributes;  // e.g. "test_accuracy", "worker", "error"
  double started_at = 0;    // Unix seconds
  double finished_at = 0;   // Unix seconds, 0 while RUNNING
  double heartbeat_at = 0;  // Unix seconds of the last heartbeat
};

// The seed-001 search space (EXPERIMENTS.md §1), in the notebook's suggestion order:
// conv_activation and fc_activation over the 8 choices below, learning_rate log-uniform
// 5e-4 … 1e-2.
SearchSpace seed_search_space();
// The 8 activation choices, as names the model spec accepts ("leaky_relu(negative_slope=0.1)").
const std::vector<std::string>& seed_activation_choices();
// Short labels for plots and tables, same order: "sigmoid", "relu", "leaky_relu 0.01", …
const std::vector<std::string>& seed_activation_labels();

}  // namespace actlab::study
