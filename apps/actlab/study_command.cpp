// actlab study run | worker | status | report: the activation study (issue 6, docs/study.md).
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "actlab/error.hpp"
#include "actlab/study/report.hpp"
#include "actlab/study/study.hpp"
#include "cli.hpp"

extern char** environ;

namespace actlab::cli {
namespace {

using namespace actlab::study;
using Clock = std::chrono::steady_clock;

// A worker without --storage takes the URL from here (how `study run` passes it to the
// workers it starts).
constexpr const char* kStorageVariable = "ACTLAB_STUDY_STORAGE";

struct StudyCommandOptions {
  StudyOptions study;
  std::size_t workers = 1;
  bool resume = false;
  bool quiet = false;
  bool as_json = false;
  std::string worker_name;
  std::string report_folder;
  std::size_t trials_override = 0;  // worker: 0 = the stored target
};

std::string trial_params(const Trial& t, const SearchSpace& space) {
  std::string s;
  for (const study::ParamSpec& p : space) {
    const auto it = t.params.find(p.name);
    if (it == t.params.end()) continue;
    std::string v = p.distribution.format(it->second);
    if (p.distribution.kind == Distribution::Kind::kCategorical) {
      v = seed_activation_labels().at(static_cast<std::size_t>(it->second));
    } else {
      v = fmt::format("{:.3g}", it->second);
    }
    const std::string label = p.name == "conv_activation" ? "conv"
                              : p.name == "fc_activation" ? "fc"
                              : p.name == "learning_rate" ? "lr"
                                                          : p.name;
    s += (s.empty() ? "" : "  ") + label + " " + v;
  }
  return s;
}

std::string minutes(double seconds) {
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  return fmt::format("{:.1f} min", seconds / 60);
}

// Prints one line per trial that finished since the last call and, on a terminal, a live
// line of the running trials redrawn in place. Reads only the stored trials, so it shows the
// same thing for one in-process worker and for N worker processes.
class ProgressPrinter {
 public:
  ProgressPrinter(std::size_t target, bool terminal, bool quiet)
      : target_(target), terminal_(terminal), quiet_(quiet), start_(Clock::now()) {}

  void update(const std::vector<Trial>& trials) {
    if (quiet_) return;
    const SearchSpace space = seed_search_space();
    std::size_t done = 0;
    for (const Trial& t : trials) {
      if (t.state == TrialState::kComplete || t.state == TrialState::kPruned) ++done;
    }
    const Trial* best = best_trial(trials);
    for (const Trial& t : trials) {
      if (t.state == TrialState::kRunning || printed_.count(t.number)) continue;
      printed_.insert(t.number);
      if (first_update_) continue;  // a resumed study: only new trials get lines
      clear_live();
      const auto attr = [&](const char* key) {
        const auto it = t.attributes.find(key);
        return it == t.attributes.end() ? std::string("?") : it->second;
      };
      std::string result =
          t.value ? fmt::format("{:.4f}", *t.value) : std::string("     -");
      std::string tail = t.state == TrialState::kFail
                             ? "  (" + attr("error") + ")"
                             : fmt::format("  {} epochs  {} s", attr("epochs"), attr("seconds"));
      std::cout << fmt::format("trial {:>3} {:<8} {}  {}{}", t.number, state_name(t.state),
                               result, trial_params(t, space), tail);
      // The best when this trial ended (not when the line is printed: workers run ahead).
      const Trial* best_then = nullptr;
      for (const Trial& u : trials) {
        if (u.state != TrialState::kComplete || !u.value || u.finished_at > t.finished_at) continue;
        if (best_then == nullptr || *u.value > *best_then->value) best_then = &u;
      }
      if (best_then != nullptr) {
        std::cout << fmt::format("  | best {:.4f} (#{})", *best_then->value, best_then->number);
      }
      std::cout << "\n";
    }
    first_update_ = false;
    if (!terminal_) {
      std::cout.flush();
      return;
    }
    // Live: running trials with their epoch, best so far, ETA from this run's pace.
    std::string live = fmt::format("{}/{} done", done, target_);
    for (const Trial& t : trials) {
      if (t.state != TrialState::kRunning) continue;
      live += fmt::format(" | #{} {} epoch {}", t.number, trial_params(t, space),
                          t.intermediate.empty() ? 0 : t.intermediate.rbegin()->first);
    }
    if (best != nullptr) live += fmt::format(" | best {:.4f}", *best->value);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (done_at_start_ < 0) done_at_start_ = static_cast<long>(done);
    const long new_done = static_cast<long>(done) - done_at_start_;
    if (new_done > 0 && done < target_) {
      live += " | ETA " + minutes(elapsed / static_cast<double>(new_done) *
                                  static_cast<double>(target_ - done));
    }
    std::cout << "\r\033[K" << live.substr(0, 200) << std::flush;
    live_shown_ = true;
  }

