// actlab_peer_bench: actlab against its peers in one run. For relu, leaky_relu, sigmoid, tanh,
// elu, gelu (erf), gelu_tanh, silu, softplus, mish and softmax over rows of 10 and of 1,000,
// forward and backward (diff_dst = 1; from the output where actlab's table says so, and the
// peers are given the same: oneDNN's *_use_dst_for_bwd algorithms, PyTorch's
// sigmoid/tanh/threshold/softmax backward on y), at 4K, 256K and 16M float32 elements, with 1
// and 2 threads, it measures
//   - actlab (kernels::forward/backward; ACTLAB_NUM_THREADS),
//   - oneDNN 2.6 eltwise_forward/eltwise_backward with the same algorithm and alpha/beta, and
//     softmax_forward/backward (OMP_NUM_THREADS, its OpenMP runtime),
//   - PyTorch (bench/peers/torch_peers.py in a /usr/bin/python3 subprocess of the same run,
//     torch.set_num_threads),
//   - memcpy copy bandwidth (OpenMP, same thread count),
// interleaved: each round measures every cell of a size once per implementation, in rotating
// order, and the table shows the median over rounds of G elements/s plus the ratios
// actlab/oneDNN, actlab/PyTorch and actlab's bytes/s as % of copy's (8 bytes per element
// forward, 12 backward; copy moves 8).
//
// Run: build/bin/actlab_peer_bench [--rounds 5] [--no-torch]
// It starts itself once per thread count (ACTLAB_NUM_THREADS and OMP_NUM_THREADS set in the
// child's environment, since actlab's pool size is fixed per process) and prints one table.
// OMP_WAIT_POLICY=passive is set for oneDNN, copy and PyTorch: with the default policy, idle
// OpenMP workers (ours and the torch process's) spin after each region and, on 2 cores, took
// the CPU from whichever implementation ran next (timings stuck at whole scheduler slices,
// copy at 4K elements 100× slow). actlab's pool sleeps between calls the same way.
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "actlab/activation.hpp"
#include "actlab/kernels.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using actlab::Activation;
using actlab::ActivationId;
using actlab::BackwardFrom;

struct Op {
  std::string name;   // row label and torch op name
  ActivationId id;
  dnnl::algorithm fwd_alg;  // eltwise; the softmax rows ignore it
  float alpha = 0, beta = 0;
  std::size_t row = 0;      // softmax row length, 0 for elementwise
};

std::vector<Op> ops() {
  using A = dnnl::algorithm;
  return {
      {"relu", ActivationId::kRelu, A::eltwise_relu_use_dst_for_bwd, 0, 0},
      {"leaky_relu", ActivationId::kLeakyRelu, A::eltwise_relu, 0.01f, 0},
      {"sigmoid", ActivationId::kSigmoid, A::eltwise_logistic_use_dst_for_bwd, 0, 0},
      {"tanh", ActivationId::kTanh, A::eltwise_tanh_use_dst_for_bwd, 0, 0},
      {"elu", ActivationId::kElu, A::eltwise_elu, 1.0f, 0},
      {"gelu", ActivationId::kGelu, A::eltwise_gelu_erf, 0, 0},
      {"gelu_tanh", ActivationId::kGeluTanh, A::eltwise_gelu_tanh, 0, 0},
      {"silu", ActivationId::kSilu, A::eltwise_swish, 1.0f, 0},
      {"softplus", ActivationId::kSoftplus, A::eltwise_soft_relu, 0, 0},  // 2.6: beta = 1
      {"mish", ActivationId::kMish, A::eltwise_mish, 0, 0},
      {"softmax", ActivationId::kSoftmax, A::eltwise_relu, 0, 0, 10},
      {"softmax", ActivationId::kSoftmax, A::eltwise_relu, 0, 0, 1000},
  };
}

std::string label(const Op& op) {
  return op.row ? op.name + "/" + std::to_string(op.row) : op.name;
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
  // Seconds for `iters` calls.
  double time(const std::string& op, bool fwd, std::size_t n, std::size_t row, long iters) {
    std::fprintf(in_, "%s %s %zu %zu %ld\n", op.c_str(), fwd ? "fwd" : "bwd", n, row, iters);
    std::fflush(in_);
    char line[256];
    if (!std::fgets(line, sizeof line, out_)) throw std::runtime_error("torch_peers.py died");
    return std::strtod(line, nullptr);
  }
  const std::string& version() const { return version_; }

 private:
  pid_t pid_;
  FILE* in_;
  FILE* out_;
  std::string version_;
};

// ---------------------------------------------------------------- one cell

constexpr double kBatchSeconds = 0.008;  // each timed batch lasts at least this long

