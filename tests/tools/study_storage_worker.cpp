// A worker process for study_storage_test: several of these share one study through the
// storage, as actlab study workers do, so the test sees real inter-process locking.
//
//   study_storage_worker URL STUDY loop TARGET WORKER [GO_FILE]
//     waits until GO_FILE exists (so that all workers start together), then
//     create_trial(TARGET) → set params → report steps 1..3 (1 ms apart, so that workers
//     interleave) → finish COMPLETE, until create_trial says the target is reached;
//     prints "done <trials finished>".
//   study_storage_worker URL STUDY hang COMPLETED WORKER
//     finishes COMPLETED trials the same way, then creates one more, reports step 1, prints
//     its number and beats every 50 ms until killed.
// Every value is a function of the trial number (worker_expected_* in the test).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "actlab/error.hpp"
#include "actlab/study/storage.hpp"

namespace {

using actlab::study::Storage;
using actlab::study::TrialState;

void run_trial(Storage& storage, std::int64_t study, std::int64_t number, bool finish) {
  storage.set_param(study, number, "x", 0.1 + 0.001 * static_cast<double>(number));
  storage.set_param(study, number, "choice", static_cast<double>(number % 8));
  const int steps = finish ? 3 : 1;
  for (int step = 1; step <= steps; ++step) {
    storage.report(study, number, step, static_cast<double>(number) + 0.25 * step);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (finish && !storage.finish_trial(study, number, TrialState::kComplete,
                                      1.5 * static_cast<double>(number))) {
    std::fprintf(stderr, "trial %lld was no longer RUNNING\n", static_cast<long long>(number));
    std::exit(3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s URL STUDY loop|hang N WORKER [GO_FILE]\n", argv[0]);
    return 1;
  }
  if (argc == 7) {
    while (!std::filesystem::exists(argv[6])) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const std::string url = argv[1], study_name = argv[2], mode = argv[3], worker = argv[5];
  const long n = std::atol(argv[4]);
  try {
    auto storage = actlab::study::open_storage(url);
    const std::int64_t study = storage->open_study(study_name, "{}").id;
    const std::map<std::string, std::string> attributes = {{"worker", worker}};
    if (mode == "loop") {
      int finished = 0;
      while (auto number = storage->create_trial(study, static_cast<std::size_t>(n), attributes)) {
        run_trial(*storage, study, *number, true);
        ++finished;
      }
      std::printf("done %d\n", finished);
      return 0;
    }
    if (mode == "hang") {
      for (long i = 0; i < n; ++i) {
        run_trial(*storage, study, *storage->create_trial(study, 0, attributes), true);
      }
      const std::int64_t number = *storage->create_trial(study, 0, attributes);
      run_trial(*storage, study, number, false);
      std::printf("%lld\n", static_cast<long long>(number));
      std::fflush(stdout);
      for (;;) {
        storage->heartbeat(study, number);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 1;
  } catch (const actlab::Error& e) {
    std::fprintf(stderr, "worker %s: %s\n", worker.c_str(), e.what());
    return 2;
  }
}