  void clear_live() {
    if (live_shown_) std::cout << "\r\033[K";
    live_shown_ = false;
  }

 private:
  std::size_t target_;
  bool terminal_, quiet_;
  Clock::time_point start_;
  std::set<std::int64_t> printed_;
  bool first_update_ = true;
  bool live_shown_ = false;
  long done_at_start_ = -1;
};

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "host";
  return buffer;
}

// Spawns `actlab study worker` for the study; its threads share the cores with the others.
pid_t spawn_worker(const StudyCommandOptions& o, std::size_t index, std::size_t threads) {
  const std::string self = "/proc/self/exe";
  // The storage URL goes through the environment, not argv: `ps` would show a password.
  std::vector<std::string> args = {
      "actlab",        "study",
      "worker",        "--study",
      o.study.study_name,  "--trials",
      std::to_string(o.study.trials), "--heartbeat",
      fmt::format("{}", o.study.heartbeat_seconds), "--grace",
      fmt::format("{}", o.study.grace_seconds), "--name",
      fmt::format("{}:{}/w{}", host_name(), getpid(), index), "--quiet"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.rfind("ACTLAB_NUM_THREADS=", 0) == 0 || entry.rfind("OPENBLAS_NUM_THREADS=", 0) == 0 ||
        entry.rfind(std::string(kStorageVariable) + "=", 0) == 0)
      continue;
    env_strings.push_back(entry);
  }
  env_strings.push_back(std::string(kStorageVariable) + "=" + o.study.storage_url);
  env_strings.push_back("ACTLAB_NUM_THREADS=" + std::to_string(threads));
  env_strings.push_back("OPENBLAS_NUM_THREADS=" + std::to_string(threads));
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0) {
    throw Error(ErrorCode::kIo, std::string("cannot start a worker process: ") + strerror(rc));
  }
  return pid;
}

void print_summary(Storage& storage, const StudyRecord& record, double seconds) {
  const std::vector<Trial> trials = storage.trials(record.id);
  std::size_t counts[4] = {};
  for (const Trial& t : trials) ++counts[static_cast<int>(t.state)];
  std::cout << fmt::format(
      "\nstudy '{}' in {}: {} trials ({} complete, {} pruned, {} failed, {} running), {}\n",
      record.name, redacted_url(storage.url()), trials.size(), counts[1], counts[2], counts[3], counts[0],
      minutes(seconds));
  if (const Trial* best = best_trial(trials)) {
    const auto test = best->attributes.find("test_accuracy");
    std::cout << fmt::format("best trial #{}: {}  trial-validation {:.4f}  test {}\n",
                             best->number, trial_params(*best, seed_search_space()),
                             *best->value,
                             test == best->attributes.end() ? "?" : test->second.substr(0, 6));
  }
}

ReportInput report_input(Storage& storage, const StudyRecord& record) {
  ReportInput in;
  in.study_name = record.name;
  in.storage_url = redacted_url(storage.url());
  const StudyOptions stored = study_options_from_config(record.config_json);
  in.data_description = stored.objective.data_folder;
  in.space = seed_search_space();
  in.trials = storage.trials(record.id);
  return in;
}