// Times `call` in a batch of `iters` calls after one untimed call; returns seconds per call.
double time_batch(const std::function<void()>& call, long iters) {
  call();
  const auto t0 = Clock::now();
  for (long i = 0; i < iters; ++i) call();
  return std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(iters);
}

long iterations_for(double seconds_per_call) {
  return std::clamp(static_cast<long>(std::ceil(kBatchSeconds / seconds_per_call)), 1L, 100000L);
}

struct Cell {
  const Op* op;
  bool fwd;
  std::size_t n;  // elements actually processed (a whole number of softmax rows)
  std::function<void()> actlab, onednn;
  long actlab_iters = 1, onednn_iters = 1, torch_iters = 1;
  std::vector<double> t_actlab, t_onednn, t_torch;  // seconds per call, one per round
};

struct Arrays {
  std::vector<float> x, y, g, gi;
  explicit Arrays(std::size_t n) : x(n), y(n), g(n, 1.0f), gi(n) {
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

// Measures every cell at one size and prints "R op dir n T impl seconds" lines (medians).
void run_size(std::size_t size, int threads, int rounds, TorchProcess* torch, dnnl::engine& eng,
              dnnl::stream& strm) {
  Arrays a(size);
  std::vector<std::unique_ptr<Cell>> cells;
  // oneDNN objects live as long as the cells.
  std::vector<std::shared_ptr<void>> keep;
  for (const Op& op : ops()) {
    const Activation act(op.id);
    const std::size_t n = op.row ? size / op.row * op.row : size;
    const std::vector<std::size_t> shape =
        op.row ? std::vector<std::size_t>{n / op.row, op.row} : std::vector<std::size_t>{n};
    std::span<const float> x(a.x.data(), n), g(a.g.data(), n);
    std::span<float> y(a.y.data(), n), gi(a.gi.data(), n);
    // actlab's y for the backward: its own forward's output (the same op's).
    const bool from_output = act.info().backward_from == BackwardFrom::kOutput;

    // oneDNN primitives.
    using tag = dnnl::memory::format_tag;
    const dnnl::memory::desc md =
        op.row ? dnnl::memory::desc({static_cast<long>(n / op.row), static_cast<long>(op.row)},
                                    dnnl::memory::data_type::f32, tag::ab)
               : dnnl::memory::desc({static_cast<long>(n)}, dnnl::memory::data_type::f32, tag::a);
    auto src_m = std::make_shared<dnnl::memory>(md, eng, a.x.data());
    auto dnn_y = std::make_shared<std::vector<float>>(n);
    auto dst_m = std::make_shared<dnnl::memory>(md, eng, dnn_y->data());
    auto ddst_m = std::make_shared<dnnl::memory>(md, eng, a.g.data());
    auto dsrc_m = std::make_shared<dnnl::memory>(md, eng, a.gi.data());
    keep.insert(keep.end(), {src_m, dnn_y, dst_m, ddst_m, dsrc_m});
    std::shared_ptr<dnnl::primitive> fwd_p, bwd_p;
    std::unordered_map<int, dnnl::memory> fwd_args, bwd_args;
    if (op.row) {
      dnnl::softmax_forward::primitive_desc fpd(
          {dnnl::prop_kind::forward_training, md, 1}, eng);
      dnnl::softmax_backward::primitive_desc bpd({md, md, 1}, eng, fpd);
      fwd_p = std::make_shared<dnnl::softmax_forward>(fpd);
      bwd_p = std::make_shared<dnnl::softmax_backward>(bpd);
      bwd_args = {{DNNL_ARG_DST, *dst_m}, {DNNL_ARG_DIFF_DST, *ddst_m},
                  {DNNL_ARG_DIFF_SRC, *dsrc_m}};
    } else {
      dnnl::eltwise_forward::primitive_desc fpd(
          {dnnl::prop_kind::forward_training, op.fwd_alg, md, op.alpha, op.beta}, eng);
      dnnl::eltwise_backward::primitive_desc bpd({op.fwd_alg, md, md, op.alpha, op.beta}, eng,
                                                 fpd);
      fwd_p = std::make_shared<dnnl::eltwise_forward>(fpd);
      bwd_p = std::make_shared<dnnl::eltwise_backward>(bpd);
      const bool use_dst = op.fwd_alg == dnnl::algorithm::eltwise_relu_use_dst_for_bwd ||
                           op.fwd_alg == dnnl::algorithm::eltwise_logistic_use_dst_for_bwd ||
                           op.fwd_alg == dnnl::algorithm::eltwise_tanh_use_dst_for_bwd;
      bwd_args = {{use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, use_dst ? *dst_m : *src_m},
                  {DNNL_ARG_DIFF_DST, *ddst_m}, {DNNL_ARG_DIFF_SRC, *dsrc_m}};
    }
    fwd_args = {{DNNL_ARG_SRC, *src_m}, {DNNL_ARG_DST, *dst_m}};
    keep.push_back(fwd_p);
    keep.push_back(bwd_p);
    fwd_p->execute(strm, fwd_args);  // dst for the use_dst backward
    strm.wait();

    for (bool fwd : {true, false}) {
      auto cell = std::make_unique<Cell>();
      cells.push_back(std::move(cell));
      Cell& c = *cells.back();
      c.fwd = fwd;
      c.n = n;
      if (fwd) {
        c.actlab = [act, shape, x, y] { actlab::kernels::forward(act, shape, x, y); };
        c.onednn = [fwd_p, fwd_args, &strm] { fwd_p->execute(strm, fwd_args); strm.wait(); };
      } else {
        // y from actlab's forward, computed once per cell before timing (see below).
        c.actlab = [act, shape, x, y, g, gi, from_output] {
          actlab::kernels::backward(act, shape, from_output ? std::span<const float>(y) : x, g,
                                    gi);
        };
        c.onednn = [bwd_p, bwd_args, &strm] { bwd_p->execute(strm, bwd_args); strm.wait(); };
      }
    }
  }
  const std::vector<Op> op_list = ops();
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i]->op = &op_list[i / 2];

  // Copy: the memory ceiling (8 bytes per element).
  std::vector<double> t_copy;
  auto copy = [&] { copy_parallel(a.x.data(), a.y.data(), size, threads); };
  const long copy_iters = iterations_for(time_batch(copy, 1));

  // Calibrate the batch sizes once.
  for (auto& c : cells) {
    if (!c->fwd) actlab::kernels::forward(actlab::Activation(c->op->id),
                                          c->op->row ? std::vector<std::size_t>{c->n / c->op->row, c->op->row}
                                                     : std::vector<std::size_t>{c->n},
                                          std::span<const float>(a.x.data(), c->n),
                                          std::span<float>(a.y.data(), c->n));
    c->actlab_iters = iterations_for(time_batch(c->actlab, 1));
    c->onednn_iters = iterations_for(time_batch(c->onednn, 1));
    if (torch) {
      c->torch_iters =
          iterations_for(torch->time(c->op->name, c->fwd, c->n, c->op->row, 1));
    }
  }
  // actlab's backward from the output reads a.y; keep it holding each op's own forward:
  // recomputed just before each actlab backward batch (untimed).
  for (int r = 0; r < rounds; ++r) {
    t_copy.push_back(time_batch(copy, copy_iters));
    for (auto& c : cells) {
      const int order = r % 3;
      for (int k = 0; k < 3; ++k) {
        const int which = (k + order) % 3;
        if (which == 0) {
          if (!c->fwd) {
            const Op& op = *c->op;
            actlab::kernels::forward(
                Activation(op.id),
                op.row ? std::vector<std::size_t>{c->n / op.row, op.row}
                       : std::vector<std::size_t>{c->n},
                std::span<const float>(a.x.data(), c->n), std::span<float>(a.y.data(), c->n));
          }
          c->t_actlab.push_back(time_batch(c->actlab, c->actlab_iters));
        } else if (which == 1) {
          c->t_onednn.push_back(time_batch(c->onednn, c->onednn_iters));
        } else if (torch) {
          c->t_torch.push_back(
              torch->time(c->op->name, c->fwd, c->n, c->op->row, c->torch_iters) /
              static_cast<double>(c->torch_iters));
        }
      }
    }
  }
  std::printf("R copy - %zu %d copy %.6g\n", size, threads, median(t_copy));
  for (auto& c : cells) {
    const std::string l = label(*c->op);
    const char* dir = c->fwd ? "fwd" : "bwd";
    std::printf("R %s %s %zu %d actlab %.6g\n", l.c_str(), dir, c->n, threads, median(c->t_actlab));
    std::printf("R %s %s %zu %d onednn %.6g\n", l.c_str(), dir, c->n, threads, median(c->t_onednn));
    if (torch)
      std::printf("R %s %s %zu %d torch %.6g\n", l.c_str(), dir, c->n, threads, median(c->t_torch));
  }
  std::fflush(stdout);
}

int child(int threads, int rounds, bool with_torch) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  std::unique_ptr<TorchProcess> torch;
  if (with_torch) {
    torch = std::make_unique<TorchProcess>(ACTLAB_TORCH_PEERS, threads);
    std::printf("V torch %s\n", torch->version().c_str());
  }
  const dnnl_version_t* v = dnnl_version();
  std::printf("V onednn %d.%d.%d %s (max threads %d)\n", v->major, v->minor, v->patch,
              v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime",
              omp_get_max_threads());
  for (std::size_t size : {std::size_t{4096}, std::size_t{262144}, std::size_t{16777216}}) {
    const auto t0 = Clock::now();
    run_size(size, threads, rounds, torch.get(), eng, strm);
    std::fprintf(stderr, "  %d thread(s), %zu elements: %.0f s\n", threads, size,
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return 0;
}

struct Key {
  std::string op, dir;
  std::size_t size_class;  // 4096, 262144, 16777216
  int threads;
  bool operator<(const Key& o) const {
    return std::tie(size_class, threads, op, dir) < std::tie(o.size_class, o.threads, o.op, o.dir);
  }
};

std::size_t size_class(std::size_t n) {
  for (std::size_t s : {std::size_t{4096}, std::size_t{262144}, std::size_t{16777216}})
    if (n <= s && n > s / 2) return s;
  return n;
}

int parent(const char* self, int rounds, bool with_torch) {
  std::map<Key, std::map<std::string, double>> gelems;  // impl -> G elements/s
  std::map<std::pair<std::size_t, int>, double> copy_gbs;
  std::vector<std::string> versions;
  const auto start = Clock::now();
  for (int threads : {1, 2}) {
    const std::string cmd = "ACTLAB_NUM_THREADS=" + std::to_string(threads) +
                            " OMP_NUM_THREADS=" + std::to_string(threads) +
                            " OMP_WAIT_POLICY=passive '" + self +
                            "' --child " + std::to_string(threads) + " --rounds " +
                            std::to_string(rounds) + (with_torch ? "" : " --no-torch");
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
      char op[64], dir[8], impl[16];
      std::size_t n;
      int t;
      double secs;
      if (line[0] == 'V') {
        if (threads == 1) versions.emplace_back(line + 2);
      } else if (std::sscanf(line, "R %63s %7s %zu %d %15s %lf", op, dir, &n, &t, impl, &secs) ==
                 6) {
        if (std::strcmp(impl, "copy") == 0) {
          copy_gbs[{n, t}] = 8.0 * static_cast<double>(n) / secs / 1e9;
        } else {
          gelems[{op, dir, size_class(n), t}][impl] = static_cast<double>(n) / secs / 1e9;
        }
      }
    }
    if (pclose(p) != 0) throw std::runtime_error("child run failed: " + cmd);
  }
  for (const std::string& v : versions) std::printf("%s", v.c_str());
  std::printf("G elements/s, median of %d interleaved rounds; %% copy = actlab's bytes/s "
              "(8 B/element forward, 12 backward) over memcpy's, same threads\n\n", rounds);
  std::printf("| size | thr | activation | dir | actlab | oneDNN | PyTorch | actlab/oneDNN | "
              "actlab/PyTorch | %% copy |\n|---|---|---|---|---|---|---|---|---|---|\n");
  std::size_t last_size = 0;
  int last_threads = 0;
  // Table order: size, threads, then the ops' order, forward before backward.
  for (std::size_t s : {std::size_t{4096}, std::size_t{262144}, std::size_t{16777216}}) {
    for (int t : {1, 2}) {
      for (const Op& op : ops()) {
        for (const char* dir : {"fwd", "bwd"}) {
          auto it = gelems.find({label(op), dir, s, t});
          if (it == gelems.end()) continue;
          auto& m = it->second;
          const double act = m["actlab"], dn = m["onednn"];
          const double th = m.count("torch") ? m["torch"] : NAN;
          const double bytes = std::strcmp(dir, "fwd") == 0 ? 8.0 : 12.0;
          const double pct = 100.0 * act * bytes / copy_gbs[{s, t}];
          std::string size_s = s == last_size && t == last_threads ? "" :
              (s == 4096 ? "4K" : s == 262144 ? "256K" : "16M");
          std::printf("| %s | %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f |\n",
                      size_s.c_str(), size_s.empty() ? "" : std::to_string(t).c_str(),
                      label(op).c_str(), dir, act, dn, th, act / dn, act / th, pct);
          last_size = s;
          last_threads = t;
        }
      }
    }
  }
  std::printf("\ncopy (memcpy) GB/s:");
  for (auto& [k, v] : copy_gbs) std::printf("  %zu×%d thr %.1f", k.first, k.second, v);
  std::printf("\ntotal %.0f s\n",
              std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5, child_threads = 0;
  bool with_torch = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--child" && i + 1 < argc) {
      child_threads = std::atoi(argv[++i]);
    } else if (a == "--no-torch") {
      with_torch = false;
    } else {
      std::fprintf(stderr, "usage: actlab_peer_bench [--rounds N] [--no-torch]\n");
      return 2;
    }
  }
  try {
    if (child_threads > 0) return child(child_threads, rounds, with_torch);
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) throw std::runtime_error("cannot find this program's path");
    self[len] = '\0';
    return parent(self, rounds, with_torch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actlab_peer_bench: %s\n", e.what());
    return 1;
  }
}
