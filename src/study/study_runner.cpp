// The study's worker loop: claim a trial, sample it, train the seed CNN, record everything.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "actlab/error.hpp"
#include "actlab/nn/model.hpp"
#include "actlab/nn/optimizer.hpp"
#include "actlab/study/study.hpp"

namespace actlab::study {
namespace {

using Json = nlohmann::json;

Json space_json(const SearchSpace& space) {
  Json params = Json::array();
  for (const ParamSpec& p : space) {
    const Distribution& d = p.distribution;
    if (d.kind == Distribution::Kind::kCategorical) {
      params.push_back({{"name", p.name}, {"type", "categorical"}, {"choices", d.choices}});
    } else {
      params.push_back(
          {{"name", p.name}, {"type", "float"}, {"low", d.low}, {"high", d.high}, {"log", d.log}});
    }
  }
  return params;
}

Json config(const StudyOptions& o) {
  const ObjectiveOptions& obj = o.objective;
  return {
      {"format", "actlab-study-config"},
      {"version", 1},
      {"objective", "seed-001 CNN, AdamW, early stopping on epoch-validation accuracy; value = "
                    "trial-validation accuracy (maximise)"},
      {"space", space_json(seed_search_space())},
      {"sampler", o.sampler},
      {"seed", o.seed},
      {"prune", o.prune ? "median" : "none"},
      {"trials", o.trials},
      {"data",
       {{"folder", obj.data_folder},
        {"split_seed", obj.split_seed},
        {"train", obj.sizes.train},
        {"epoch_validation", obj.sizes.epoch_validation},
        {"trial_validation", obj.sizes.trial_validation},
        {"test", obj.sizes.test}}},
      {"training",
       {{"batch_size", obj.batch_size},
        {"patience", obj.patience},
        {"max_epochs", obj.max_epochs},
        {"seed_bug", obj.seed_bug}}},
  };
}

// The config minus what may change between runs of one study (the trial target).
Json identity(Json c) {
  c.erase("trials");
  return c;
}

// A 64-bit mix (splitmix64's finaliser): per-trial seeds that differ in every bit.
std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9E3779B97F4A7C15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Shortest text that reads back as the same double.
std::string number_text(double v) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Beats a trial's heartbeat from its own connection while the trial trains (an epoch can
// outlast the grace period on a slow machine, so epoch reports alone are not enough).
class HeartbeatThread {
 public:
  HeartbeatThread(const std::string& url, std::int64_t study_id, std::int64_t number,
                  double interval_seconds)
      : thread_([=, this] {
          std::unique_ptr<Storage> storage;
          try {
            storage = open_storage(url);
          } catch (const Error&) {
            return;  // the trial's epoch reports still beat; the grace period decides
          }
          std::unique_lock lock(mutex_);
          const auto interval = std::chrono::duration<double>(interval_seconds);
          while (!stop_) {
            if (wake_.wait_for(lock, interval, [this] { return stop_; })) break;
            lock.unlock();
            try {
              storage->heartbeat(study_id, number);
            } catch (const Error&) {
              // A missed beat is retried at the next interval; the grace period covers several.
            }
            lock.lock();
          }
        }) {}
  ~HeartbeatThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

bool has_running(const std::vector<Trial>& trials) {
  return std::any_of(trials.begin(), trials.end(),
                     [](const Trial& t) { return t.state == TrialState::kRunning; });
}

struct Best {
  bool has = false;
  double value = 0;
};
Best best_of(const std::vector<Trial>& trials, std::int64_t except = -1) {
  Best b;
  for (const Trial& t : trials) {
    if (t.number == except || t.state != TrialState::kComplete || !t.value) continue;
    if (!b.has || *t.value > b.value) b = {true, *t.value};
  }
  return b;
}

class Worker {
 public:
  Worker(const StudyOptions& options, std::string name, const WorkerListener& listener)
      : o_(options),
        name_(std::move(name)),
        listener_(listener),
        storage_(open_storage(options.storage_url)),
        space_(seed_search_space()) {
    const std::optional<StudyRecord> record = storage_->find_study(o_.study_name);
    if (!record) {
      throw Error(ErrorCode::kInvalidArgument, "no study named '" + o_.study_name + "' in " +
                                                   redacted_url(options.storage_url));
    }
    study_id_ = record->id;
    sampler_ = make_sampler(o_.sampler, space_, o_.seed);
  }

