"""PyTorch side of actlab_peer_bench (bench/peers/peer_bench.cpp), run as a subprocess with
/usr/bin/python3 (the interpreter that sees torch). Reads requests from stdin, one per line:

    OP DIR N ROW ITERS     e.g. "sigmoid fwd 262144 0 20"  (ROW: softmax row length, else 0)

and answers each with the seconds taken by ITERS calls (after one untimed call), so the C++
driver can interleave its measurements with ours, or with -1 when PyTorch lacks OP in DIR.
Calls are the functional ATen ops, with preallocated outputs (`out=` / `grad_input=`) where
PyTorch has them, as autograd would call them (the same backward op and arguments), without
autograd's bookkeeping. Composite ops with no backward kernel of their own (softsign,
tanhshrink, softmin) run autograd's backward over a retained graph, as training would.
argv[1]: torch.set_num_threads. Parameters are actlab's defaults (PyTorch's).
"""
import sys
import time

import torch

aten = torch.ops.aten
nn = torch._C._nn
F = torch.nn.functional

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
RRELU_LOWER, RRELU_UPPER = 1.0 / 8, 1.0 / 3
ONE = torch.tensor(1.0)
SLOPE = torch.tensor([0.25])  # prelu: one shared slope
SLOPE_GRAD = torch.empty(1)

# (x, y): forward into the preallocated y.
FORWARD = {
    "binary_step": lambda x, y: torch.heaviside(x, ONE, out=y),
    "sigmoid": lambda x, y: torch.sigmoid(x, out=y),
    "hard_sigmoid": lambda x, y: nn.hardsigmoid(x, out=y),
    "log_sigmoid": lambda x, y: nn.log_sigmoid(x, out=y),
    "tanh": lambda x, y: torch.tanh(x, out=y),
    "hardtanh": lambda x, y: nn.hardtanh(x, -1.0, 1.0, out=y),
    "relu": lambda x, y: torch.clamp_min(x, 0, out=y),
    "relu6": lambda x, y: nn.hardtanh(x, 0.0, 6.0, out=y),  # F.relu6 is hardtanh(0, 6)
    "leaky_relu": lambda x, y: nn.leaky_relu(x, 0.01, out=y),
    "prelu": lambda x, y: aten.prelu.out(x, SLOPE, out=y),
    "rrelu": lambda x, y: aten.rrelu_with_noise.out(
        x, NOISE[0], RRELU_LOWER, RRELU_UPPER, False, None, out=y),
    "threshold": lambda x, y: aten.threshold.out(x, 0.0, 0.0, out=y),
    "elu": lambda x, y: nn.elu(x, 1.0, 1, 1, out=y),
    "celu": lambda x, y: aten.celu.out(x, 1.0, out=y),
    "selu": lambda x, y: torch.selu(x),  # no out= variant
    "exponential": lambda x, y: torch.exp(x, out=y),
    "gelu": lambda x, y: nn.gelu(x, approximate="none", out=y),
    "gelu_tanh": lambda x, y: nn.gelu(x, approximate="tanh", out=y),
    "silu": lambda x, y: nn.silu(x, out=y),
    "hardswish": lambda x, y: nn.hardswish(x, out=y),
    "mish": lambda x, y: nn.mish(x, out=y),
    "softplus": lambda x, y: nn.softplus(x, 1, 20, out=y),
    "softsign": lambda x, y: F.softsign(x),  # composite: x / (|x| + 1)
    "softshrink": lambda x, y: nn.softshrink(x, 0.5, out=y),
    "hardshrink": lambda x, y: aten.hardshrink.out(x, 0.5, out=y),
    "tanhshrink": lambda x, y: F.tanhshrink(x),  # composite: x - tanh(x)
    "softmax": lambda x, y: aten._softmax.out(x, -1, False, out=y),
    "log_softmax": lambda x, y: aten._log_softmax.out(x, -1, False, out=y),
    "softmin": lambda x, y: F.softmin(x, -1),  # composite: softmax(-x)
}