void run_study(StudyCommandOptions o) {
  if (o.workers == 0) throw Error(ErrorCode::kInvalidParameter, "--workers must be at least 1");
  // Settle what can be wrong before the study is created: a bad sampler name, missing data.
  make_sampler(o.study.sampler, seed_search_space(), o.study.seed);
  data::mnist_file(o.study.objective.data_folder, "train-images-idx3-ubyte");
  std::unique_ptr<Storage> storage = open_storage(o.study.storage_url);
  const StudyRecord record = open_or_create_study(*storage, o.study, o.resume);
  const bool terminal = !o.quiet && isatty(STDOUT_FILENO) != 0;
  if (!o.quiet) {
    std::cout << fmt::format(
        "study '{}' in {}: {} trials, sampler {}, seed {}{}, {} worker{}\ndata {}: train {}, "
        "epoch-validation {}, trial-validation {}, test {}; patience {}{}\n",
        record.name, redacted_url(storage->url()), o.study.trials, o.study.sampler, o.study.seed,
        o.study.prune ? ", median pruning" : "", o.workers, o.workers == 1 ? "" : "s",
        o.study.objective.data_folder, o.study.objective.sizes.train,
        o.study.objective.sizes.epoch_validation, o.study.objective.sizes.trial_validation,
        o.study.objective.sizes.test, o.study.objective.patience,
        o.study.objective.seed_bug ? ", SEED BUG: softmax before cross-entropy" : "");
    std::cout.flush();
  }
  const auto start = Clock::now();
  ProgressPrinter progress(o.study.trials, terminal, o.quiet);
  progress.update(storage->trials(record.id));
  if (o.workers == 1) {
    const std::string name = fmt::format("{}:{}", host_name(), getpid());
    run_worker(o.study, name, [&](const WorkerEvent& e) {
      if (e.kind != WorkerEvent::Kind::kWaiting) progress.update(storage->trials(record.id));
    });
  } else {
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads = std::max<std::size_t>(1, cores / o.workers);
    std::vector<pid_t> pids;
    for (std::size_t i = 0; i < o.workers; ++i) pids.push_back(spawn_worker(o, i + 1, threads));
    int failed_status = 0;
    while (!pids.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      progress.update(storage->trials(record.id));
      for (auto it = pids.begin(); it != pids.end();) {
        int status = 0;
        if (waitpid(*it, &status, WNOHANG) != *it) {
          ++it;
          continue;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) failed_status = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) {
          // Not an error by itself: the other workers fail its trial once its heartbeat is
          // stale and run a replacement. The study's end state decides below.
          progress.clear_live();
          std::cerr << fmt::format(
              "actlab: worker {} was killed by signal {}; its trial is failed after the grace "
              "period and replaced\n", *it, WTERMSIG(status));
        }
        it = pids.erase(it);
      }
    }
    const std::vector<Trial> final_trials = storage->trials(record.id);
    progress.update(final_trials);
    std::size_t finished = 0;
    for (const Trial& t : final_trials) {
      if (t.state == TrialState::kComplete || t.state == TrialState::kPruned) ++finished;
    }
    if (failed_status == 0 && finished < o.study.trials) failed_status = kExitInternal;
    if (failed_status != 0) {
      progress.clear_live();
      throw Error(failed_status >= 3 && failed_status <= 7 ? static_cast<ErrorCode>(failed_status)
                                                           : ErrorCode::kIo,
                  "a worker failed (its message is above); the study keeps every finished "
                  "trial: run again with --resume");
    }
  }
  progress.clear_live();
  if (!o.quiet) {
    print_summary(*storage, record,
                  std::chrono::duration<double>(Clock::now() - start).count());
  }
  if (!o.report_folder.empty()) {
    const auto paths = write_study_report(report_input(*storage, record), o.report_folder);
    if (!o.quiet) std::cout << "report: " << paths.front() << "\n";
  }
}

