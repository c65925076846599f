// The study storages: every method on SQLite and on a PostgreSQL server the test starts
// itself; exact double round trips (NaN included); damaged, foreign and newer files refused
// without being modified; the URL forms; 4 worker processes sharing one study (numbers
// 0..39 once each, nothing lost); and a worker killed with SIGKILL mid-trial, whose trial
// fail_stale_trials marks FAIL while the numbering continues.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/study/storage.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace actlab::study {
namespace {

namespace fs = std::filesystem;
using test::PostgresServer;
using test::TempDir;
using actlab::test::run_command;

// A fresh temporary folder, removed at the end.

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The Error `f` throws; fails the test (and returns kIo with no message) when it throws none.
template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an actlab::Error";
  return Error(ErrorCode::kIo, "");
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
// Exact, except that SQLite stores a REAL column's -0.0 as the integer 0 (docs/formats.md).
bool same_stored(double a, double b) { return same_bits(a, b) || (a == 0 && b == 0); }

// ---- worker processes ------------------------------------------------------------------

// Starts the worker with `args`; its stdout goes to a pipe (`stdout_pipe` receives the read
// end) or to `out_path`, its stderr to `err_path`.
pid_t spawn_worker(const std::vector<std::string>& args, const std::string& out_path,
                   const std::string& err_path, int* stdout_pipe = nullptr) {
  std::vector<std::string> all = {ACTLAB_STORAGE_WORKER_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int fds[2] = {-1, -1};
  if (stdout_pipe != nullptr) {
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (stdout_pipe != nullptr) {
    ::close(fds[1]);
    *stdout_pipe = fds[0];
  }
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn failed: ") + std::strerror(rc));
  return pid;
}

// "exit 0", "exit 2", "signal 9".
std::string wait_status(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return "waitpid failed";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "unknown status";
}

std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

// What study_storage_worker writes for trial `n` (tests/tools/study_storage_worker.cpp).
double worker_x(std::int64_t n) { return 0.1 + 0.001 * static_cast<double>(n); }
double worker_step(std::int64_t n, int step) { return static_cast<double>(n) + 0.25 * step; }
double worker_value(std::int64_t n) { return 1.5 * static_cast<double>(n); }

// The first way `t` differs from a trial the worker finished; empty when it matches.
std::string worker_trial_problem(const Trial& t) {
  std::ostringstream p;
  const std::string id = "trial " + std::to_string(t.number) + ": ";
  if (t.state != TrialState::kComplete) return id + "state " + state_name(t.state);
  if (!t.value || !same_bits(*t.value, worker_value(t.number))) return id + "wrong value";
  if (t.params.size() != 2 || !same_bits(t.params.at("x"), worker_x(t.number)) ||
      t.params.at("choice") != static_cast<double>(t.number % 8)) {
    return id + "wrong params (" + std::to_string(t.params.size()) + " of them)";
  }
  if (t.intermediate.size() != 3) {
    return id + std::to_string(t.intermediate.size()) + " steps, expected 3";
  }
  for (int step = 1; step <= 3; ++step) {
    if (t.intermediate.count(step) == 0 || t.intermediate.at(step) != worker_step(t.number, step)) {
      return id + "wrong value at step " + std::to_string(step);
    }
  }
  const auto worker = t.attributes.find("worker");
  if (worker == t.attributes.end()) return id + "no worker attribute";
  if (!(t.started_at > 0 && t.started_at <= t.heartbeat_at && t.heartbeat_at <= t.finished_at)) {
    return id + "times out of order";
  }
  return "";
}

// 4 worker processes share the study at `url` with target 40 and open it concurrently
// (the first open creates the tables); afterwards numbers 0..39 exist once each, all
// COMPLETE with their params and steps.
void run_concurrent_workers(const std::string& url, const TempDir& dir) {
  constexpr int kWorkers = 4;
  constexpr std::int64_t kTarget = 40;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWorkers; ++w) {
    const std::string stem = dir.file("worker" + std::to_string(w));
    pids.push_back(spawn_worker(
        {url, "shared", "loop", std::to_string(kTarget), std::to_string(w), dir.file("go")},
        stem + ".out", stem + ".err"));
  }
  write_file(dir.file("go"), "");  // all start at once, so they really contend
  int finished = 0;
  for (int w = 0; w < kWorkers; ++w) {
    const std::string stem = dir.file("worker" + std::to_string(w));
    const std::string status = wait_status(pids[static_cast<std::size_t>(w)]);
    EXPECT_EQ(status, "exit 0") << "worker " << w << ": " << read_file(stem + ".err");
    const std::string out = read_file(stem + ".out");
    ASSERT_EQ(out.rfind("done ", 0), 0u) << "worker " << w << " printed '" << out << "'";
    finished += std::stoi(out.substr(5));
  }
  EXPECT_EQ(finished, kTarget) << "the workers together finished " << finished << " trials";

  auto storage = open_storage(url);
  const auto study = storage->find_study("shared");
  ASSERT_TRUE(study.has_value());
  const std::vector<Trial> trials = storage->trials(study->id);
  std::vector<std::int64_t> numbers;
  for (const Trial& t : trials) numbers.push_back(t.number);
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kTarget))
      << "numbers: " << ::testing::PrintToString(numbers);
  std::set<std::string> workers;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    ASSERT_EQ(trials[i].number, static_cast<std::int64_t>(i))
        << "numbers: " << ::testing::PrintToString(numbers);
    ASSERT_EQ(worker_trial_problem(trials[i]), "");
    workers.insert(trials[i].attributes.at("worker"));
  }
  // Each trial sleeps 3 ms, so one worker cannot finish all 40 before the others begin.
  EXPECT_GE(workers.size(), 2u) << "the workers did not overlap; the test proved nothing";
  std::printf("[          ] %zu of %d workers got trials\n", workers.size(), kWorkers);
  // The target is reached: nobody may start a 41st trial.
  EXPECT_FALSE(storage->create_trial(study->id, kTarget, {}).has_value());
}

