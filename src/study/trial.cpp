// The study's vocabulary: state names, distributions and the seed-001 search space.
#include "actlab/study/trial.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include "actlab/error.hpp"

namespace actlab::study {

std::string state_name(TrialState state) {
  switch (state) {
    case TrialState::kRunning: return "RUNNING";
    case TrialState::kComplete: return "COMPLETE";
    case TrialState::kPruned: return "PRUNED";
    case TrialState::kFail: return "FAIL";
  }
  return "FAIL";
}

TrialState parse_state(const std::string& name) {
  for (TrialState s : {TrialState::kRunning, TrialState::kComplete, TrialState::kPruned,
                       TrialState::kFail}) {
    if (state_name(s) == name) return s;
  }
  throw Error(ErrorCode::kCorruptData, "unknown trial state '" + name + "'");
}

Distribution Distribution::categorical(std::vector<std::string> choices) {
  if (choices.empty()) {
    throw Error(ErrorCode::kInvalidParameter, "a categorical parameter needs at least one choice");
  }
  if (std::set<std::string>(choices.begin(), choices.end()).size() != choices.size()) {
    throw Error(ErrorCode::kInvalidParameter, "categorical choices must be distinct");
  }
  Distribution d;
  d.kind = Kind::kCategorical;
  d.choices = std::move(choices);
  return d;
}

Distribution Distribution::log_float(double low, double high) {
  if (!(low > 0) || !(low < high) || !std::isfinite(high)) {
    throw Error(ErrorCode::kInvalidParameter,
                "a log-uniform range needs 0 < low < high < inf, got " + std::to_string(low) +
                    " … " + std::to_string(high));
  }
  Distribution d = uniform_float(low, high);
  d.log = true;
  return d;
}

Distribution Distribution::uniform_float(double low, double high) {
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw Error(ErrorCode::kInvalidParameter, "a float range needs finite low < high, got " +
                                                  std::to_string(low) + " … " +
                                                  std::to_string(high));
  }
  Distribution d;
  d.kind = Kind::kFloat;
  d.low = low;
  d.high = high;
  return d;
}

bool Distribution::contains(double v) const {
  if (kind == Kind::kCategorical) {
    return v >= 0 && v == std::floor(v) && v < static_cast<double>(choices.size());
  }
  return v >= low && v <= high;
}

std::string Distribution::format(double v) const {
  if (kind == Kind::kCategorical) {
    if (!contains(v)) return "?";
    return choices[static_cast<std::size_t>(v)];
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

const std::vector<std::string>& seed_activation_choices() {
  static const std::vector<std::string> choices = {
      "sigmoid", "relu", "leaky_relu(negative_slope=0.01)", "leaky_relu(negative_slope=0.1)",
      "prelu",   "elu",  "tanh",                            "silu"};
  return choices;
}

const std::vector<std::string>& seed_activation_labels() {
  static const std::vector<std::string> labels = {
      "sigmoid", "relu", "leaky_relu 0.01", "leaky_relu 0.1", "prelu", "elu", "tanh", "silu"};
  return labels;
}

SearchSpace seed_search_space() {
  return {
      {"conv_activation", Distribution::categorical(seed_activation_choices())},
      {"fc_activation", Distribution::categorical(seed_activation_choices())},
      {"learning_rate", Distribution::log_float(5e-4, 1e-2)},
  };
}

}  // namespace actlab::study
