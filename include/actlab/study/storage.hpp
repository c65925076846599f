// Where a study lives (issue 6): an SQLite file by default, PostgreSQL for workers on several
// machines. Every call is one transaction; several processes may use one study at once.
// Errors: Error kIo (cannot open/connect, locked past the busy timeout), kCorruptData (not a
// database, or a database that is not an actlab study store, or a newer schema),
// kInvalidArgument (unknown study, bad URL), kUnknownName is not used here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actlab/study/trial.hpp"

namespace actlab::study {

struct StudyRecord {
  std::int64_t id = -1;
  std::string name;
  // The study's settings (search space, objective, sampler, seed, target), JSON text written
  // by the runner when the study is created; the storage stores it verbatim.
  std::string config_json;
  double created_at = 0;  // Unix seconds
};

class Storage {
 public:
  virtual ~Storage() = default;

  // The study called `name`, created with `config_json` when it does not exist yet.
  // `created` tells which happened. An existing study keeps its stored config (the caller
  // compares). Concurrent callers with the same name get the same study.
  virtual StudyRecord open_study(const std::string& name, const std::string& config_json,
                                 bool* created = nullptr) = 0;
  // An existing study; std::nullopt when there is none of that name.
  virtual std::optional<StudyRecord> find_study(const std::string& name) = 0;
  virtual std::vector<StudyRecord> studies() = 0;

  // Atomically: when fewer than `target` trials of the study are RUNNING, COMPLETE or PRUNED,
  // insert a RUNNING trial numbered (number of trials of the study so far, any state) with
  // `attributes`, its start and heartbeat set to now, and return its number; otherwise
  // std::nullopt. target 0 = no limit. Numbers are unique and gapless across all processes.
  virtual std::optional<std::int64_t> create_trial(
      std::int64_t study_id, std::size_t target,
      const std::map<std::string, std::string>& attributes) = 0;
  virtual void set_param(std::int64_t study_id, std::int64_t number, const std::string& name,
                         double internal_value) = 0;
  virtual void set_attribute(std::int64_t study_id, std::int64_t number, const std::string& key,
                             const std::string& value) = 0;
  // Records the value for `step` (replacing an earlier one for the same step) and beats.
  virtual void report(std::int64_t study_id, std::int64_t number, std::int64_t step,
                      double value) = 0;
  virtual void heartbeat(std::int64_t study_id, std::int64_t number) = 0;
  // RUNNING → state (COMPLETE, PRUNED or FAIL) with its value, finished now. Returns false,
  // changing nothing, when the trial is no longer RUNNING (another worker failed it as
  // stale): the caller must not count it as finished.
  virtual bool finish_trial(std::int64_t study_id, std::int64_t number, TrialState state,
                            std::optional<double> value) = 0;
  // Marks FAIL (attribute "error" = "stale heartbeat") every RUNNING trial of the study whose
  // last heartbeat is older than `grace_seconds` by the storage's clock; returns their numbers.
  virtual std::vector<std::int64_t> fail_stale_trials(std::int64_t study_id,
                                                      double grace_seconds) = 0;

  // Every trial of the study with params, values, steps and attributes, in number order.
  virtual std::vector<Trial> trials(std::int64_t study_id) = 0;
  virtual double now() = 0;  // the storage's clock, Unix seconds (heartbeats compare to it)
  virtual std::string url() const = 0;
};

// "sqlite:///relative.db", "sqlite:////absolute.db" (SQLAlchemy's forms, as Optuna takes),
// or a plain file path → SQLite (file created when missing; WAL; busy timeout 60 s).
// "postgresql://user:password@host:port/database" (or "postgres://", any libpq URI) →
// PostgreSQL; the tables are created when missing. Error kInvalidArgument for another scheme.
std::unique_ptr<Storage> open_storage(const std::string& url);
// The URL with any password replaced by *** (user:***@host, password=***): for messages,
// progress lines and reports. Storage::url() keeps the password, to reconnect.
std::string redacted_url(const std::string& url);

}  // namespace actlab::study