// A worker finishes 3 trials, starts trial 3, beats, and is killed with SIGKILL: its trial
// stays RUNNING until fail_stale_trials marks it FAIL; the earlier trials are intact and
// the next trial is number 4.
void run_sigkill_scenario(const std::string& url, const TempDir& dir) {
  int out_fd = -1;
  const pid_t pid = spawn_worker({url, "killed", "hang", "3", "7"}, "", dir.file("hang.err"),
                                 &out_fd);
  const std::string line = read_line(out_fd);
  ::close(out_fd);
  if (line != "3") {
    ::kill(pid, SIGKILL);
    const std::string status = wait_status(pid);
    FAIL() << "the worker printed '" << line << "' (" << status
           << "): " << read_file(dir.file("hang.err"));
  }
  auto storage = open_storage(url);
  const std::int64_t study = storage->find_study("killed").value().id;
  // Alive and beating every 50 ms: not stale with a 1 s grace.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(storage->fail_stale_trials(study, 1.0), std::vector<std::int64_t>{});

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(wait_status(pid), "signal 9");
  EXPECT_EQ(storage->trials(study).at(3).state, TrialState::kRunning)
      << "a killed worker's trial stays RUNNING until someone fails it";
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(storage->fail_stale_trials(study, 1.0), std::vector<std::int64_t>{3});
  EXPECT_EQ(storage->fail_stale_trials(study, 1.0), std::vector<std::int64_t>{})
      << "a trial is failed once";

  const std::vector<Trial> trials = storage->trials(study);
  ASSERT_EQ(trials.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(worker_trial_problem(trials[static_cast<std::size_t>(i)]), "");
  const Trial& dead = trials[3];
  EXPECT_EQ(dead.state, TrialState::kFail);
  EXPECT_EQ(dead.attributes.at("error"), "stale heartbeat");
  EXPECT_EQ(dead.attributes.at("worker"), "7");
  EXPECT_EQ(dead.params.at("x"), worker_x(3));
  EXPECT_EQ(dead.intermediate, (std::map<std::int64_t, double>{{1, worker_step(3, 1)}}));
  EXPECT_FALSE(dead.value.has_value());
  EXPECT_GE(dead.finished_at, dead.heartbeat_at + 1.0);
  EXPECT_FALSE(storage->finish_trial(study, 3, TrialState::kComplete, 1.0))
      << "a late finish of a stale-failed trial must be refused";
  EXPECT_EQ(storage->create_trial(study, 0, {}), std::optional<std::int64_t>(4));
}

// Every method of `s` on a fresh study `prefix`*: creation, ordering, replacement,
// heartbeats, finishing, the target, stale failing, exact values and argument errors.
void exercise_methods(Storage& s, const std::string& prefix) {
  bool created = false;
  const std::string config = "{\"seed\": 1, \"name\": \"é \\\" ' ;--\"}";
  const StudyRecord a = s.open_study(prefix + "a", config, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(a.config_json, config);
  EXPECT_NEAR(a.created_at, s.now(), 5.0);
  const StudyRecord again = s.open_study(prefix + "a", "{\"other\": true}", &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id, a.id);
  EXPECT_EQ(again.config_json, config) << "an existing study keeps its stored config";
  const StudyRecord b = s.open_study(prefix + "b", "{}", nullptr);
  EXPECT_NE(a.id, b.id);
  EXPECT_FALSE(s.find_study(prefix + "missing").has_value());
  EXPECT_EQ(s.find_study(prefix + "b").value().id, b.id);
  std::vector<std::string> names;
  for (const StudyRecord& r : s.studies()) names.push_back(r.name);
  const auto pos_a = std::find(names.begin(), names.end(), prefix + "a");
  const auto pos_b = std::find(names.begin(), names.end(), prefix + "b");
  ASSERT_TRUE(pos_a != names.end() && pos_b != names.end());
  EXPECT_LT(pos_a, pos_b) << "studies() lists studies in creation order";

  // Numbers count from 0 per study, in creation order.
  const double before = s.now();
  EXPECT_EQ(s.create_trial(a.id, 0, {{"worker", "w0"}}), std::optional<std::int64_t>(0));
  EXPECT_EQ(s.create_trial(a.id, 0, {}), std::optional<std::int64_t>(1));
  EXPECT_EQ(s.create_trial(b.id, 0, {}), std::optional<std::int64_t>(0));
  EXPECT_EQ(s.create_trial(a.id, 0, {}), std::optional<std::int64_t>(2));

  s.set_param(a.id, 0, "learning_rate", 0.1);
  s.set_param(a.id, 0, "conv_activation", 3.0);
  s.set_param(a.id, 0, "conv_activation", 5.0);  // replaces
  s.set_attribute(a.id, 0, "note", "first");
  s.set_attribute(a.id, 0, "note", "second");
  s.report(a.id, 0, 2, 0.5);
  s.report(a.id, 0, 1, 0.25);
  s.report(a.id, 0, 2, 0.75);  // replaces step 2
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.heartbeat(a.id, 1);
  EXPECT_TRUE(s.finish_trial(a.id, 0, TrialState::kComplete, 0.875));
  EXPECT_FALSE(s.finish_trial(a.id, 0, TrialState::kFail, std::nullopt))
      << "finishing twice changes nothing";
  EXPECT_TRUE(s.finish_trial(a.id, 2, TrialState::kPruned, 0.75));

  std::vector<Trial> trials = s.trials(a.id);
  ASSERT_EQ(trials.size(), 3u);
  for (std::size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
  const Trial& t0 = trials[0];
  EXPECT_EQ(t0.state, TrialState::kComplete);
  EXPECT_EQ(t0.value, std::optional<double>(0.875));
  EXPECT_EQ(t0.params, (std::map<std::string, double>{{"learning_rate", 0.1}, {"conv_activation", 5.0}}));
  EXPECT_EQ(t0.intermediate, (std::map<std::int64_t, double>{{1, 0.25}, {2, 0.75}}));
  EXPECT_EQ(t0.attributes, (std::map<std::string, std::string>{{"worker", "w0"}, {"note", "second"}}));
  EXPECT_GE(t0.started_at, before - 1.0);
  EXPECT_GE(t0.finished_at, t0.started_at);
  EXPECT_EQ(trials[1].state, TrialState::kRunning);
  EXPECT_EQ(trials[1].finished_at, 0.0);
  EXPECT_FALSE(trials[1].value.has_value());
  EXPECT_GT(trials[1].heartbeat_at, trials[1].started_at) << "heartbeat() moves heartbeat_at";
  EXPECT_EQ(trials[2].state, TrialState::kPruned);
  EXPECT_EQ(s.trials(b.id).size(), 1u);

  // Stale failing: trial 1 has not beaten for a while, a fresh trial has.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::int64_t fresh = s.create_trial(a.id, 0, {}).value();
  EXPECT_EQ(fresh, 3);
  EXPECT_EQ(s.fail_stale_trials(a.id, 0.2), std::vector<std::int64_t>{1});
  EXPECT_EQ(s.fail_stale_trials(b.id, 1000.0), std::vector<std::int64_t>{});
  EXPECT_FALSE(s.finish_trial(a.id, 1, TrialState::kComplete, 1.0))
      << "finish after a stale-fail must return false";
  trials = s.trials(a.id);
  EXPECT_EQ(trials[1].state, TrialState::kFail);
  EXPECT_FALSE(trials[1].value.has_value()) << "the refused finish changed nothing";
  EXPECT_EQ(trials[1].attributes.at("error"), "stale heartbeat");
  EXPECT_EQ(trials[3].state, TrialState::kRunning);

  // Target 4 counts RUNNING (3), COMPLETE (0), PRUNED (2), not FAIL (1): one more fits.
  EXPECT_EQ(s.create_trial(a.id, 4, {}), std::optional<std::int64_t>(4));
  EXPECT_EQ(s.create_trial(a.id, 4, {}), std::nullopt);
  EXPECT_TRUE(s.finish_trial(a.id, 4, TrialState::kFail, std::nullopt));
  EXPECT_EQ(s.create_trial(a.id, 4, {}), std::optional<std::int64_t>(5))
      << "a FAIL trial frees its place, and numbers stay gapless";
  EXPECT_EQ(s.create_trial(a.id, 4, {}), std::nullopt);
  EXPECT_EQ(s.create_trial(a.id, 0, {}), std::optional<std::int64_t>(6)) << "0 = no limit";

  // Exact doubles: params, steps (NaN and infinities too) and values.
  const std::vector<double> exact = {0.1, 1e-300, 5e-324, 1.0 / 3.0, -2.5e-8,
                                     std::numeric_limits<double>::max(), 0.0, -0.0};
  for (std::size_t i = 0; i < exact.size(); ++i) {
    s.set_param(a.id, 3, "p" + std::to_string(i), exact[i]);
    s.report(a.id, 3, static_cast<std::int64_t>(i), exact[i]);
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  s.report(a.id, 3, 100, nan);
  s.report(a.id, 3, 101, inf);
  s.report(a.id, 3, 102, -inf);
  EXPECT_TRUE(s.finish_trial(a.id, 3, TrialState::kComplete, nan));
  EXPECT_TRUE(s.finish_trial(a.id, 5, TrialState::kComplete, 1e-300));
  EXPECT_TRUE(s.finish_trial(a.id, 6, TrialState::kPruned, -inf));
  trials = s.trials(a.id);
  const Trial& t3 = trials[3];
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const std::string p = "p" + std::to_string(i);
    EXPECT_TRUE(t3.params.count(p) == 1 && same_stored(t3.params.at(p), exact[i]))
        << p << " wrote " << exact[i] << " read " << (t3.params.count(p) ? t3.params.at(p) : -1);
    const auto step = static_cast<std::int64_t>(i);
    EXPECT_TRUE(t3.intermediate.count(step) == 1 &&
                same_stored(t3.intermediate.at(step), exact[i]))
        << "step " << i << " wrote " << exact[i];
  }
  EXPECT_TRUE(std::isnan(t3.intermediate.at(100))) << t3.intermediate.at(100);
  EXPECT_EQ(t3.intermediate.at(101), inf);
  EXPECT_EQ(t3.intermediate.at(102), -inf);
  EXPECT_TRUE(t3.value.has_value() && std::isnan(*t3.value)) << "a NaN value reads back as NaN";
  EXPECT_EQ(trials[5].value, std::optional<double>(1e-300));
  EXPECT_EQ(trials[6].value, std::optional<double>(-inf));
  EXPECT_FALSE(trials[4].value.has_value()) << "FAIL without a value stays without one";

  // Argument errors.
  EXPECT_EQ(error_of([&] { s.create_trial(a.id + b.id + 1000, 0, {}); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_of([&] { s.set_param(a.id, 99, "x", 1.0); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_of([&] { s.set_param(a.id, 3, "x", nan); }).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(error_of([&] { s.report(a.id, 99, 1, 1.0); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_of([&] { s.heartbeat(b.id, 5); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_of([&] { s.set_attribute(b.id, 5, "k", "v"); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_of([&] { s.finish_trial(a.id, 99, TrialState::kComplete, 1.0); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_of([&] { s.finish_trial(b.id, 0, TrialState::kRunning, 1.0); }).code(),
            ErrorCode::kInvalidArgument);
}

// ---- SQLite ------------------------------------------------------------------------------

TEST(SqliteStorage, EveryMethodOrderingTargetStaleAndExactValues) {
  TempDir dir;
  auto s = open_storage(dir.file("study.db"));
  exercise_methods(*s, "");
  // A second connection sees the same data.
  auto other = open_storage("sqlite:///" + dir.file("study.db"));
  EXPECT_EQ(other->trials(other->find_study("a").value().id).size(), 7u);
  EXPECT_EQ(read_file(dir.file("study.db")).substr(0, 16), std::string("SQLite format 3\0", 16));
}

TEST(SqliteStorage, EmptyFileIsCreatedAndClockIsWallClock) {
  TempDir dir;
  write_file(dir.file("empty.db"), "");
  auto s = open_storage(dir.file("empty.db"));
  EXPECT_TRUE(s->studies().empty());
  const double wall = std::chrono::duration<double>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(s->now(), wall, 1.0);
}

TEST(SqliteStorage, UrlForms) {
  TempDir dir;
  // sqlite:///relative: relative to the working directory.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  try {
    auto rel = open_storage("sqlite:///rel.db");
    EXPECT_EQ(rel->url(), "sqlite:///rel.db");
  } catch (...) {
    fs::current_path(cwd);
    throw;
  }
  fs::current_path(cwd);
  EXPECT_TRUE(fs::exists(dir.file("rel.db")));
  // sqlite:////absolute (dir.path() starts with '/') and a plain path.
  open_storage("sqlite:///" + dir.file("abs.db"));
  EXPECT_TRUE(fs::exists(dir.file("abs.db")));
  open_storage(dir.file("plain.db"));
  EXPECT_TRUE(fs::exists(dir.file("plain.db")));
  // Every form reaches the same file.
  open_storage(dir.file("abs.db"))->open_study("s", "{}");
  EXPECT_TRUE(open_storage("sqlite:///" + dir.file("abs.db"))->find_study("s").has_value());

  for (const char* bad : {"mysql://u@h/db", "sqlite://", "sqlite:///", "", "redis://x"}) {
    const Error e = error_of([&] { open_storage(bad); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << "'" << bad << "': " << e.what();
  }
  const Error scheme = error_of([] { open_storage("mysql://user:hunter2@h/db"); });
  EXPECT_NE(std::string(scheme.what()).find("mysql"), std::string::npos) << scheme.what();
  EXPECT_EQ(std::string(scheme.what()).find("hunter2"), std::string::npos) << scheme.what();
}

TEST(SqliteStorage, RefusesGarbageTruncatedForeignAndNewerFilesUnchanged) {
  TempDir dir;
  // Expects kCorruptData naming the file with `phrase`, and the file's bytes untouched.
  auto expect_refused = [&](const std::string& path, const std::string& phrase) {
    const std::string before = read_file(path);
    const Error e = error_of([&] { open_storage(path); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << path << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos)
        << "expected '" << phrase << "' in: " << e.what();
    EXPECT_TRUE(read_file(path) == before) << path << " was modified by a refused open";
  };

  std::string garbage(4096, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 131 + 7);
  write_file(dir.file("garbage.db"), garbage);
  expect_refused(dir.file("garbage.db"), "not an SQLite database");

  // A real study with enough rows to span many pages, cut in half / to 50 bytes.
  {
    auto s = open_storage(dir.file("full.db"));
    const std::int64_t id = s->open_study("s", std::string(2000, 'c')).id;
    for (int i = 0; i < 60; ++i) {
      const std::int64_t n = s->create_trial(id, 0, {{"blob", std::string(500, 'x')}}).value();
      s->report(id, n, 1, 0.5);
    }
  }
  // Fold the WAL into the file so that the cut really removes data.
  ASSERT_EQ(run_command("sqlite3 '" + dir.file("full.db") + "' 'PRAGMA wal_checkpoint(TRUNCATE);' "
                        "'PRAGMA journal_mode=DELETE;'").exit_code, 0);
  const std::string full = read_file(dir.file("full.db"));
  ASSERT_GT(full.size(), 16384u);
  write_file(dir.file("half.db"), full.substr(0, full.size() / 2));
  expect_refused(dir.file("half.db"), "damaged");
  write_file(dir.file("stub.db"), full.substr(0, 50));
  expect_refused(dir.file("stub.db"), "not an SQLite database");

  // Optuna's own database (Debian's python3-optuna).
  const std::string optuna_db = dir.file("optuna.db");
  const auto made = run_command(std::string(ACTLAB_PYTHON) +
                                " -c \"import optuna; optuna.logging.set_verbosity(optuna.logging.ERROR); "
                                "optuna.create_study(storage='sqlite:///" + optuna_db + "')\"");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  expect_refused(optuna_db, "not an actlab study database");

  // A study database written by a newer actlab.
  open_storage(dir.file("newer.db"));
  ASSERT_EQ(run_command("sqlite3 '" + dir.file("newer.db") +
                        "' \"UPDATE meta SET value = '2' WHERE key = 'schema_version'\"").exit_code, 0);
  expect_refused(dir.file("newer.db"), "newer");

  // Our meta table with another format name.
  open_storage(dir.file("other.db"));
  ASSERT_EQ(run_command("sqlite3 '" + dir.file("other.db") +
                        "' \"UPDATE meta SET value = 'x' WHERE key = 'format'\"").exit_code, 0);
  expect_refused(dir.file("other.db"), "not an actlab study database");
}

TEST(SqliteStorage, MissingDirectoryDirectoryPathOrUnwritableIsIo) {
  TempDir dir;
  const Error missing = error_of([&] { open_storage(dir.file("no/such/dir/x.db")); });
  EXPECT_EQ(missing.code(), ErrorCode::kIo) << missing.what();
  EXPECT_NE(std::string(missing.what()).find("does not exist"), std::string::npos) << missing.what();
  const Error is_dir = error_of([&] { open_storage(dir.path()); });
  EXPECT_EQ(is_dir.code(), ErrorCode::kIo) << is_dir.what();
  // Unwritable even for root (CI runs as root, who may write anywhere else): an existing
  // file that cannot be opened for writing, and a new file in a folder that takes none.
  for (const char* path : {"/proc/version", "/proc/actlab_study.db"}) {
    const Error e = error_of([&] { open_storage(path); });
    EXPECT_EQ(e.code(), ErrorCode::kIo) << path << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(SqliteStorage, FourWorkerProcessesShareOneStudy) {
  TempDir dir;
  run_concurrent_workers("sqlite:///" + dir.file("shared.db"), dir);
}

TEST(SqliteStorage, SigkilledWorkersTrialIsFailedAsStale) {
  TempDir dir;
  run_sigkill_scenario(dir.file("killed.db"), dir);
}

// ---- PostgreSQL --------------------------------------------------------------------------

// The server: tests/support/postgres_server.hpp.

class PostgresStorage : public ::testing::Test {
 protected:
  // One server for the suite (starting one takes about a second).
  static void SetUpTestSuite() {
    try {
      server_ = std::make_unique<PostgresServer>();
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "could not start a PostgreSQL server: " << start_error_;
  }

  static std::unique_ptr<PostgresServer> server_;
  static std::string start_error_;
};
std::unique_ptr<PostgresServer> PostgresStorage::server_;
std::string PostgresStorage::start_error_;

TEST_F(PostgresStorage, EveryMethodOrderingTargetStaleAndExactValues) {
  const std::string url = server_->create_database("methods");
  auto s = open_storage(url);
  exercise_methods(*s, "");
  // postgres:// (libpq's other spelling) opens the same tables.
  std::string alias = url;
  alias.replace(0, std::string("postgresql").size(), "postgres");
  auto other = open_storage(alias);
  EXPECT_EQ(other->trials(other->find_study("a").value().id).size(), 7u);
  EXPECT_EQ(other->url(), alias);
  EXPECT_NEAR(other->now(), s->now(), 1.0);
}

TEST_F(PostgresStorage, RefusesForeignAndNewerDatabases) {
  server_->create_database("foreign_db");
  server_->psql("foreign_db", "CREATE TABLE studies(study_id INTEGER, study_name TEXT)");
  const Error foreign = error_of([&] { open_storage(server_->url("foreign_db")); });
  EXPECT_EQ(foreign.code(), ErrorCode::kCorruptData) << foreign.what();
  EXPECT_NE(std::string(foreign.what()).find("not an actlab study database"), std::string::npos)
      << foreign.what();

  const std::string newer = server_->create_database("newer_db");
  open_storage(newer);
  server_->psql("newer_db", "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
  const Error e = error_of([&] { open_storage(newer); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << e.what();
  EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
}

TEST_F(PostgresStorage, FourWorkerProcessesShareOneStudy) {
  TempDir dir;
  run_concurrent_workers(server_->create_database("concurrent"), dir);
}

TEST_F(PostgresStorage, SigkilledWorkersTrialIsFailedAsStale) {
  TempDir dir;
  run_sigkill_scenario(server_->create_database("killed"), dir);
}

// No server needed: nothing listens on port 1.
TEST(PostgresConnection, FailureIsIoWithThePasswordRedacted) {
  const Error e = error_of([] { open_storage("postgresql://actlab:hunter2@127.0.0.1:1/db"); });
  EXPECT_EQ(e.code(), ErrorCode::kIo) << e.what();
  const std::string message = e.what();
  EXPECT_NE(message.find("cannot connect"), std::string::npos) << message;
  EXPECT_NE(message.find("actlab:***@127.0.0.1:1"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  const Error q = error_of([] { open_storage("postgres://127.0.0.1:1/db?password=hunter2"); });
  EXPECT_EQ(q.code(), ErrorCode::kIo) << q.what();
  EXPECT_EQ(std::string(q.what()).find("hunter2"), std::string::npos) << q.what();
}

}  // namespace
}  // namespace actlab::study