  std::size_t run() {
    std::size_t finished = 0;
    std::size_t failures_in_a_row = 0;
    data();  // a data error stops the worker before it claims a trial
    while (true) {
      for (std::int64_t n : storage_->fail_stale_trials(study_id_, o_.grace_seconds)) {
        emit(WorkerEvent::Kind::kStaleFailed, stale_trial(n));
      }
      const std::optional<std::int64_t> number =
          storage_->create_trial(study_id_, o_.trials, {{"worker", name_}});
      if (!number) {
        // The target is claimed; wait while others' trials run, as one of them may die and
        // need replacing.
        const std::vector<Trial> trials = storage_->trials(study_id_);
        if (!has_running(trials)) break;
        emit(WorkerEvent::Kind::kWaiting, Trial{});
        std::this_thread::sleep_for(std::chrono::duration<double>(
            std::clamp(o_.heartbeat_seconds, 0.05, 1.0)));
        continue;
      }
      try {
        if (run_trial(*number)) ++finished;
        failures_in_a_row = 0;
      } catch (const std::exception& e) {
        // The trial is recorded as FAIL with the reason; a repeating failure is a bug or bad
        // data, not bad luck, so it stops the worker rather than burning the whole study.
        storage_->set_attribute(study_id_, *number, "error", e.what());
        storage_->finish_trial(study_id_, *number, TrialState::kFail, std::nullopt);
        if (++failures_in_a_row >= 3) throw;
      }
    }
    return finished;
  }

 private:
  const data::StudyData& data() {
    if (!data_) {
      data_ = std::make_unique<data::StudyData>(data::load_study_data(
          o_.objective.data_folder, o_.objective.split_seed, o_.objective.sizes));
    }
    return *data_;
  }

  Trial stale_trial(std::int64_t number) {
    Trial t;
    t.number = number;
    t.state = TrialState::kFail;
    t.attributes["error"] = "stale heartbeat";
    return t;
  }

  void emit(WorkerEvent::Kind kind, const Trial& trial, Best best = {}) {
    if (!listener_) return;
    WorkerEvent e;
    e.kind = kind;
    e.trial = trial;
    e.has_best = best.has;
    e.best_value = best.value;
    listener_(e);
  }

  // Returns true when the trial was recorded as finished by this worker.
  bool run_trial(std::int64_t number) {
    const auto start = std::chrono::steady_clock::now();
    const data::StudyData& d = data();  // before sampling: a data error fails fast
    Trial current;
    current.number = number;
    current.attributes["worker"] = name_;
    std::vector<Trial> history = storage_->trials(study_id_);
    std::erase_if(history, [&](const Trial& t) { return t.number == number; });
    for (const ParamSpec& p : space_) {
      const double v = sampler_->sample(history, current, p);
      current.params[p.name] = v;
      storage_->set_param(study_id_, number, p.name, v);
    }
    const std::uint64_t trial_seed = mix(o_.seed, static_cast<std::uint64_t>(number));
    storage_->set_attribute(study_id_, number, "seed", std::to_string(trial_seed));
    emit(WorkerEvent::Kind::kTrialStarted, current, best_of(history));

    const auto& choices = seed_activation_choices();
    const std::string conv = choices.at(static_cast<std::size_t>(current.params["conv_activation"]));
    const std::string fc = choices.at(static_cast<std::size_t>(current.params["fc_activation"]));
    nn::Sequential model = nn::Sequential::from_spec(nn::Sequential::seed_cnn_spec(conv, fc),
                                                     trial_seed);
    nn::AdamOptions adam;
    adam.lr = current.params["learning_rate"];
    adam.weight_decay = 0.01;
    auto optimizer = nn::make_adamw(model.parameters(), adam);
    nn::TrainOptions train;
    train.batch_size = o_.objective.batch_size;
    train.max_epochs = o_.objective.max_epochs;
    train.patience = o_.objective.patience;
    train.shuffle_seed = trial_seed;
    train.softmax_before_cross_entropy = o_.objective.seed_bug;

    bool pruned = false;
    nn::TrainResult result;
    {
      HeartbeatThread beat(o_.storage_url, study_id_, number, o_.heartbeat_seconds);
      auto on_epoch = [&](const nn::EpochRecord& r) {
        const auto step = static_cast<std::int64_t>(r.epoch);
        storage_->report(study_id_, number, step, r.validation_accuracy);
        current.intermediate[step] = r.validation_accuracy;
        std::vector<Trial> others = storage_->trials(study_id_);
        std::erase_if(others, [&](const Trial& t) { return t.number == number; });
        emit(WorkerEvent::Kind::kEpoch, current, best_of(others));
        if (o_.prune && median_should_prune(others, current, step)) {
          pruned = true;
          return false;
        }
        return true;
      };
      result = nn::fit(model, *optimizer, {&d.train.images, &d.train.labels},
                       {&d.epoch_validation.images, &d.epoch_validation.labels}, train, on_epoch);
    }
    storage_->set_attribute(study_id_, number, "epochs", std::to_string(result.history.size()));
    storage_->set_attribute(study_id_, number, "best_epoch", std::to_string(result.best_epoch));

    std::optional<double> value;
    TrialState state = TrialState::kPruned;
    if (pruned) {
      value = current.intermediate.rbegin()->second;  // Optuna's TPE ranks it by its last step
    } else {
      state = TrialState::kComplete;
      value = nn::evaluate(model, {&d.trial_validation.images, &d.trial_validation.labels}, train)
                  .accuracy;
      // A new best gets its test accuracy now, while its weights exist: the study's best trial
      // always carries one, and the test set is read only for improvements.
      const Best best = best_of(storage_->trials(study_id_), number);
      if (!best.has || *value > best.value) {
        const double test =
            nn::evaluate(model, {&d.test.images, &d.test.labels}, train).accuracy;
        storage_->set_attribute(study_id_, number, "test_accuracy", number_text(test));
      }
    }
    storage_->set_attribute(study_id_, number, "seconds",
                            number_text(std::round(seconds_since(start) * 10) / 10));
    current.state = state;
    current.value = value;
    const bool recorded = storage_->finish_trial(study_id_, number, state, value);
    if (!recorded) current.state = TrialState::kFail;  // failed as stale meanwhile
    emit(WorkerEvent::Kind::kTrialFinished, current, best_of(storage_->trials(study_id_)));
    return recorded;
  }

