// What actlab_peer_bench measures and the interface each implementation (actlab, the naive
// loop, oneDNN, XNNPACK) gives it. PyTorch is a subprocess (torch_peers.py) and memcpy is the
// driver's own; both live in peer_bench.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "actlab/activation.hpp"

namespace actlab::peers {

// One row of the table: an activation with PyTorch's default parameters, over a flat array
// (row == 0) or over rows of `row` elements (the softmax family, along the last dim).
struct PeerOp {
  std::string label;  // "sigmoid", "softmax/10"
  Activation act;
  std::size_t row = 0;
};

// Every elementwise activation of the table (activations.def), then softmax, log_softmax and
// softmin over rows of 10 and of 1,000. `only` (names or labels, empty = all) filters them.
std::vector<PeerOp> peer_ops(const std::vector<std::string>& only = {});

// The arrays one size works on, shared by every implementation (n elements each):
// forward reads x and writes out; backward reads x (or y, the op's own forward output, where
// actlab's table says backward_from = kOutput) and g (diff_dst) and writes gi (diff_src).
struct Buffers {
  const float* x;
  const float* y;
  float* out;
  const float* g;
  float* gi;
  std::size_t n;
};

// One implementation's calls for one op at one size; an empty function where it lacks that
// activation or direction (the table prints "–").
struct Calls {
  std::function<void()> fwd, bwd;
};

// The naive loop: a plain `for` over std:: float formulas (the textbook derivative for
// backward), split over `threads` with OpenMP's static schedule like memcpy from 32K elements
// up (PyTorch's grain size; one thread below).
Calls naive_calls(const PeerOp& op, const Buffers& b, int threads);

}  // namespace actlab::peers
