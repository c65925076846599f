// actlab_peer_bench: actlab against its peers in one run (issue 3 §5). For every elementwise
// activation of the table (activations.def, PyTorch's default parameters) and softmax,
// log_softmax and softmin over rows of 10 and of 1,000, forward and backward (diff_dst = 1;
// from the output where actlab's table says so, and the peers are given the same), at 4K, 256K
// and 16M float32 elements, with 1 and 2 threads, it measures
//   - actlab (kernels::forward/backward; ACTLAB_NUM_THREADS),
//   - the naive loop: a plain `for` over the std:: float formula and the textbook derivative,
//     compiled with the bench's flags, split over the threads by OpenMP from 32K elements up
//     (naive.cpp),
//   - oneDNN 2.6 eltwise_forward/eltwise_backward with the same algorithm and alpha/beta, and
//     softmax/logsoftmax (OMP_NUM_THREADS, its OpenMP runtime) (onednn_peer.cpp),
//   - PyTorch (bench/peers/torch_peers.py in a /usr/bin/python3 subprocess of the same run,
//     torch.set_num_threads),
//   - XNNPACK (Debian's 2022 snapshot; forward only, where it has the function; a pthreadpool
//     of the same thread count) (xnnpack_peer.cpp),
//   - memcpy copy bandwidth (OpenMP, same thread count),
// interleaved: each round measures every cell of a size once per implementation, in rotating
// order, and the table shows the median over rounds of G elements/s, the ratios of actlab to
// each peer, and actlab's bytes/s as % of copy's (8 bytes per element forward, 12 backward;
// copy moves 8). "–" where a peer lacks the activation or direction.
//
// Run: build/bin/actlab_peer_bench [--sizes 4K,256K,16M] [--threads 1,2] [--only a,b]
//                                  [--rounds N] [--no-torch] [--no-xnnpack]
// It starts itself once per thread count (ACTLAB_NUM_THREADS and OMP_NUM_THREADS set in the
// child's environment, since actlab's pool size is fixed per process) and prints one Markdown
// table. OMP_WAIT_POLICY=passive is set for oneDNN, the naive loop, copy and PyTorch: with the
// default policy, idle OpenMP workers (ours and the torch process's) spin after each region
// and, on 2 cores, took the CPU from whichever implementation ran next (timings stuck at whole
// scheduler slices, copy at 4K elements 100× slow). actlab's pool sleeps between calls the
// same way.
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/kernels.hpp"
#include "onednn_peer.hpp"
#include "peers.hpp"
#include "xnnpack_peer.hpp"

namespace actlab::peers {

std::vector<PeerOp> peer_ops(const std::vector<std::string>& only) {
  std::vector<PeerOp> all;
  for (const ActivationInfo& info : catalogue()) {
    const Activation act(info.id);
    if (info.kind == Kind::kElementwise) {
      all.push_back({std::string(info.name), act, 0});
    } else if (info.id == ActivationId::kSoftmax || info.id == ActivationId::kLogSoftmax ||
               info.id == ActivationId::kSoftmin) {
      for (std::size_t row : {std::size_t{10}, std::size_t{1000}}) {
        all.push_back({std::string(info.name) + "/" + std::to_string(row), act, row});
      }
    }
  }
  if (only.empty()) return all;
  std::vector<PeerOp> kept;
  for (const PeerOp& op : all) {
    for (const std::string& name : only) {
      if (name == op.label || name == op.act.name()) {
        kept.push_back(op);
        break;
      }
    }
  }
  return kept;
}

}  // namespace actlab::peers

