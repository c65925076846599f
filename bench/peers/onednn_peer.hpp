// The oneDNN column of actlab_peer_bench: eltwise_forward/backward with the same algorithm and
// parameters as actlab's default, and the softmax/logsoftmax primitives over rows.
#pragma once

#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "peers.hpp"

namespace actlab::peers {

class OnednnPeer {
 public:
  OnednnPeer();
  // "oneDNN 2.6.3 (OpenMP runtime)"
  std::string version() const;
  // Primitives created once here; the calls execute them and wait. The backward reads y
  // (its *_use_dst_for_bwd algorithms) where actlab's does, x otherwise.
  Calls calls(const PeerOp& op, const Buffers& b);

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
};

}  // namespace actlab::peers
