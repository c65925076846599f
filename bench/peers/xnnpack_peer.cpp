#include "xnnpack_peer.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>

#if ACTLAB_HAVE_XNNPACK
#include <pthreadpool.h>
#include <xnnpack.h>
#endif

namespace actlab::peers {

#if ACTLAB_HAVE_XNNPACK

namespace {

using A = ActivationId;

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};

void check(xnn_status status, const char* what) {
  if (status != xnn_status_success) {
    throw std::runtime_error(std::string("XNNPACK: ") + what + " failed (status " +
                             std::to_string(static_cast<int>(status)) + ")");
  }
}

}  // namespace

struct XnnpackPeer::State {
  pthreadpool_t pool = nullptr;  // nullptr: run on the calling thread (1 thread)
  bool ok = false;
};

XnnpackPeer::XnnpackPeer(int threads) : state_(std::make_unique<State>()) {
  state_->ok = xnn_initialize(nullptr) == xnn_status_success;
  if (threads > 1) state_->pool = pthreadpool_create(static_cast<std::size_t>(threads));
}

XnnpackPeer::~XnnpackPeer() {
  if (state_->pool) pthreadpool_destroy(state_->pool);
  if (state_->ok) xnn_deinitialize();
}

bool XnnpackPeer::available() const { return state_->ok; }

std::string XnnpackPeer::version() const {
  return std::string("XNNPACK ") + ACTLAB_XNNPACK_VERSION + " (pthreadpool)";
}

Calls XnnpackPeer::calls(const PeerOp& op, const Buffers& b) {
  if (!state_->ok) return {};
  auto p = [&op](const char* name) { return static_cast<float>(op.act.get(name)); };
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // Workers sleep after each run (as TFLite asks for its last node) instead of spinning: the
  // same as OMP_WAIT_POLICY=passive for the OpenMP peers. Spinning workers on the 2 shared
  // cores made 2-thread runs at 256K 20-40x slower than 1 thread.
  constexpr std::uint32_t kFlags = XNN_FLAG_YIELD_WORKERS;
  // Elementwise operators see n rows of one channel (contiguous: XNNPACK runs them as one
  // flat range in 4 KB tiles); softmax sees n/row rows of `row` channels.
  const std::size_t channels = op.row ? op.row : 1;
  const std::size_t batch = b.n / channels;
  xnn_operator_t raw = nullptr;
  using Setup = xnn_status (*)(xnn_operator_t, std::size_t, const float*, float*, pthreadpool_t);
  Setup setup = nullptr;
  switch (op.act.id()) {
    case A::kSigmoid:
      check(xnn_create_sigmoid_nc_f32(1, 1, 1, kFlags, &raw), "create sigmoid");
      setup = xnn_setup_sigmoid_nc_f32;
      break;
    case A::kElu:
    case A::kCelu:  // celu(1) is elu(1)
      if (op.act.id() == A::kCelu && p("alpha") != 1) return {};
      check(xnn_create_elu_nc_f32(1, 1, 1, p("alpha"), kFlags, &raw), "create elu");
      setup = xnn_setup_elu_nc_f32;
      break;
    case A::kLeakyRelu:
    case A::kPrelu:   // one shared slope
    case A::kRrelu: {  // eval mode: slope (lower + upper)/2
      const float slope = op.act.id() == A::kLeakyRelu ? p("negative_slope")
                          : op.act.id() == A::kPrelu   ? p("slope")
                                                       : (p("lower") + p("upper")) / 2;
      check(xnn_create_leaky_relu_nc_f32(1, 1, 1, slope, kFlags, &raw), "create leaky_relu");
      setup = xnn_setup_leaky_relu_nc_f32;
      break;
    }
    case A::kHardswish:
      check(xnn_create_hardswish_nc_f32(1, 1, 1, kFlags, &raw), "create hardswish");
      setup = xnn_setup_hardswish_nc_f32;
      break;
    case A::kRelu:
    case A::kRelu6:
    case A::kHardTanh:
    case A::kThreshold: {  // clamp; threshold(0, 0) is relu
      float lo = 0, hi = kInf;
      if (op.act.id() == A::kRelu6) hi = 6;
      if (op.act.id() == A::kHardTanh) lo = p("min_val"), hi = p("max_val");
      if (op.act.id() == A::kThreshold && (p("threshold") != 0 || p("value") != 0)) return {};
      check(xnn_create_clamp_nc_f32(1, 1, 1, lo, hi, kFlags, &raw), "create clamp");
      setup = xnn_setup_clamp_nc_f32;
      break;
    }
    case A::kSoftmax:
      if (!op.row) return {};
      check(xnn_create_softmax_nc_f32(channels, channels, channels, kFlags, &raw), "create softmax");
      setup = xnn_setup_softmax_nc_f32;
      break;
    default:
      return {};
  }
  std::shared_ptr<xnn_operator> shared(raw, OperatorDeleter{});
  check(setup(raw, batch, b.x, b.out, state_->pool), "setup");
  pthreadpool_t pool = state_->pool;
  return {[shared, pool] { check(xnn_run_operator(shared.get(), pool), "run"); }, {}};
}

#else  // no XNNPACK: an empty column

struct XnnpackPeer::State {};
XnnpackPeer::XnnpackPeer(int) {}
XnnpackPeer::~XnnpackPeer() = default;
bool XnnpackPeer::available() const { return false; }
std::string XnnpackPeer::version() const { return "XNNPACK not built in"; }
Calls XnnpackPeer::calls(const PeerOp&, const Buffers&) { return {}; }

#endif

}  // namespace actlab::peers