# (g, x, y, gi): the gradient from what actlab's backward reads (y for sigmoid, tanh, relu,
# exponential and the softmax family; x otherwise), as autograd calls it.
BACKWARD = {
    "sigmoid": lambda g, x, y, gi: aten.sigmoid_backward.grad_input(g, y, grad_input=gi),
    "hard_sigmoid": lambda g, x, y, gi: aten.hardsigmoid_backward.grad_input(
        g, x, grad_input=gi),
    "log_sigmoid": lambda g, x, y, gi: aten.log_sigmoid_backward.grad_input(
        g, x, BUFFER[0], grad_input=gi),
    "tanh": lambda g, x, y, gi: aten.tanh_backward.grad_input(g, y, grad_input=gi),
    "hardtanh": lambda g, x, y, gi: aten.hardtanh_backward.grad_input(
        g, x, -1.0, 1.0, grad_input=gi),
    "relu": lambda g, x, y, gi: aten.threshold_backward.grad_input(g, y, 0, grad_input=gi),
    "relu6": lambda g, x, y, gi: aten.hardtanh_backward.grad_input(
        g, x, 0.0, 6.0, grad_input=gi),
    "leaky_relu": lambda g, x, y, gi: aten.leaky_relu_backward.grad_input(
        g, x, 0.01, False, grad_input=gi),
    # also computes the slope's gradient, as autograd does for a learnable slope
    "prelu": lambda g, x, y, gi: aten.prelu_backward.out(
        g, x, SLOPE, out0=gi, out1=SLOPE_GRAD),
    "rrelu": lambda g, x, y, gi: aten.rrelu_with_noise_backward.out(
        g, x, NOISE[0], RRELU_LOWER, RRELU_UPPER, False, False, out=gi),
    "threshold": lambda g, x, y, gi: aten.threshold_backward.grad_input(g, x, 0, grad_input=gi),
    "elu": lambda g, x, y, gi: aten.elu_backward.grad_input(
        g, 1.0, 1, 1, False, x, grad_input=gi),
    "celu": lambda g, x, y, gi: aten.elu_backward.grad_input(
        g, 1.0, 1, 1.0, False, x, grad_input=gi),
    "selu": lambda g, x, y, gi: aten.elu_backward.grad_input(
        g, SELU_ALPHA, SELU_SCALE, 1, False, x, grad_input=gi),
    "exponential": lambda g, x, y, gi: torch.mul(g, y, out=gi),
    "gelu": lambda g, x, y, gi: aten.gelu_backward.grad_input(
        g, x, approximate="none", grad_input=gi),
    "gelu_tanh": lambda g, x, y, gi: aten.gelu_backward.grad_input(
        g, x, approximate="tanh", grad_input=gi),
    "silu": lambda g, x, y, gi: aten.silu_backward.grad_input(g, x, grad_input=gi),
    "hardswish": lambda g, x, y, gi: aten.hardswish_backward.out(g, x, out=gi),
    "mish": lambda g, x, y, gi: aten.mish_backward(g, x),  # no out= variant in 1.13
    "softplus": lambda g, x, y, gi: aten.softplus_backward.grad_input(
        g, x, 1, 20, grad_input=gi),
    "softshrink": lambda g, x, y, gi: aten.softshrink_backward.grad_input(
        g, x, 0.5, grad_input=gi),
    "hardshrink": lambda g, x, y, gi: aten.hardshrink_backward.grad_input(
        g, x, 0.5, grad_input=gi),
    "softmax": lambda g, x, y, gi: aten._softmax_backward_data.out(
        g, y, -1, torch.float32, grad_input=gi),
    "log_softmax": lambda g, x, y, gi: aten._log_softmax_backward_data.out(
        g, y, -1, torch.float32, out=gi),
}
AUTOGRAD_BACKWARD = {"softsign", "tanhshrink", "softmin"}

NOISE = [None]   # rrelu's noise tensor (unused in eval mode, but an argument)
BUFFER = [None]  # log_sigmoid's forward buffer, which its backward reads

base = {}   # (n, row) -> x, g, gi, out
state = {}  # (op, n, row) -> the op's y, or its retained autograd graph


def tensors(n, row):
    if (n, row) not in base:
        base.clear()  # one size at a time: 16M arrays are 64 MB each
        gen = torch.Generator().manual_seed(42)
        x = torch.rand(n, generator=gen) * 16 - 8
        if row:
            x = x.view(n // row, row)
        base[(n, row)] = (x, torch.ones_like(x), torch.empty_like(x), torch.empty_like(x))
        NOISE[0] = torch.empty_like(x)
    return base[(n, row)]


def op_state(op, n, row, x):
    key = (op, n, row)
    if key not in state:
        state.clear()
        if op in AUTOGRAD_BACKWARD:
            xr = x.detach().requires_grad_()
            state[key] = (xr, FORWARD[op](xr, None))
        else:
            y = torch.empty_like(x)
            FORWARD[op](x, y)
            if op == "log_sigmoid":
                BUFFER[0] = aten.log_sigmoid_forward(x)[1]
            state[key] = y
    return state[key]


def call_for(op, direction, n, row):
    x, g, gi, out = tensors(n, row)
    if direction == "fwd":
        if op not in FORWARD:
            return None
        return lambda: FORWARD[op](x, out)
    if op in AUTOGRAD_BACKWARD:
        xr, yr = op_state(op, n, row, x)
        return lambda: torch.autograd.grad(yr, xr, g, retain_graph=True)
    if op not in BACKWARD:
        return None
    y = op_state(op, n, row, x)
    return lambda: BACKWARD[op](g, x, y, gi)


def main():
    torch.set_num_threads(int(sys.argv[1]))
    print("ready", torch.__version__, torch.get_num_threads(), flush=True)
    for line in sys.stdin:
        op, direction, n, row, iters = line.split()
        call = call_for(op, direction, int(n), int(row))
        if call is None:
            print(-1, flush=True)
            continue
        call()
        start = time.perf_counter()
        for _ in range(int(iters)):
            call()
        print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    main()