namespace {

using Clock = std::chrono::steady_clock;
using actlab::Activation;
using actlab::BackwardFrom;
using actlab::peers::Buffers;
using actlab::peers::Calls;
using actlab::peers::PeerOp;

// The columns, in the table's order.
enum Impl { kActlab, kNaive, kOnednn, kTorch, kXnnpack, kImplCount };
constexpr std::array<const char*, kImplCount> kImplNames = {"actlab", "naive", "onednn", "torch",
                                                            "xnnpack"};
constexpr std::array<const char*, kImplCount> kImplTitles = {"actlab", "naive", "oneDNN",
                                                             "PyTorch", "XNNPACK"};

struct Options {
  std::vector<std::size_t> sizes{4096, 262144, 16777216};
  std::vector<int> threads{1, 2};
  std::vector<std::string> only;
  int rounds = 0;  // 0: 5, and 3 at 16M (a full run then stays near 6 minutes)
  bool torch = true;
  bool xnnpack = true;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

// "4K" → 4096, "16M" → 16777216, "1000" → 1000.
std::size_t parse_size(const std::string& s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  const std::string suffix(end);
  const std::size_t scale = suffix == "K" || suffix == "k"   ? 1024
                            : suffix == "M" || suffix == "m" ? 1024 * 1024
                            : suffix.empty()                 ? 1
                                                             : 0;
  if (v == 0 || scale == 0) throw std::runtime_error("bad size '" + s + "' (e.g. 4K, 256K, 16M)");
  return static_cast<std::size_t>(v) * scale;
}

std::string size_label(std::size_t n) {
  if (n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + "M";
  if (n % 1024 == 0) return std::to_string(n / 1024) + "K";
  return std::to_string(n);
}

int rounds_for(const Options& o, std::size_t size) {
  return o.rounds > 0 ? o.rounds : size >= (std::size_t{1} << 24) ? 3 : 5;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// ---------------------------------------------------------------- PyTorch subprocess

class TorchProcess {
 public:
  TorchProcess(const char* script, int threads) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      const std::string t = std::to_string(threads);
      execl("/usr/bin/python3", "python3", script, t.c_str(), static_cast<char*>(nullptr));
      std::perror("exec /usr/bin/python3");
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    in_ = fdopen(to_child[1], "w");
    out_ = fdopen(from_child[0], "r");
    char line[256];
    if (!std::fgets(line, sizeof line, out_) || std::strncmp(line, "ready", 5) != 0) {
      throw std::runtime_error("torch_peers.py did not start");
    }
    version_ = line + 6;
    version_.erase(version_.find_last_not_of("\n") + 1);
  }
  ~TorchProcess() {
    std::fclose(in_);
    std::fclose(out_);
    waitpid(pid_, nullptr, 0);
  }
  // Seconds for `iters` calls, negative when PyTorch lacks the op in that direction.
  double time(const PeerOp& op, bool fwd, std::size_t n, long iters) {
    std::fprintf(in_, "%s %s %zu %zu %ld\n", std::string(op.act.name()).c_str(),
                 fwd ? "fwd" : "bwd", n, op.row, iters);
    std::fflush(in_);
    char line[256];
    if (!std::fgets(line, sizeof line, out_)) throw std::runtime_error("torch_peers.py died");
    return std::strtod(line, nullptr);
  }
  // "1.13.0a0 2": version and thread count (torch.get_num_threads).
  const std::string& version() const { return version_; }

 private:
  pid_t pid_;
  FILE* in_;
  FILE* out_;
  std::string version_;
};

// ---------------------------------------------------------------- one cell

constexpr double kBatchSeconds = 0.008;  // each timed batch lasts at least this long

// Times `call` in a batch of `iters` calls, after one untimed call when `warm` (small sizes,
// where the data should be in cache as in a network's layer); returns seconds per call.
double time_batch(const std::function<void()>& call, long iters, bool warm) {
  if (warm) call();
  const auto t0 = Clock::now();
  for (long i = 0; i < iters; ++i) call();
  return std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(iters);
}

long iterations_for(double seconds_per_call) {
  return std::clamp(static_cast<long>(std::ceil(kBatchSeconds / seconds_per_call)), 1L, 100000L);
}

struct Cell {
  std::size_t op;  // index into the op list
  bool fwd;
  std::size_t n;   // elements actually processed (a whole number of softmax rows)
  std::array<std::function<void()>, kImplCount> call;  // kTorch: unused (the subprocess)
  std::array<bool, kImplCount> has{};
  std::array<long, kImplCount> iters{};
  std::array<std::vector<double>, kImplCount> t;  // seconds per call, one per round
};

struct Arrays {
  std::vector<float> x, y, out, g, gi;
  explicit Arrays(std::size_t n) : x(n), y(n), out(n), g(n, 1.0f), gi(n) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-8.0f, 8.0f);
    for (float& v : x) v = dist(rng);
  }
};

void copy_parallel(const float* src, float* dst, std::size_t n, int threads) {
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), k = omp_get_num_threads();
    const std::size_t per = (n / k + 15) / 16 * 16;
    const std::size_t begin = std::min(n, per * t), end = std::min(n, begin + per);
    std::memcpy(dst + begin, src + begin, (end - begin) * sizeof(float));
  }
}

