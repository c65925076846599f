"""PyTorch side of actlab_peer_bench (bench/peers/peer_bench.cpp), run as a subprocess with
/usr/bin/python3 (the interpreter that sees torch). Reads requests from stdin, one per line:

    OP DIR N ROW ITERS     e.g. "sigmoid fwd 262144 0 20"  (ROW: softmax row length, else 0)

and answers each with the seconds taken by ITERS calls (after one untimed call), so the C++
driver can interleave its measurements with ours. Calls are the functional ATen ops with
preallocated outputs (`out=` / `grad_input=`) where PyTorch has them, as autograd would call
them, without autograd's bookkeeping. argv[1]: torch.set_num_threads.
"""
import sys
import time

import torch

aten = torch.ops.aten
nn = torch._C._nn

FORWARD = {
    "relu": lambda x, y: torch.clamp_min(x, 0, out=y),
    "leaky_relu": lambda x, y: nn.leaky_relu(x, 0.01, out=y),
    "sigmoid": lambda x, y: torch.sigmoid(x, out=y),
    "tanh": lambda x, y: torch.tanh(x, out=y),
    "elu": lambda x, y: nn.elu(x, 1.0, 1, 1, out=y),
    "gelu": lambda x, y: nn.gelu(x, approximate="none", out=y),
    "gelu_tanh": lambda x, y: nn.gelu(x, approximate="tanh", out=y),
    "silu": lambda x, y: nn.silu(x, out=y),
    "softplus": lambda x, y: nn.softplus(x, 1, 20, out=y),
    "mish": lambda x, y: nn.mish(x, out=y),
    "softmax": lambda x, y: aten._softmax.out(x, -1, False, out=y),
}
# (g, x, y, gi): the gradient from what actlab's backward reads (y for sigmoid, tanh, relu,
# softmax; x otherwise), as autograd does.
BACKWARD = {
    "relu": lambda g, x, y, gi: aten.threshold_backward.grad_input(g, y, 0, grad_input=gi),
    "leaky_relu": lambda g, x, y, gi: aten.leaky_relu_backward.grad_input(
        g, x, 0.01, False, grad_input=gi),
    "sigmoid": lambda g, x, y, gi: aten.sigmoid_backward.grad_input(g, y, grad_input=gi),
    "tanh": lambda g, x, y, gi: aten.tanh_backward.grad_input(g, y, grad_input=gi),
    "elu": lambda g, x, y, gi: aten.elu_backward.grad_input(
        g, 1.0, 1, 1, False, x, grad_input=gi),
    "gelu": lambda g, x, y, gi: aten.gelu_backward.grad_input(
        g, x, approximate="none", grad_input=gi),
    "gelu_tanh": lambda g, x, y, gi: aten.gelu_backward.grad_input(
        g, x, approximate="tanh", grad_input=gi),
    "silu": lambda g, x, y, gi: aten.silu_backward.grad_input(g, x, grad_input=gi),
    "softplus": lambda g, x, y, gi: aten.softplus_backward.grad_input(
        g, x, 1, 20, grad_input=gi),
    "mish": lambda g, x, y, gi: aten.mish_backward(g, x),  # no out= variant in 1.13
    "softmax": lambda g, x, y, gi: aten._softmax_backward_data.out(
        g, y, -1, torch.float32, grad_input=gi),
}

cache = {}


def tensors(op, n, row):
    key = (op, n, row)
    if key not in cache:
        cache.clear()  # one size at a time: 16M arrays are 64 MB each
        gen = torch.Generator().manual_seed(42)
        x = torch.rand(n, generator=gen) * 16 - 8
        if row:
            x = x.view(n // row, row)
        y = torch.empty_like(x)
        FORWARD[op](x, y)
        g = torch.ones_like(x)
        gi = torch.empty_like(x)
        cache[key] = (x, y, g, gi, torch.empty_like(x))
    return cache[key]


def main():
    torch.set_num_threads(int(sys.argv[1]))
    print("ready", torch.__version__, torch.get_num_threads(), flush=True)
    for line in sys.stdin:
        op, direction, n, row, iters = line.split()
        n, row, iters = int(n), int(row), int(iters)
        x, y, g, gi, out = tensors(op, n, row)
        if direction == "fwd":
            f, call = FORWARD[op], (lambda: FORWARD[op](x, out))
        else:
            f, call = BACKWARD[op], (lambda: BACKWARD[op](g, x, y, gi))
        del f
        call()
        start = time.perf_counter()
        for _ in range(iters):
            call()
        print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    main()
