// The seed CNN (EXPERIMENTS.md §1) against PyTorch, in one run: images/s for training
// (forward + cross-entropy + backward + AdamW step, batch 32) and inference (forward only,
// batch 32 and 256), float32, 2 threads, plus the peak memory (ru_maxrss) of each process.
//
// Run: build/bin/actlab_cnn_bench            (see --help; docs/benchmarks.md has figures)
//
// How: for each activation pair the driver starts two worker processes, this binary with
// --worker and bench/torch_cnn_bench.py under /usr/bin/python3. Both build the same model
// on the same kind of random inputs, then wait (asleep on stdin) for commands such as
// "train 32 1.0". The driver sends each workload to one worker at a time, alternating
// actlab, torch, torch, actlab, ... over the rounds, so the two never run together and a
// drift in the machine's load hits both; it reports medians. A worker answers
// "result <images/s> <iterations>" and, on "quit", "maxrss <KiB>": each process's peak
// covers the whole workload of its pair (training and both inference batches).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "actlab/nn/loss.hpp"
#include "actlab/nn/model.hpp"
#include "actlab/nn/optimizer.hpp"
#include "actlab/tensor.hpp"

#ifndef ACTLAB_TORCH_CNN_BENCH
#define ACTLAB_TORCH_CNN_BENCH "bench/torch_cnn_bench.py"
#endif

namespace {

using Clock = std::chrono::steady_clock;

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

// ---------------------------------------------------------------- worker (actlab side)

struct Batches {
  std::vector<actlab::Tensor> images;  // each (batch, 1, 28, 28), uniform in [-1, 1]
  std::vector<actlab::Tensor> labels;  // each (batch), class indices 0..9
};

// 512 random images (the Fashion-MNIST shape), cut into batches of `batch`.
Batches make_batches(std::size_t batch, std::mt19937& rng) {
  constexpr std::size_t kPool = 512;
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  std::uniform_int_distribution<int> label(0, 9);
  Batches b;
  for (std::size_t done = 0; done < kPool; done += batch) {
    actlab::Tensor x({batch, 1, 28, 28});
    for (float& v : x.data()) v = pixel(rng);
    actlab::Tensor y({batch});
    for (float& v : y.data()) v = static_cast<float>(label(rng));
    b.images.push_back(std::move(x));
    b.labels.push_back(std::move(y));
  }
  return b;
}

int run_worker(const std::string& conv, const std::string& fc) {
  std::cout << "ready " << max_rss_kib() << std::endl;
  auto model = actlab::nn::Sequential::from_spec(actlab::nn::Sequential::seed_cnn_spec(conv, fc),
                                                 20250301);
  actlab::nn::AdamOptions adam;
  adam.lr = 0.002;
  adam.weight_decay = 0.01;
  auto optimizer = actlab::nn::make_adamw(model.parameters(), adam);
  std::mt19937 rng(1234);
  std::cout << "params " << model.parameter_count() << std::endl;

  std::vector<std::pair<std::size_t, Batches>> pools;
  auto pool_for = [&](std::size_t batch) -> const Batches& {
    for (const auto& [n, b] : pools)
      if (n == batch) return b;
    pools.emplace_back(batch, make_batches(batch, rng));
    return pools.back().second;
  };

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    std::size_t batch = 0;
    double seconds = 0;
    in >> command >> batch >> seconds;
    if (command == "quit") break;
    if ((command != "train" && command != "infer") || batch == 0) {
      std::cout << "error bad command: " << line << std::endl;
      continue;
    }
    const Batches& data = pool_for(batch);
    const bool train = command == "train";
    std::size_t next = 0;
    float sink = 0;
    auto one = [&] {
      const actlab::Tensor& x = data.images[next];
      const actlab::Tensor& y = data.labels[next];
      next = (next + 1) % data.images.size();
      if (train) {
        optimizer->zero_grad();
        actlab::Tensor logits = model.forward(x, true);
        actlab::nn::LossResult loss = actlab::nn::cross_entropy_loss(logits, y);
        model.backward_parameters(loss.gradient);
        optimizer->step();
        sink += static_cast<float>(loss.value);
      } else {
        actlab::Tensor logits = model.forward(x, false);
        sink += logits[0];
      }
    };
    for (int i = 0; i < 3; ++i) one();  // warm-up: buffers, caches, the pool's threads
    std::size_t iterations = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    do {
      one();
      ++iterations;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds || iterations < 3);
    const double images_per_s = static_cast<double>(iterations * batch) / elapsed;
    std::cout << "result " << images_per_s << ' ' << iterations << ' ' << max_rss_kib()
              << (sink == sink ? "" : " nan") << std::endl;
  }
  std::cout << "maxrss " << max_rss_kib() << std::endl;
  return 0;
}