std::vector<std::size_t> shape_of(const PeerOp& op, std::size_t n) {
  return op.row ? std::vector<std::size_t>{n / op.row, op.row} : std::vector<std::size_t>{n};
}

// Measures every cell at one size and prints "R op dir n T impl seconds" lines (medians).
void run_size(std::size_t size, int threads, int rounds, const std::vector<PeerOp>& ops,
              TorchProcess* torch, actlab::peers::OnednnPeer& onednn,
              actlab::peers::XnnpackPeer* xnnpack) {
  Arrays a(size);
  const bool warm = size <= 262144;
  std::vector<Cell> cells;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const PeerOp& op = ops[k];
    const Activation act = op.act;
    const std::size_t n = op.row ? size / op.row * op.row : size;
    const std::vector<std::size_t> shape = shape_of(op, n);
    const Buffers b{a.x.data(), a.y.data(), a.out.data(), a.g.data(), a.gi.data(), n};
    const bool from_output = act.info().backward_from == BackwardFrom::kOutput;
    std::span<const float> x(b.x, n), saved(from_output ? b.y : b.x, n), g(b.g, n);
    std::span<float> out(b.out, n), gi(b.gi, n);
    std::array<Calls, kImplCount> calls;
    calls[kActlab] = {[act, shape, x, out] { actlab::kernels::forward(act, shape, x, out); },
                      [act, shape, saved, g, gi] {
                        actlab::kernels::backward(act, shape, saved, g, gi);
                      }};
    calls[kNaive] = actlab::peers::naive_calls(op, b, threads);
    calls[kOnednn] = onednn.calls(op, b);
    if (xnnpack) calls[kXnnpack] = xnnpack->calls(op, b);
    for (bool fwd : {true, false}) {
      Cell c;
      c.op = k;
      c.fwd = fwd;
      c.n = n;
      for (int i = 0; i < kImplCount; ++i) {
        c.call[i] = fwd ? calls[i].fwd : calls[i].bwd;
        c.has[i] = static_cast<bool>(c.call[i]);
      }
      c.has[kTorch] = torch != nullptr;
      cells.push_back(std::move(c));
    }
  }

  // Backward from the output reads a.y: it must hold the op's own forward output (actlab's,
  // computed untimed; the peers' outputs agree within a few ULP). Forwards write a.out, so
  // a.y changes only here.
  std::size_t y_holds = ops.size();
  auto prepare = [&](const Cell& c) {
    if (c.fwd || c.op == y_holds) return;
    const PeerOp& op = ops[c.op];
    actlab::kernels::forward(op.act, shape_of(op, c.n), std::span<const float>(a.x.data(), c.n),
                             std::span<float>(a.y.data(), c.n));
    y_holds = c.op;
  };
  auto measure = [&](Cell& c, int impl, long iters) {
    if (impl == kTorch) {
      const double secs = torch->time(ops[c.op], c.fwd, c.n, iters);
      return secs < 0 ? secs : secs / static_cast<double>(iters);
    }
    prepare(c);
    return time_batch(c.call[impl], iters, warm);
  };

  // Each peer must compute the same function: compare its output with actlab's once, at the
  // small sizes (a wrong formula or mapping would otherwise show up only as speed).
  if (warm) {
    std::vector<float> expected(size);
    for (Cell& c : cells) {
      prepare(c);
      float* result = c.fwd ? a.out.data() : a.gi.data();
      c.call[kActlab]();
      std::copy(result, result + c.n, expected.begin());
      for (int i = kNaive; i < kImplCount; ++i) {
        if (i == kTorch || !c.has[i]) continue;
        std::fill(result, result + c.n, NAN);
        c.call[i]();
        for (std::size_t j = 0; j < c.n; ++j) {
          const float e = expected[j], got = result[j];
          if (!(std::abs(got - e) <= 1e-5f + 1e-4f * std::abs(e))) {
            std::fprintf(stderr, "warning: %s %s %s differs from actlab at x = %g: %g, not %g\n",
                         kImplNames[i], ops[c.op].label.c_str(), c.fwd ? "fwd" : "bwd",
                         static_cast<double>(a.x[j]), static_cast<double>(got),
                         static_cast<double>(e));
            break;
          }
        }
      }
    }
  }

  // Copy: the memory ceiling (8 bytes per element).
  std::vector<double> t_copy;
  auto copy = [&] { copy_parallel(a.x.data(), a.out.data(), size, threads); };
  const long copy_iters = iterations_for(time_batch(copy, 1, true));

  // Calibrate the batch sizes once (PyTorch answers -1 where it lacks the op).
  for (Cell& c : cells) {
    for (int i = 0; i < kImplCount; ++i) {
      if (!c.has[i]) continue;
      const double secs = measure(c, i, 1);
      if (secs < 0) {
        c.has[i] = false;
      } else {
        c.iters[i] = iterations_for(secs);
      }
    }
  }
  for (int r = 0; r < rounds; ++r) {
    t_copy.push_back(time_batch(copy, copy_iters, warm));
    for (Cell& c : cells) {
      for (int k = 0; k < kImplCount; ++k) {
        const int impl = (k + r) % kImplCount;
        if (c.has[impl]) c.t[impl].push_back(measure(c, impl, c.iters[impl]));
      }
    }
  }
  std::printf("R copy - %zu %d copy %.6g\n", size, threads, median(t_copy));
  for (const Cell& c : cells) {
    for (int i = 0; i < kImplCount; ++i) {
      if (!c.has[i]) continue;
      std::printf("R %s %s %zu %d %s %.6g\n", ops[c.op].label.c_str(), c.fwd ? "fwd" : "bwd",
                  c.n, threads, kImplNames[i], median(c.t[i]));
    }
  }
  std::fflush(stdout);
}

