// The XNNPACK column of actlab_peer_bench: Debian 12's libxnnpack-dev (0.0~git20220216), an
// inference library, so forward only, through its operator API (xnn_create_*_nc_f32,
// xnn_setup_*, xnn_run_operator) on a pthreadpool of the run's thread count. It has sigmoid,
// elu, leaky_relu, hardswish, clamp (relu, relu6, hardtanh) and softmax over rows; no tanh,
// gelu, silu or the rest in that version. Without XNNPACK (ACTLAB_HAVE_XNNPACK undefined) the
// column is empty.
#pragma once

#include <memory>
#include <string>

#include "peers.hpp"

namespace actlab::peers {

class XnnpackPeer {
 public:
  explicit XnnpackPeer(int threads);
  ~XnnpackPeer();
  XnnpackPeer(const XnnpackPeer&) = delete;
  XnnpackPeer& operator=(const XnnpackPeer&) = delete;

  bool available() const;
  std::string version() const;
  // Forward only (bwd is always empty); the operator is created and set up here.
  Calls calls(const PeerOp& op, const Buffers& b);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace actlab::peers