void run_study_worker(StudyCommandOptions o) {
  std::unique_ptr<Storage> storage = open_storage(o.study.storage_url);
  const std::optional<StudyRecord> record = storage->find_study(o.study.study_name);
  if (!record) {
    throw Error(ErrorCode::kInvalidArgument, "no study named '" + o.study.study_name + "' in " +
                                                 redacted_url(storage->url()) + " (create it with study run)");
  }
  StudyOptions options = study_options_from_config(record->config_json);
  options.storage_url = o.study.storage_url;
  options.study_name = o.study.study_name;
  options.heartbeat_seconds = o.study.heartbeat_seconds;
  options.grace_seconds = o.study.grace_seconds;
  if (o.trials_override > 0) options.trials = o.trials_override;
  const std::string name =
      o.worker_name.empty() ? fmt::format("{}:{}", host_name(), getpid()) : o.worker_name;
  ProgressPrinter progress(options.trials, !o.quiet && isatty(STDOUT_FILENO) != 0, o.quiet);
  run_worker(options, name, [&](const WorkerEvent& e) {
    if (e.kind != WorkerEvent::Kind::kWaiting) progress.update(storage->trials(record->id));
  });
  progress.clear_live();
}

StudyRecord existing_study(Storage& storage, const std::string& name) {
  const std::optional<StudyRecord> record = storage.find_study(name);
  if (!record) {
    std::string known;
    for (const StudyRecord& s : storage.studies()) known += (known.empty() ? "" : ", ") + s.name;
    throw Error(ErrorCode::kInvalidArgument,
                "no study named '" + name + "' in " + redacted_url(storage.url()) +
                    (known.empty() ? " (it holds none)" : " (studies: " + known + ")"));
  }
  return *record;
}