// ---------------------------------------------------------------- driver

class Child {
 public:
  Child(const std::string& name, std::vector<std::string> argv) : name_(name) {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      close(to_child[0]);
      close(to_child[1]);
      close(from_child[0]);
      close(from_child[1]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      std::fprintf(stderr, "actlab_cnn_bench: cannot run %s: %s\n", args[0], std::strerror(errno));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    out_ = fdopen(to_child[1], "w");
    in_ = fdopen(from_child[0], "r");
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (out_) std::fclose(out_);
    if (in_) std::fclose(in_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }

  void send(const std::string& line) {
    std::fputs((line + "\n").c_str(), out_);
    std::fflush(out_);
  }
  // The next line that starts with `key`, split into words (the key dropped).
  std::vector<std::string> expect(const std::string& key) {
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, in_)) {
      std::istringstream in(buffer);
      std::string word;
      in >> word;
      if (word == "error") throw std::runtime_error(name_ + ": " + buffer);
      if (word != key) continue;  // tolerate chatter
      std::vector<std::string> rest;
      while (in >> word) rest.push_back(word);
      return rest;
    }
    throw std::runtime_error(name_ + " ended before answering '" + key + "'");
  }

 private:
  std::string name_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  FILE* in_ = nullptr;
};

struct Workload {
  std::string command;  // "train" or "infer"
  std::size_t batch;
};