  StudyOptions o_;
  std::string name_;
  WorkerListener listener_;
  std::unique_ptr<Storage> storage_;
  SearchSpace space_;
  std::int64_t study_id_ = -1;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<data::StudyData> data_;
};

}  // namespace

std::string study_config_json(const StudyOptions& options) { return config(options).dump(2); }

StudyOptions study_options_from_config(const std::string& config_json) {
  Json c;
  try {
    c = Json::parse(config_json);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kCorruptData, std::string("the study's stored config is not JSON: ") +
                                             e.what());
  }
  if (c.value("format", "") != "actlab-study-config" || c.value("version", 0) != 1) {
    throw Error(ErrorCode::kCorruptData,
                "the study's stored config is not an actlab-study-config version 1");
  }
  try {
    StudyOptions o;
    o.sampler = c.at("sampler").get<std::string>();
    o.seed = c.at("seed").get<std::uint64_t>();
    o.prune = c.at("prune").get<std::string>() == "median";
    o.trials = c.at("trials").get<std::size_t>();
    const Json& d = c.at("data");
    o.objective.data_folder = d.at("folder").get<std::string>();
    o.objective.split_seed = d.at("split_seed").get<std::uint64_t>();
    o.objective.sizes.train = d.at("train").get<std::size_t>();
    o.objective.sizes.epoch_validation = d.at("epoch_validation").get<std::size_t>();
    o.objective.sizes.trial_validation = d.at("trial_validation").get<std::size_t>();
    o.objective.sizes.test = d.at("test").get<std::size_t>();
    const Json& t = c.at("training");
    o.objective.batch_size = t.at("batch_size").get<std::size_t>();
    o.objective.patience = t.at("patience").get<std::size_t>();
    o.objective.max_epochs = t.at("max_epochs").get<std::size_t>();
    o.objective.seed_bug = t.at("seed_bug").get<bool>();
    return o;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kCorruptData,
                std::string("the study's stored config lacks a field: ") + e.what());
  }
}

StudyRecord open_or_create_study(Storage& storage, const StudyOptions& options, bool resume) {
  bool created = false;
  StudyRecord record =
      storage.open_study(options.study_name, study_config_json(options), &created);
  if (created) return record;
  if (!resume) {
    throw Error(ErrorCode::kInvalidArgument,
                "study '" + options.study_name + "' already exists in " + redacted_url(storage.url()) +
                    " (" + std::to_string(storage.trials(record.id).size()) +
                    " trials); pass --resume to continue it, or choose another --study name");
  }
  Json stored;
  try {
    stored = Json::parse(record.config_json);
  } catch (const Json::exception&) {
    throw Error(ErrorCode::kCorruptData,
                "study '" + options.study_name + "' has a stored config that is not JSON");
  }
  const Json wanted = identity(config(options));
  if (identity(stored) != wanted) {
    std::string differences;
    for (const auto& [key, value] : wanted.items()) {
      if (!stored.contains(key) || stored[key] != value) {
        differences += (differences.empty() ? "" : ", ") + key;
      }
    }
    throw Error(ErrorCode::kInvalidArgument,
                "study '" + options.study_name + "' was created with different settings (" +
                    differences +
                    "); resume it with the same settings, or choose another --study name");
  }
  return record;
}

std::size_t run_worker(const StudyOptions& options, const std::string& worker_name,
                       const WorkerListener& listener) {
  return Worker(options, worker_name, listener).run();
}

const Trial* best_trial(const std::vector<Trial>& trials) {
  const Trial* best = nullptr;
  for (const Trial& t : trials) {
    if (t.state != TrialState::kComplete || !t.value) continue;
    if (best == nullptr || *t.value > *best->value) best = &t;
  }
  return best;
}

}  // namespace actlab::study