int child(int threads, const Options& o) {
  const std::vector<PeerOp> ops = actlab::peers::peer_ops(o.only);
  actlab::peers::OnednnPeer onednn;
  std::unique_ptr<TorchProcess> torch;
  if (o.torch) {
    torch = std::make_unique<TorchProcess>(ACTLAB_TORCH_PEERS, threads);
    std::istringstream ready(torch->version());
    std::string version;
    int torch_threads = 0;
    ready >> version >> torch_threads;
    std::printf("V PyTorch %s\n", version.c_str());
    if (torch_threads != threads)
      std::fprintf(stderr, "warning: PyTorch runs %d threads, not %d\n", torch_threads, threads);
  }
  std::printf("V %s\n", onednn.version().c_str());
  if (omp_get_max_threads() != threads)
    std::fprintf(stderr, "warning: OpenMP runs %d threads, not %d\n", omp_get_max_threads(),
                 threads);
  std::unique_ptr<actlab::peers::XnnpackPeer> xnnpack;
  if (o.xnnpack) {
    xnnpack = std::make_unique<actlab::peers::XnnpackPeer>(threads);
    std::printf("V %s\n", xnnpack->version().c_str());
    if (!xnnpack->available()) xnnpack.reset();
  }
  std::fflush(stdout);
  for (std::size_t size : o.sizes) {
    const auto t0 = Clock::now();
    run_size(size, threads, rounds_for(o, size), ops, torch.get(), onednn, xnnpack.get());
    std::fprintf(stderr, "  %d thread(s), %s elements: %.0f s\n", threads,
                 size_label(size).c_str(),
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return 0;
}

// ---------------------------------------------------------------- the table

struct Key {
  std::string op, dir;
  std::size_t size;  // the requested size (softmax rows may process a little less)
  int threads;
  bool operator<(const Key& o) const {
    return std::tie(size, threads, op, dir) < std::tie(o.size, o.threads, o.op, o.dir);
  }
};

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : ",") + p;
  return s;
}