struct Options {
  std::vector<std::pair<std::string, std::string>> pairs = {{"relu", "relu"}, {"prelu", "tanh"}};
  int rounds = 5;
  double seconds = 1.0;
  std::string python = "/usr/bin/python3";
  std::string script = ACTLAB_TORCH_CNN_BENCH;
  bool torch = true;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

void usage() {
  std::cout <<
      "usage: actlab_cnn_bench [--pairs relu/relu,prelu/tanh] [--rounds 5] [--seconds 1.0]\n"
      "                        [--python /usr/bin/python3] [--torch-script PATH] [--no-torch]\n"
      "Seed CNN, float32: training (batch 32, forward + cross-entropy + backward + AdamW) and\n"
      "inference (batch 32 and 256) in images/s, actlab against PyTorch, interleaved; medians\n"
      "of --rounds samples of --seconds each. 2 threads: OPENBLAS_NUM_THREADS and\n"
      "ACTLAB_NUM_THREADS default to 2 (the torch worker calls torch.set_num_threads(2)).\n";
}

int run_driver(const Options& opt, const std::string& self) {
  setenv("OPENBLAS_NUM_THREADS", "2", 0);
  setenv("ACTLAB_NUM_THREADS", "2", 0);
  const std::vector<Workload> workloads = {{"train", 32}, {"infer", 32}, {"infer", 256}};

  std::cout << "Seed CNN (EXPERIMENTS.md §1), float32, images/s, median of " << opt.rounds
            << " interleaved samples of " << fixed(opt.seconds, 1) << " s\n"
            << "env: OMP_WAIT_POLICY=" << env_or("OMP_WAIT_POLICY", "(unset)")
            << " OMP_NUM_THREADS=" << env_or("OMP_NUM_THREADS", "(unset)")
            << " OPENBLAS_NUM_THREADS=" << env_or("OPENBLAS_NUM_THREADS", "")
            << " ACTLAB_NUM_THREADS=" << env_or("ACTLAB_NUM_THREADS", "")
            << "; torch.set_num_threads(2)\n"
            << "load average at start: " << loadavg() << "\n\n";

  struct Row {
    std::string pair, workload;
    double actlab, torch, actlab_lo, actlab_hi, torch_lo, torch_hi;
  };
  std::vector<Row> rows;
  struct Memory {
    std::string pair;
    long actlab_start_kib, actlab_train_kib, actlab_kib;
    long torch_start_kib, torch_train_kib, torch_kib;
    std::string params;
  };
  std::vector<Memory> memory;

  for (const auto& [conv, fc] : opt.pairs) {
    const std::string pair = conv + "/" + fc;
    std::unique_ptr<Child> a = std::make_unique<Child>(
        "actlab worker", std::vector<std::string>{self, "--worker", conv, fc});
    std::unique_ptr<Child> t;
    if (opt.torch)
      t = std::make_unique<Child>(
          "torch worker", std::vector<std::string>{opt.python, opt.script, conv, fc});
    const long actlab_start = std::stol(a->expect("ready").at(0));
    const std::string a_params = a->expect("params").at(0);
    long torch_start = 0;
    std::string t_params = "-";
    if (t) {
      torch_start = std::stol(t->expect("ready").at(0));
      t_params = t->expect("params").at(0);
    }
    std::cerr << pair << ": parameters actlab " << a_params << ", torch " << t_params << "\n";
    if (t && a_params != t_params)
      throw std::runtime_error("the two models differ in size: " + a_params + " vs " + t_params);

    std::vector<std::vector<double>> sa(workloads.size()), st(workloads.size());
    // Peak after the first training sample (workloads run in the order train b32, infer b32,
    // infer b256, so this is the peak of training alone).
    long a_train_rss = 0, t_train_rss = 0;
    auto sample = [&](Child& c, const Workload& w) {
      // Let the other process's threads (OpenMP, OpenBLAS) settle into sleep first.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      c.send(w.command + " " + std::to_string(w.batch) + " " + fixed(opt.seconds, 3));
      const auto answer = c.expect("result");
      return std::make_pair(std::stod(answer.at(0)), std::stol(answer.at(2)));
    };
    for (int r = 0; r < opt.rounds; ++r) {
      for (std::size_t i = 0; i < workloads.size(); ++i) {
        const bool actlab_first = (r + static_cast<int>(i)) % 2 == 0;
        for (int k = 0; k < 2; ++k) {
          if ((k == 0) == actlab_first) {
            const auto [ips, rss] = sample(*a, workloads[i]);
            sa[i].push_back(ips);
            if (r == 0 && i == 0) a_train_rss = rss;
          } else if (t) {
            const auto [ips, rss] = sample(*t, workloads[i]);
            st[i].push_back(ips);
            if (r == 0 && i == 0) t_train_rss = rss;
          }
        }
      }
      std::cerr << pair << ": round " << r + 1 << "/" << opt.rounds << " done\n";
    }
    a->send("quit");
    const long a_rss = std::stol(a->expect("maxrss").at(0));
    long t_rss = 0;
    if (t) {
      t->send("quit");
      t_rss = std::stol(t->expect("maxrss").at(0));
    }
    memory.push_back({pair, actlab_start, a_train_rss, a_rss, torch_start, t_train_rss, t_rss, a_params});
    for (std::size_t i = 0; i < workloads.size(); ++i) {
      Row row{pair, workloads[i].command + " b" + std::to_string(workloads[i].batch),
              median(sa[i]), t ? median(st[i]) : 0,
              *std::min_element(sa[i].begin(), sa[i].end()),
              *std::max_element(sa[i].begin(), sa[i].end()), 0, 0};
      if (t) {
        row.torch_lo = *std::min_element(st[i].begin(), st[i].end());
        row.torch_hi = *std::max_element(st[i].begin(), st[i].end());
      }
      rows.push_back(row);
    }
  }

  std::cout << "| activations (conv/fc) | workload | actlab img/s (min–max) | PyTorch img/s (min–max) "
               "| actlab / PyTorch |\n|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    std::cout << "| " << r.pair << " | " << r.workload << " | " << fixed(r.actlab, 0) << " ("
              << fixed(r.actlab_lo, 0) << "–" << fixed(r.actlab_hi, 0) << ") | ";
    if (opt.torch)
      std::cout << fixed(r.torch, 0) << " (" << fixed(r.torch_lo, 0) << "–" << fixed(r.torch_hi, 0)
                << ") | " << fixed(r.actlab / r.torch, 2) << "× |\n";
    else
      std::cout << "– | – |\n";
  }
  auto mib = [](long kib) { return fixed(static_cast<double>(kib) / 1024.0, 1); };
  std::cout << "\nPeak memory, ru_maxrss in MiB, per worker process: at start (after import for "
               "PyTorch) / after training b32 / at the end (incl. inference b256):\n"
               "| activations | parameters | actlab | PyTorch | actlab / PyTorch, training | "
               "actlab / PyTorch, end |\n|---|---|---|---|---|---|\n";
  for (const Memory& m : memory) {
    std::cout << "| " << m.pair << " | " << m.params << " | " << mib(m.actlab_start_kib) << " / "
              << mib(m.actlab_train_kib) << " / " << mib(m.actlab_kib) << " | ";
    if (opt.torch)
      std::cout << mib(m.torch_start_kib) << " / " << mib(m.torch_train_kib) << " / "
                << mib(m.torch_kib) << " | "
                << fixed(static_cast<double>(m.actlab_train_kib) / static_cast<double>(m.torch_train_kib), 2)
                << "× | "
                << fixed(static_cast<double>(m.actlab_kib) / static_cast<double>(m.torch_kib), 2)
                << "× |\n";
    else
      std::cout << "– | – | – |\n";
  }
  std::cout << "\nload average at end: " << loadavg() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--worker") {
      if (args.size() != 3) throw std::runtime_error("usage: --worker CONV_ACT FC_ACT");
      return run_worker(args[1], args[2]);
    }
    Options opt;
    for (std::size_t i = 0; i < args.size(); ++i) {
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw std::runtime_error(args[i] + " needs a value");
        return args[++i];
      };
      const std::string& a = args[i];
      if (a == "--help" || a == "-h") {
        usage();
        return 0;
      } else if (a == "--rounds") {
        opt.rounds = std::stoi(value());
      } else if (a == "--seconds") {
        opt.seconds = std::stod(value());
      } else if (a == "--python") {
        opt.python = value();
      } else if (a == "--torch-script") {
        opt.script = value();
      } else if (a == "--no-torch") {
        opt.torch = false;
      } else if (a == "--pairs") {
        opt.pairs.clear();
        std::stringstream list(value());
        std::string item;
        while (std::getline(list, item, ',')) {
          const auto slash = item.find('/');
          if (slash == std::string::npos) throw std::runtime_error("--pairs wants CONV/FC,...");
          opt.pairs.emplace_back(item.substr(0, slash), item.substr(slash + 1));
        }
      } else {
        usage();
        throw std::runtime_error("unknown option " + a);
      }
    }
    if (opt.rounds < 1 || opt.seconds <= 0 || opt.pairs.empty())
      throw std::runtime_error("--rounds and --seconds must be positive, --pairs not empty");
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw std::runtime_error("cannot find /proc/self/exe");
    self[n] = '\0';
    return run_driver(opt, self);
  } catch (const std::exception& e) {
    std::cerr << "actlab_cnn_bench: " << e.what() << "\n";
    return 1;
  }
}
