#include "kernels/thread_pool.hpp"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace actlab::kernels::detail {
namespace {

class Pool {
 public:
  explicit Pool(std::size_t threads) : threads_(threads) {
    for (std::size_t t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { work(t); });
  }

  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& w : workers_) w.join();
  }

  std::size_t threads() const { return threads_; }

  void run(const std::function<void(std::size_t, std::size_t)>& task) {
    std::unique_lock call(call_mutex_, std::try_to_lock);
    if (!call.owns_lock() || threads_ == 1) {
      task(0, 1);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      pending_ = threads_ - 1;
      ++generation_;
    }
    start_.notify_all();
    task(0, threads_);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
  }

 private:
  void work(std::size_t t) {
    std::size_t seen = 0;
    for (;;) {
      const std::function<void(std::size_t, std::size_t)>* task = nullptr;
      {
        std::unique_lock lock(mutex_);
        start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        task = task_;
      }
      (*task)(t, threads_);
      {
        std::lock_guard lock(mutex_);
        --pending_;
      }
      done_.notify_one();
    }
  }

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel call at a time
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(std::size_t, std::size_t)>* task_ = nullptr;
  std::size_t generation_ = 0;
  std::size_t pending_ = 0;
  bool stopping_ = false;
};

std::size_t configured_threads() {
  if (const char* env = std::getenv("ACTLAB_NUM_THREADS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n >= 1) return static_cast<std::size_t>(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

Pool& pool() {
  static Pool instance(configured_threads());
  return instance;
}

}  // namespace

std::size_t pool_threads() { return pool().threads(); }

void run_parallel(const std::function<void(std::size_t, std::size_t)>& task) { pool().run(task); }

}  // namespace actlab::kernels::detail