std::string fmt(double v, const char* format) {
  if (!std::isfinite(v) || v <= 0) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

int parent(const char* self, const Options& o, const std::string& command) {
  std::map<Key, std::map<std::string, double>> gelems;  // impl -> G elements/s
  std::map<std::pair<std::size_t, int>, double> copy_gbs;
  std::vector<std::string> versions;
  const auto start = Clock::now();
  std::vector<std::string> sizes;
  for (std::size_t s : o.sizes) sizes.push_back(std::to_string(s));
  for (int threads : o.threads) {
    std::string cmd = "ACTLAB_NUM_THREADS=" + std::to_string(threads) +
                      " OMP_NUM_THREADS=" + std::to_string(threads) +
                      " OMP_WAIT_POLICY=passive '" + self + "' --child " +
                      std::to_string(threads) + " --sizes " + join(sizes) + " --rounds " +
                      std::to_string(o.rounds) + (o.torch ? "" : " --no-torch") +
                      (o.xnnpack ? "" : " --no-xnnpack");
    if (!o.only.empty()) cmd += " --only " + join(o.only);
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
      char op[64], dir[8], impl[16];
      std::size_t n;
      int t;
      double secs;
      if (line[0] == 'V') {
        if (threads == o.threads.front()) versions.emplace_back(line + 2);
      } else if (std::sscanf(line, "R %63s %7s %zu %d %15s %lf", op, dir, &n, &t, impl, &secs) ==
                 6) {
        if (std::strcmp(impl, "copy") == 0) {
          copy_gbs[{n, t}] = 8.0 * static_cast<double>(n) / secs / 1e9;
        } else {
          // the requested size: the smallest one not below n
          std::size_t s = 0;
          for (std::size_t req : o.sizes)
            if (req >= n && (s == 0 || req < s)) s = req;
          gelems[{op, dir, s, t}][impl] = static_cast<double>(n) / secs / 1e9;
        }
      }
    }
    if (pclose(p) != 0) throw std::runtime_error("child run failed: " + cmd);
  }
  std::printf("Command: `%s`\n\n", command.c_str());
  for (std::string v : versions) {
    v.erase(v.find_last_not_of('\n') + 1);
    std::printf("- %s\n", v.c_str());
  }
  std::printf("\nG elements/s, median of %d interleaved rounds (%d at 16M); actlab/X = actlab's "
              "elements/s over X's; %% copy = actlab's bytes/s (8 B/element forward, 12 "
              "backward) over memcpy's at the same size and threads; – where a peer lacks the "
              "activation or direction.\n\n",
              o.rounds > 0 ? o.rounds : 5, o.rounds > 0 ? o.rounds : 3);
  std::printf("| size | thr | activation | dir |");
  for (const char* title : kImplTitles) std::printf(" %s |", title);
  for (int i = 1; i < kImplCount; ++i) std::printf(" actlab/%s |", kImplTitles[i]);
  std::printf(" %% copy |\n|---|---|---|---|");
  for (int i = 0; i < 2 * kImplCount; ++i) std::printf("---:|");
  std::printf("\n");
  const std::vector<PeerOp> ops = actlab::peers::peer_ops(o.only);
  for (std::size_t s : o.sizes) {
    for (int t : o.threads) {
      bool first = true;
      for (const PeerOp& op : ops) {
        for (const char* dir : {"fwd", "bwd"}) {
          auto it = gelems.find({op.label, dir, s, t});
          if (it == gelems.end()) continue;
          auto& m = it->second;
          auto value = [&m](int i) {
            auto v = m.find(kImplNames[i]);
            return v == m.end() ? NAN : v->second;
          };
          const double act = value(kActlab);
          const double bytes = std::strcmp(dir, "fwd") == 0 ? 8.0 : 12.0;
          const double pct = 100.0 * act * bytes / copy_gbs[{s, t}];
          std::printf("| %s | %s | %s | %s |", first ? size_label(s).c_str() : "",
                      first ? std::to_string(t).c_str() : "", op.label.c_str(), dir);
          for (int i = 0; i < kImplCount; ++i) std::printf(" %s |", fmt(value(i), "%.2f").c_str());
          for (int i = 1; i < kImplCount; ++i)
            std::printf(" %s |", fmt(act / value(i), "%.2f").c_str());
          std::printf(" %s |\n", fmt(pct, "%.0f").c_str());
          first = false;
        }
      }
    }
  }
  // Summary: the geometric mean of each ratio over the rows where both have a figure.
  std::printf("\nGeometric mean of actlab/X over the rows (fwd and bwd) where X has the "
              "function, and their count:\n\n| size | thr |");
  for (int i = 1; i < kImplCount; ++i) std::printf(" actlab/%s |", kImplTitles[i]);
  std::printf("\n|---|---|");
  for (int i = 1; i < kImplCount; ++i) std::printf("---:|");
  std::printf("\n");
  for (std::size_t s : o.sizes) {
    for (int t : o.threads) {
      std::printf("| %s | %d |", size_label(s).c_str(), t);
      for (int i = 1; i < kImplCount; ++i) {
        double log_sum = 0;
        int count = 0;
        for (const auto& [key, m] : gelems) {
          if (key.size != s || key.threads != t) continue;
          auto act = m.find(kImplNames[kActlab]), peer = m.find(kImplNames[i]);
          if (act == m.end() || peer == m.end() || !(act->second > 0 && peer->second > 0))
            continue;
          log_sum += std::log(act->second / peer->second);
          ++count;
        }
        if (count == 0) {
          std::printf(" – |");
        } else {
          std::printf(" %.2f (%d) |", std::exp(log_sum / count), count);
        }
      }
      std::printf("\n");
    }
  }
  std::printf("\nmemcpy GB/s:");
  for (auto& [k, v] : copy_gbs)
    std::printf(" %s × %d thr %.1f;", size_label(k.first).c_str(), k.second, v);
  std::printf(" total %.0f s\n", std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: actlab_peer_bench [--sizes 4K,256K,16M] [--threads 1,2] "
               "[--only sigmoid,softmax/10,...] [--rounds N] [--no-torch] [--no-xnnpack]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int child_threads = 0;
  std::string command = "actlab_peer_bench";
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a != "--child") command += " " + a;
      if (a == "--rounds" && has_value) {
        o.rounds = std::max(0, std::atoi(argv[++i]));
      } else if (a == "--child" && has_value) {
        child_threads = std::atoi(argv[++i]);
        continue;
      } else if (a == "--sizes" && has_value) {
        o.sizes.clear();
        for (const std::string& s : split(argv[++i])) o.sizes.push_back(parse_size(s));
      } else if (a == "--threads" && has_value) {
        o.threads.clear();
        for (const std::string& s : split(argv[++i])) o.threads.push_back(std::stoi(s));
      } else if (a == "--only" && has_value) {
        o.only = split(argv[++i]);
      } else if (a == "--no-torch") {
        o.torch = false;
        continue;
      } else if (a == "--no-xnnpack") {
        o.xnnpack = false;
        continue;
      } else {
        usage();
        return 2;
      }
      command += std::string(" ") + argv[i];
    }
    if (o.sizes.empty() || o.threads.empty()) throw std::runtime_error("no sizes or threads");
    for (int t : o.threads)
      if (t < 1) throw std::runtime_error("threads must be at least 1");
    if (actlab::peers::peer_ops(o.only).empty())
      throw std::runtime_error("--only matches no activation (names: actlab list; rows: "
                               "softmax/10, softmax/1000)");
    if (child_threads > 0) return child(child_threads, o);
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) throw std::runtime_error("cannot find this program's path");
    self[len] = '\0';
    return parent(self, o, command);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actlab_peer_bench: %s\n", e.what());
    return 1;
  }
}