void run_status(const StudyCommandOptions& o) {
  std::unique_ptr<Storage> storage = open_storage(o.study.storage_url);
  const StudyRecord record = existing_study(*storage, o.study.study_name);
  const std::vector<Trial> trials = storage->trials(record.id);
  const StudyOptions stored = study_options_from_config(record.config_json);
  const double now = storage->now();
  if (o.as_json) {
    nlohmann::json j;
    j["study"] = record.name;
    j["storage"] = redacted_url(storage->url());
    j["target"] = stored.trials;
    j["config"] = nlohmann::json::parse(record.config_json);
    j["trials"] = nlohmann::json::array();
    for (const Trial& t : trials) {
      nlohmann::json params;
      for (const auto& [k, v] : t.params) params[k] = v;
      j["trials"].push_back({{"number", t.number},
                             {"state", state_name(t.state)},
                             {"params", params},
                             {"value", t.value ? nlohmann::json(*t.value) : nlohmann::json()},
                             {"epochs", t.intermediate.size()},
                             {"attributes", t.attributes},
                             {"heartbeat_age", now - t.heartbeat_at}});
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  print_summary(*storage, record, now - record.created_at);
  std::cout << fmt::format("target {} trials\n", stored.trials);
  for (const Trial& t : trials) {
    if (t.state != TrialState::kRunning) continue;
    std::cout << fmt::format("running #{}: {}  epoch {}  last value {}  heartbeat {:.0f} s ago\n",
                             t.number, trial_params(t, seed_search_space()),
                             t.intermediate.empty() ? 0 : t.intermediate.rbegin()->first,
                             t.intermediate.empty()
                                 ? std::string("-")
                                 : fmt::format("{:.4f}", t.intermediate.rbegin()->second),
                             now - t.heartbeat_at);
  }
}

void run_report(const StudyCommandOptions& o) {
  std::unique_ptr<Storage> storage = open_storage(o.study.storage_url);
  const StudyRecord record = existing_study(*storage, o.study.study_name);
  const auto paths = write_study_report(report_input(*storage, record), o.report_folder);
  std::cout << paths.front() << "\n";
}

void add_storage_options(CLI::App* cmd, StudyCommandOptions& o) {
  cmd->add_option("--storage", o.study.storage_url,
                  "sqlite:///FILE (or a path) or postgresql://user:pass@host:port/db")
      ->capture_default_str();
  cmd->add_option("--study", o.study.study_name, "Study name inside the storage")
      ->capture_default_str();
}

void add_heartbeat_options(CLI::App* cmd, StudyCommandOptions& o) {
  cmd->add_option("--heartbeat", o.study.heartbeat_seconds, "Seconds between heartbeats")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--grace", o.study.grace_seconds,
                  "Seconds without a heartbeat before a RUNNING trial is failed and replaced")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

}  // namespace

void add_study_command(CLI::App& app, int& /*exit_code*/) {
  auto* study = app.add_subcommand(
      "study", "The activation study: TPE over conv/FC activation and learning rate "
               "(EXPERIMENTS.md §1, docs/study.md)");
  study->require_subcommand(1);
  auto o = std::make_shared<StudyCommandOptions>();
  ObjectiveOptions& obj = o->study.objective;

  auto* run = study->add_subcommand("run", "Create (or --resume) a study and run its trials");
  add_storage_options(run, *o);
  run->add_option("--trials", o->study.trials, "Target number of finished trials")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--workers", o->workers, "Worker processes sharing the cores")
      ->capture_default_str();
  run->add_option("--sampler", o->study.sampler, "tpe, tpe-faithful, random or grid")
      ->capture_default_str();
  run->add_option("--seed", o->study.seed, "Seed of the sampler and of every trial's training")
      ->capture_default_str();
  run->add_flag("--prune", o->study.prune,
                "Median pruning on the epoch-validation accuracy (Optuna's MedianPruner)");
  run->add_flag("--resume", o->resume, "Continue an existing study with the same settings");
  run->add_option("--data", obj.data_folder, "Folder of MNIST-format files")
      ->capture_default_str();
  run->add_option("--split-seed", obj.split_seed, "Seed of the data split")->capture_default_str();
  run->add_option("--train-size", obj.sizes.train, "Training images")->capture_default_str();
  run->add_option("--val-size", obj.sizes.epoch_validation, "Epoch-validation images")
      ->capture_default_str();
  run->add_option("--trial-size", obj.sizes.trial_validation,
                  "Trial-validation images (the trial's value)")
      ->capture_default_str();
  run->add_option("--test-size", obj.sizes.test, "Test images")->capture_default_str();
  run->add_option("--batch-size", obj.batch_size, "Mini-batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--patience", obj.patience, "Early-stopping patience (epochs)")
      ->capture_default_str();
  run->add_option("--max-epochs", obj.max_epochs, "Epoch limit per trial")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_flag("--seed-bug", obj.seed_bug,
                "Reproduce the notebook's softmax before cross-entropy");
  add_heartbeat_options(run, *o);
  run->add_option("--report", o->report_folder, "Write the HTML report here at the end");
  run->add_flag("--quiet", o->quiet, "No progress output");
  run->callback([o] { run_study(*o); });

  auto* worker = study->add_subcommand(
      "worker", "Join an existing study as one more worker (this or another machine)");
  add_storage_options(worker, *o);
  worker->add_option("--trials", o->trials_override, "Target (default: the study's)");
  worker->add_option("--name", o->worker_name, "Worker name recorded with its trials");
  add_heartbeat_options(worker, *o);
  worker->add_flag("--quiet", o->quiet, "No progress output");
  worker->callback([o, worker] {
    const char* from_env = std::getenv(kStorageVariable);
    if (worker->count("--storage") == 0 && from_env != nullptr) o->study.storage_url = from_env;
    run_study_worker(*o);
  });

  auto* status = study->add_subcommand("status", "Show a study's trials (works while it runs)");
  add_storage_options(status, *o);
  status->add_flag("--json", o->as_json, "Every trial as JSON");
  status->callback([o] { run_status(*o); });

  auto* report = study->add_subcommand("report", "Write a study's HTML report with its plots");
  add_storage_options(report, *o);
  report->add_option("--out", o->report_folder, "Folder for index.html and the figures")
      ->required();
  report->callback([o] { run_report(*o); });
}

}  // namespace actlab::cli
