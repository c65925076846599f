// actlab study end to end (issue 6): a short real study through the CLI on a small split of
// Fashion-MNIST, resume rules, a worker killed with SIGKILL for real, bad storage files.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "actlab/error.hpp"
#include "actlab/study/storage.hpp"
#include "actlab/study/study.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace actlab::study {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

std::string quote(const std::string& s) { return "'" + s + "'"; }

// A tiny objective: a few hundred images, at most `epochs` epochs per trial.
std::string tiny(int epochs = 2) {
  return " --train-size 200 --val-size 100 --trial-size 200 --test-size 200 --patience 1"
         " --max-epochs " + std::to_string(epochs);
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("actlab_study_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string sqlite_url(const fs::path& db) { return "sqlite:///" + db.string(); }

std::vector<Trial> stored_trials(const std::string& url, const std::string& study = "s") {
  std::unique_ptr<Storage> storage = open_storage(url);
  const std::optional<StudyRecord> record = storage->find_study(study);
  if (!record) return {};
  return storage->trials(record->id);
}

std::size_t count_state(const std::vector<Trial>& trials, TrialState state) {
  std::size_t n = 0;
  for (const Trial& t : trials) n += t.state == state ? 1 : 0;
  return n;
}

// Numbers 0…n−1 each once.
void expect_gapless(const std::vector<Trial>& trials) {
  for (std::size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i)) << "trial numbers have a gap";
  }
}

void expect_valid_params(const Trial& t) {
  const SearchSpace space = seed_search_space();
  ASSERT_EQ(t.params.size(), space.size()) << "trial " << t.number;
  for (const ParamSpec& p : space) {
    ASSERT_TRUE(t.params.count(p.name)) << "trial " << t.number << " lacks " << p.name;
    EXPECT_TRUE(p.distribution.contains(t.params.at(p.name)))
        << "trial " << t.number << " " << p.name << " = " << t.params.at(p.name);
  }
}

TEST(StudyTest, RunsAShortRealStudyWithTwoWorkersAndItsReport) {
  const fs::path dir = fresh_dir("e2e");
  const std::string url = sqlite_url(dir / "study.db");
  const auto r = run_cli("study run --study s --storage " + quote(url) +
                         " --trials 4 --workers 2" + tiny() + " --report " +
                         quote((dir / "report").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<Trial> trials = stored_trials(url);
  ASSERT_EQ(trials.size(), 4u) << r.out;
  expect_gapless(trials);
  EXPECT_EQ(count_state(trials, TrialState::kComplete), 4u) << r.out;
  std::set<std::string> workers;
  for (const Trial& t : trials) {
    expect_valid_params(t);
    ASSERT_TRUE(t.value.has_value()) << "trial " << t.number;
    EXPECT_GT(*t.value, 0.0);
    EXPECT_LE(*t.value, 1.0);
    EXPECT_FALSE(t.intermediate.empty()) << "trial " << t.number << " reported no epoch";
    EXPECT_LE(t.intermediate.size(), 2u) << "--max-epochs 2 was not respected";
    workers.insert(t.attributes.at("worker"));
  }
  const Trial* best = best_trial(trials);
  ASSERT_NE(best, nullptr);
  ASSERT_TRUE(best->attributes.count("test_accuracy")) << "the best trial has no test accuracy";
  const double test = std::stod(best->attributes.at("test_accuracy"));
  EXPECT_GT(test, 0.0);
  EXPECT_LE(test, 1.0);
  // One line per finished trial, then the summary with the best trial.
  for (int n = 0; n < 4; ++n) {
    EXPECT_NE(r.out.find("trial   " + std::to_string(n) + " COMPLETE"), std::string::npos)
        << r.out;
  }
  EXPECT_NE(r.out.find("best trial #" + std::to_string(best->number)), std::string::npos)
      << r.out;
  EXPECT_TRUE(fs::exists(dir / "report" / "index.html"));

  const auto status = run_cli("study status --study s --storage " + quote(url) + " --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j.at("trials").size(), 4u);
  EXPECT_EQ(j.at("target"), 4);
}

TEST(StudyTest, ResumeNeedsTheFlagAndTheSameSettingsAndKeepsEveryTrial) {
  const fs::path dir = fresh_dir("resume");
  const std::string url = sqlite_url(dir / "study.db");
  const std::string base = "study run --quiet --study s --storage " + quote(url) + tiny(1);
  ASSERT_EQ(run_cli(base + " --trials 2").exit_code, 0);
  const std::vector<Trial> before = stored_trials(url);
  ASSERT_EQ(before.size(), 2u);

  const auto again = run_cli(base + " --trials 3");
  EXPECT_EQ(again.exit_code, 5) << again.out << again.err;
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;

  const auto other = run_cli(base + " --trials 3 --resume --seed 7");
  EXPECT_EQ(other.exit_code, 5) << other.err;
  EXPECT_NE(other.err.find("different settings (seed)"), std::string::npos) << other.err;
  EXPECT_EQ(stored_trials(url).size(), 2u) << "a refused run must not add trials";

  const auto resumed = run_cli(base + " --trials 3 --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const std::vector<Trial> after = stored_trials(url);
  ASSERT_EQ(after.size(), 3u);
  expect_gapless(after);
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].params, before[i].params) << "trial " << i << " changed on resume";
    EXPECT_EQ(after[i].value, before[i].value) << "trial " << i << " changed on resume";
  }
}

// Starts the CLI in its own process group with output to `log`; returns its pid.
pid_t spawn_cli(const std::vector<std::string>& arguments, const fs::path& log) {
  std::vector<std::string> args = {ACTLAB_CLI_PATH};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0].c_str(), &files, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attributes);
  EXPECT_EQ(rc, 0) << "cannot start " << args[0];
  return pid;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Waits until a trial has finished and another is RUNNING with at least one epoch reported:
// a kill then lands in the middle of a trial, with completed work to protect.
bool wait_for_mid_trial(const std::string& url, std::int64_t* running_number) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<Trial> trials;
    try {
      trials = stored_trials(url);
    } catch (const Error&) {
      // The file may not exist yet.
    }
    if (count_state(trials, TrialState::kComplete) >= 1) {
      for (const Trial& t : trials) {
        if (t.state == TrialState::kRunning && !t.intermediate.empty()) {
          *running_number = t.number;
          return true;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(StudyTest, SigkillMidTrialThenResumeLosesAndDuplicatesNothing) {
  const fs::path dir = fresh_dir("sigkill");
  const std::string url = sqlite_url(dir / "study.db");
  const std::vector<std::string> args = {
      "study",       "run",       "--study",     "s",           "--storage", url,
      "--trials",    "4",         "--heartbeat", "0.2",         "--grace",   "1.5",
      "--train-size", "300",      "--val-size",  "100",         "--trial-size", "100",
      "--test-size", "100",       "--max-epochs", "4",          "--patience", "4"};
  const pid_t pid = spawn_cli(args, dir / "first.log");
  std::int64_t killed_trial = -1;
  const bool mid = wait_for_mid_trial(url, &killed_trial);
  // The whole process group: the CLI and any thread it runs, as a power cut would.
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(mid) << "no trial was seen mid-way within 2 minutes:\n"
                   << read_file(dir / "first.log");
  ASSERT_TRUE(WIFSIGNALED(status)) << "the study ended before it was killed";

  const std::vector<Trial> before = stored_trials(url);
  std::map<std::int64_t, Trial> completed_before;
  for (const Trial& t : before) {
    if (t.state == TrialState::kComplete) completed_before[t.number] = t;
  }
  ASSERT_FALSE(completed_before.empty());
  ASSERT_EQ(before.at(static_cast<std::size_t>(killed_trial)).state, TrialState::kRunning);

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  std::string command;
  for (const std::string& a : resume) command += " " + quote(a);
  const auto r = run_cli(command.substr(1));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const std::vector<Trial> after = stored_trials(url);
  expect_gapless(after);
  EXPECT_EQ(count_state(after, TrialState::kComplete), 4u) << "the target was not reached";
  const Trial& killed = after.at(static_cast<std::size_t>(killed_trial));
  EXPECT_EQ(killed.state, TrialState::kFail) << "the killed trial was not failed";
  EXPECT_EQ(killed.attributes.count("error") ? killed.attributes.at("error") : "",
            "stale heartbeat");
  for (const auto& [number, t] : completed_before) {
    const Trial& now = after.at(static_cast<std::size_t>(number));
    EXPECT_EQ(now.state, TrialState::kComplete) << "completed trial " << number << " was lost";
    EXPECT_EQ(now.params, t.params) << "trial " << number;
    EXPECT_EQ(now.value, t.value) << "trial " << number;
    EXPECT_EQ(now.intermediate, t.intermediate) << "trial " << number;
  }
}

TEST(StudyTest, AKilledWorkerIsReplacedWhileTheOthersFinishTheStudy) {
  const fs::path dir = fresh_dir("kill_worker");
  const std::string url = sqlite_url(dir / "study.db");
  const pid_t pid = spawn_cli(
      {"study", "run", "--study", "s", "--storage", url, "--trials", "4", "--workers", "2",
       "--heartbeat", "0.2", "--grace", "1.5", "--train-size", "300", "--val-size", "100",
       "--trial-size", "100", "--test-size", "100", "--max-epochs", "4", "--patience", "4"},
      dir / "run.log");
  std::int64_t running = -1;
  const bool mid = wait_for_mid_trial(url, &running);
  // Kill the worker process that runs that trial: the coordinator's child named in it.
  bool killed = false;
  if (mid) {
    const std::string worker = stored_trials(url).at(static_cast<std::size_t>(running))
                                   .attributes.at("worker");  // "host:coordinator/wK"
    const std::string index = worker.substr(worker.rfind("/w") + 2);
    const auto children = test::run_command("pgrep -P " + std::to_string(pid));
    std::vector<pid_t> pids;
    std::istringstream lines(children.out);
    for (pid_t p; lines >> p;) pids.push_back(p);
    std::sort(pids.begin(), pids.end());  // spawned in order: w1 first
    const std::size_t k = std::stoul(index) - 1;
    if (k < pids.size()) killed = kill(pids[k], SIGKILL) == 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string log = read_file(dir / "run.log");
  ASSERT_TRUE(mid) << log;
  ASSERT_TRUE(killed) << "could not find the worker process\n" << log;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the study should finish with the surviving worker\n" << log;
  EXPECT_NE(log.find("killed by signal 9"), std::string::npos) << log;
  const std::vector<Trial> after = stored_trials(url);
  expect_gapless(after);
  EXPECT_EQ(count_state(after, TrialState::kComplete), 4u) << log;
  EXPECT_EQ(after.at(static_cast<std::size_t>(running)).state, TrialState::kFail) << log;
}

// Two worker processes on a PostgreSQL server the test starts (Debian's postgresql), then a
// third process joining the study with `study worker`, which reads the settings from it.
TEST(StudyTest, WorkersShareAStudyOnPostgresqlAndAnotherWorkerJoinsIt) {
  std::unique_ptr<test::PostgresServer> server;
  try {
    server = std::make_unique<test::PostgresServer>();
  } catch (const std::exception& e) {
    FAIL() << "could not start a PostgreSQL server: " << e.what();
  }
  const std::string url = server->create_database("study_cli");
  const auto r = run_cli("study run --study s --storage " + quote(url) +
                         " --trials 4 --workers 2" + tiny(1));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count_state(stored_trials(url), TrialState::kComplete), 4u) << r.out;

  const auto joined = run_cli("study worker --quiet --study s --trials 6 --storage " + quote(url));
  ASSERT_EQ(joined.exit_code, 0) << joined.out << joined.err;
  const std::vector<Trial> trials = stored_trials(url);
  ASSERT_EQ(trials.size(), 6u);
  expect_gapless(trials);
  std::set<std::string> workers;
  for (const Trial& t : trials) {
    EXPECT_EQ(t.state, TrialState::kComplete) << "trial " << t.number;
    expect_valid_params(t);
    workers.insert(t.attributes.at("worker"));
  }
  EXPECT_GE(workers.size(), 2u) << "the joining worker should have its own name";
  const auto status = run_cli("study status --study s --storage " + quote(url));
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("6 trials (6 complete"), std::string::npos) << status.out;
}

TEST(StudyTest, BadStorageAndNamesGiveDocumentedExitCodes) {
  const fs::path dir = fresh_dir("errors");
  const fs::path garbage = dir / "garbage.db";
  {
    std::ofstream out(garbage, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 7919) & 0xff));
  }
  const auto corrupt = run_cli("study status --storage " + quote(garbage.string()));
  EXPECT_EQ(corrupt.exit_code, 7) << corrupt.err;
  const auto corrupt_run =
      run_cli("study run --quiet --storage " + quote(garbage.string()) + tiny(1));
  EXPECT_EQ(corrupt_run.exit_code, 7) << corrupt_run.err;

  const std::string url = sqlite_url(dir / "ok.db");
  ASSERT_EQ(run_cli("study run --quiet --study s --trials 1 --storage " + quote(url) + tiny(1))
                .exit_code,
            0);
  const auto missing = run_cli("study status --study nope --storage " + quote(url));
  EXPECT_EQ(missing.exit_code, 5);
  EXPECT_NE(missing.err.find("studies: s"), std::string::npos) << missing.err;

  const auto sampler = run_cli("study run --quiet --study t --sampler tpx --storage " +
                               quote(url) + tiny(1));
  EXPECT_EQ(sampler.exit_code, 3) << sampler.err;
  const auto scheme = run_cli("study status --storage mysql://x/y");
  EXPECT_EQ(scheme.exit_code, 5) << scheme.err;
  const auto no_data = run_cli("study run --quiet --study u --data /nonexistent --storage " +
                               quote(url) + tiny(1));
  EXPECT_EQ(no_data.exit_code, 6) << no_data.err;
}

}  // namespace
}  // namespace actlab::study
