#include "onednn_peer.hpp"

#include <memory>
#include <optional>
#include <unordered_map>

namespace actlab::peers {
namespace {

using A = ActivationId;
using Alg = dnnl::algorithm;

struct Eltwise {
  Alg alg;
  float alpha = 0, beta = 0;
};

// oneDNN 2.6's eltwise algorithm computing actlab's activation with its default parameters.
// Some rows are the same function under another name: prelu with one slope and rrelu in eval
// mode are relu with alpha = the slope, threshold(0, 0) is relu, celu(1) is elu(1).
std::optional<Eltwise> eltwise_for(const Activation& act) {
  auto p = [&act](const char* name) { return static_cast<float>(act.get(name)); };
  switch (act.id()) {
    case A::kIdentity: return Eltwise{Alg::eltwise_linear, 1, 0};
    case A::kSigmoid: return Eltwise{Alg::eltwise_logistic_use_dst_for_bwd};
    case A::kLogSigmoid: return Eltwise{Alg::eltwise_logsigmoid};
    case A::kTanh: return Eltwise{Alg::eltwise_tanh_use_dst_for_bwd};
    case A::kHardTanh: return Eltwise{Alg::eltwise_clip_v2, p("min_val"), p("max_val")};
    case A::kRelu: return Eltwise{Alg::eltwise_relu_use_dst_for_bwd};
    case A::kRelu6: return Eltwise{Alg::eltwise_clip_v2, 0, 6};
    case A::kLeakyRelu: return Eltwise{Alg::eltwise_relu, p("negative_slope")};
    case A::kPrelu: return Eltwise{Alg::eltwise_relu, p("slope")};
    case A::kRrelu: return Eltwise{Alg::eltwise_relu, (p("lower") + p("upper")) / 2};
    case A::kThreshold:
      if (p("threshold") != 0 || p("value") != 0) return std::nullopt;
      return Eltwise{Alg::eltwise_relu};
    case A::kElu: return Eltwise{Alg::eltwise_elu, p("alpha")};
    case A::kCelu:
      if (p("alpha") != 1) return std::nullopt;
      return Eltwise{Alg::eltwise_elu, 1};
    case A::kExponential: return Eltwise{Alg::eltwise_exp_use_dst_for_bwd};
    case A::kGelu: return Eltwise{Alg::eltwise_gelu_erf};
    case A::kGeluTanh: return Eltwise{Alg::eltwise_gelu_tanh};
    case A::kSilu: return Eltwise{Alg::eltwise_swish, p("beta")};
    case A::kHardswish: return Eltwise{Alg::eltwise_hardswish};
    case A::kMish: return Eltwise{Alg::eltwise_mish};
    case A::kSoftplus:  // 2.6's soft_relu is log(1 + e^x): beta 1 only
      if (p("beta") != 1) return std::nullopt;
      return Eltwise{Alg::eltwise_soft_relu};
    default: return std::nullopt;
  }
}

bool uses_dst(Alg alg) {
  return alg == Alg::eltwise_relu_use_dst_for_bwd || alg == Alg::eltwise_logistic_use_dst_for_bwd ||
         alg == Alg::eltwise_tanh_use_dst_for_bwd || alg == Alg::eltwise_exp_use_dst_for_bwd;
}

using Args = std::unordered_map<int, dnnl::memory>;

Calls bind_calls(std::shared_ptr<dnnl::primitive> fwd, Args fwd_args, std::shared_ptr<dnnl::primitive> bwd,
           Args bwd_args, dnnl::stream stream) {
  return {[=]() mutable {
            fwd->execute(stream, fwd_args);
            stream.wait();
          },
          [=]() mutable {
            bwd->execute(stream, bwd_args);
            stream.wait();
          }};
}

}  // namespace

OnednnPeer::OnednnPeer() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

std::string OnednnPeer::version() const {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->patch) +
         (v->cpu_runtime == DNNL_RUNTIME_OMP ? " (OpenMP runtime)" : " (not OpenMP)");
}

Calls OnednnPeer::calls(const PeerOp& op, const Buffers& b) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const auto n = static_cast<long>(b.n);
  const dnnl::memory::desc md =
      op.row ? dnnl::memory::desc({n / static_cast<long>(op.row), static_cast<long>(op.row)},
                                  dt::f32, tag::ab)
             : dnnl::memory::desc({n}, dt::f32, tag::a);
  auto mem = [&](const float* p) { return dnnl::memory(md, engine_, const_cast<float*>(p)); };
  const dnnl::memory x = mem(b.x), y = mem(b.y), out = mem(b.out), g = mem(b.g), gi = mem(b.gi);
  const Args fwd_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, out}};
  const Args rows_bwd_args = {{DNNL_ARG_DST, y}, {DNNL_ARG_DIFF_DST, g}, {DNNL_ARG_DIFF_SRC, gi}};
  const auto prop = dnnl::prop_kind::forward_training;
  if (op.row) {
    if (op.act.id() == A::kSoftmax) {
      dnnl::softmax_forward::primitive_desc fpd({prop, md, 1}, engine_);
      dnnl::softmax_backward::primitive_desc bpd({md, md, 1}, engine_, fpd);
      return bind_calls(std::make_shared<dnnl::softmax_forward>(fpd), fwd_args,
                  std::make_shared<dnnl::softmax_backward>(bpd), rows_bwd_args, stream_);
    }
    if (op.act.id() == A::kLogSoftmax) {
      dnnl::logsoftmax_forward::primitive_desc fpd({prop, md, 1}, engine_);
      dnnl::logsoftmax_backward::primitive_desc bpd({md, md, 1}, engine_, fpd);
      return bind_calls(std::make_shared<dnnl::logsoftmax_forward>(fpd), fwd_args,
                  std::make_shared<dnnl::logsoftmax_backward>(bpd), rows_bwd_args, stream_);
    }
    return {};
  }
  const std::optional<Eltwise> e = eltwise_for(op.act);
  if (!e) return {};
  dnnl::eltwise_forward::primitive_desc fpd({prop, e->alg, md, e->alpha, e->beta}, engine_);
  dnnl::eltwise_backward::primitive_desc bpd({e->alg, md, md, e->alpha, e->beta}, engine_, fpd);
  const bool dst = uses_dst(e->alg);
  const Args bwd_args = {{dst ? DNNL_ARG_DST : DNNL_ARG_SRC, dst ? y : x},
                         {DNNL_ARG_DIFF_DST, g},
                         {DNNL_ARG_DIFF_SRC, gi}};
  return bind_calls(std::make_shared<dnnl::eltwise_forward>(fpd), fwd_args,
              std::make_shared<dnnl::eltwise_backward>(bpd), bwd_args, stream_);
}

}  // namespace actlab::peers
