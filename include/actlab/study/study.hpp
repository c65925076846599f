// The activation study (issue 6, EXPERIMENTS.md §1): trials of the seed CNN with the conv and
// FC activations and the learning rate proposed by a sampler, recorded in a Storage so that
// several worker processes can share one study and a killed one loses nothing.
//
// A worker loops: fail stale trials → claim the next trial number (create_trial) → sample
// the parameters from the stored history → train with AdamW and early stopping, reporting
// each epoch's validation accuracy (which also beats the heartbeat; a thread beats between
// epochs) → record the trial-validation accuracy. A trial that beats the best finished one is
// also evaluated on the test set ("test_accuracy"), so the best trial always carries it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "actlab/data/mnist.hpp"
#include "actlab/study/sampler.hpp"
#include "actlab/study/storage.hpp"
#include "actlab/study/trial.hpp"

namespace actlab::study {

struct ObjectiveOptions {
  std::string data_folder = data::kDefaultMnistFolder;
  std::uint64_t split_seed = data::kStudySeed;
  data::SplitSizes sizes;          // 3,000 / 2,000 / 5,000 / test 10,000
  std::size_t batch_size = 32;
  std::size_t patience = 5;        // early stopping, strictly better validation accuracy
  std::size_t max_epochs = 1000;   // the seed has no limit in practice
  bool seed_bug = false;           // softmax before cross-entropy, as the notebook did
};

struct StudyOptions {
  std::string storage_url = "sqlite:///actlab-study.db";
  std::string study_name = "activation-study";
  std::size_t trials = 120;         // target: COMPLETE + PRUNED trials (FAIL ones are replaced)
  std::string sampler = "tpe";      // tpe | tpe-faithful | random | grid
  std::uint64_t seed = data::kStudySeed;
  bool prune = false;               // Optuna's MedianPruner on the epoch-validation accuracy
  double heartbeat_seconds = 10;    // a worker beats at least this often
  double grace_seconds = 60;        // a RUNNING trial silent this long is failed by the others
  ObjectiveOptions objective;
};

// The study's identity as stored (search space, sampler, seed, objective). Two runs may share
// a study only when their configs are equal; the trial target and the heartbeat are free.
std::string study_config_json(const StudyOptions& options);
// The options a stored config describes (sampler, seed, pruning, target, data, training);
// storage URL, study name, heartbeat and grace keep their defaults. Error kCorruptData when the
// text is not such a config. A worker joining a study (`actlab study worker`) starts from it.
StudyOptions study_options_from_config(const std::string& config_json);

// Opens (resume = true) or creates the study. Error kInvalidArgument when it exists and
// resume is false ("pass --resume"), or when its stored config differs from `options`.
StudyRecord open_or_create_study(Storage& storage, const StudyOptions& options, bool resume);

// What a worker tells its caller as it goes (progress lines, tests).
struct WorkerEvent {
  enum class Kind { kTrialStarted, kEpoch, kTrialFinished, kStaleFailed, kWaiting };
  Kind kind = Kind::kTrialStarted;
  Trial trial;              // the trial as this worker knows it (params, steps, state, value)
  double best_value = 0;    // best finished value in the study when the event happened
  bool has_best = false;
};
using WorkerListener = std::function<void(const WorkerEvent&)>;

// Runs trials until the study has `options.trials` COMPLETE or PRUNED trials and none
// RUNNING; returns how many trials this worker finished. `worker_name` goes into each trial's
// "worker" attribute. The study must exist (open_or_create_study).
std::size_t run_worker(const StudyOptions& options, const std::string& worker_name,
                       const WorkerListener& listener = {});

// The trial with the highest value among COMPLETE trials (the earliest on ties), if any.
const Trial* best_trial(const std::vector<Trial>& trials);

}  // namespace actlab::study
