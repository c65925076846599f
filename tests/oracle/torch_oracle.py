#!/usr/bin/python3
"""PyTorch as an oracle for actlab's activations (used by tests/torch_oracle_test.cpp).

    /usr/bin/python3 tests/oracle/torch_oracle.py in.json out.json

A dumb evaluator on purpose: it knows how to call PyTorch for each actlab activation name
and nothing about actlab's formulas. For every case of in.json

    {"id": 7, "name": "softplus", "params": {"beta": 1.0, "threshold": 20.0},
     "shape": [3, 4], "x": [...], "grad_output": [...]}

it builds the torch expression of TORCH below, runs forward and the input gradient
(autograd, y.backward(grad_output)) once in float64 and once in float32, and writes

    {"id": 7, "status": "ok", "forward64": [...], "grad64": [...] or null,
     "forward32": [...], "grad32": [...] or null, "grad_missing": "" or why}

A case may also carry "saved_output": a float32 forward output from which actlab's
kernels compute the gradient (backward from the output, like torch's own sigmoid and tanh).
Such an output only tells the point x̂ = f⁻¹(y) it stands for, so the answer then adds the
float64 gradient at x̂ ("grad64_at_saved"), and at the point torch's own float32 output
stands for ("grad64_at_own32"), with x̂ from the torch inverse in INVERSE.

Numbers that JSON cannot hold travel as the strings "nan", "inf" and "-inf", both ways.
Activations PyTorch does not have are listed in NOT_IN_TORCH and answered with
status "not_in_torch"; an unknown name is an error. Any error goes to stderr with a
non-zero exit code, and the C++ test fails with that text: it never skips.
"""

import json
import math
import sys
import traceback

try:
    import torch
    import torch.nn.functional as F
except Exception:  # the C++ test prints this and fails
    sys.stderr.write("torch_oracle.py: cannot import torch with %s\n" % sys.executable)
    traceback.print_exc()
    sys.exit(2)


def _int(value):
    if value != int(value):
        raise ValueError("integer parameter expected, got %r" % value)
    return int(value)


def _maxout(x, p):
    # PyTorch has no maxout; this is its definition written with two torch primitives: a
    # row-major reshape that groups k consecutive elements, and torch.max over each group,
    # whose backward sends the gradient to the index max returns, documented as "the first
    # maximal value" (a NaN counts as maximal). So torch's own autograd supplies the
    # gradient, ties included. (amax would share a tied gradient, and give NaN to every
    # element of a group holding a NaN.)
    k = _int(p["pieces"])
    d = _int(p["dim"]) % x.dim()
    n = x.shape[d]
    if n % k != 0:
        raise ValueError("maxout: size %d along dim %d is not a multiple of %d" % (n, d, k))
    return x.unflatten(d, (n // k, k)).max(d + 1).values


def _silu(x, p):
    beta = p["beta"]
    return F.silu(x) if beta == 1 else x * torch.sigmoid(beta * x)


# name -> (torch expression as text, function(x, params) -> y, gradient available).
TORCH = {
    "binary_step": ("torch.heaviside(x - threshold, 1)",
                    lambda x, p: torch.heaviside(x - p["threshold"], torch.ones((), dtype=x.dtype)),
                    False),
    "identity": ("nn.Identity()(x)", lambda x, p: torch.nn.Identity()(x), True),
    "sigmoid": ("torch.sigmoid(x)", lambda x, p: torch.sigmoid(x), True),
    "hard_sigmoid": ("F.hardsigmoid(x)", lambda x, p: F.hardsigmoid(x), True),
    "log_sigmoid": ("F.logsigmoid(x)", lambda x, p: F.logsigmoid(x), True),
    "tanh": ("torch.tanh(x)", lambda x, p: torch.tanh(x), True),
    "hardtanh": ("F.hardtanh(x, min_val, max_val)",
                 lambda x, p: F.hardtanh(x, p["min_val"], p["max_val"]), True),
    "relu": ("torch.relu(x)", lambda x, p: torch.relu(x), True),
    "relu6": ("F.relu6(x)", lambda x, p: F.relu6(x), True),
    "leaky_relu": ("F.leaky_relu(x, negative_slope)",
                   lambda x, p: F.leaky_relu(x, p["negative_slope"]), True),
    "prelu": ("F.prelu(x, tensor([slope]))",
              lambda x, p: F.prelu(x, torch.tensor([p["slope"]], dtype=x.dtype)), True),
    "rrelu": ("F.rrelu(x, lower, upper, training=False)",
              lambda x, p: F.rrelu(x, p["lower"], p["upper"], training=False), True),
    "threshold": ("F.threshold(x, threshold, value)",
                  lambda x, p: F.threshold(x, p["threshold"], p["value"]), True),
    "elu": ("F.elu(x, alpha)", lambda x, p: F.elu(x, p["alpha"]), True),
    "celu": ("F.celu(x, alpha)", lambda x, p: F.celu(x, p["alpha"]), True),
    "selu": ("F.selu(x)", lambda x, p: F.selu(x), True),
    "exponential": ("torch.exp(x)", lambda x, p: torch.exp(x), True),
    "gelu": ("F.gelu(x, approximate='none')", lambda x, p: F.gelu(x, approximate="none"), True),
    "gelu_tanh": ("F.gelu(x, approximate='tanh')",
                  lambda x, p: F.gelu(x, approximate="tanh"), True),
    "silu": ("F.silu(x) if beta == 1 else x * torch.sigmoid(beta * x)", _silu, True),
    "hardswish": ("F.hardswish(x)", lambda x, p: F.hardswish(x), True),
    "mish": ("F.mish(x)", lambda x, p: F.mish(x), True),
    "softplus": ("F.softplus(x, beta, threshold)",
                 lambda x, p: F.softplus(x, p["beta"], p["threshold"]), True),
    "softsign": ("F.softsign(x)", lambda x, p: F.softsign(x), True),
    "softshrink": ("F.softshrink(x, lambd)", lambda x, p: F.softshrink(x, p["lambd"]), True),
    "hardshrink": ("F.hardshrink(x, lambd)", lambda x, p: F.hardshrink(x, p["lambd"]), True),
    "tanhshrink": ("F.tanhshrink(x)", lambda x, p: F.tanhshrink(x), True),
    "softmax": ("F.softmax(x / temperature, dim)",
                lambda x, p: F.softmax(x / p["temperature"], _int(p["dim"])), True),
    "log_softmax": ("F.log_softmax(x / temperature, dim)",
                    lambda x, p: F.log_softmax(x / p["temperature"], _int(p["dim"])), True),
    "softmin": ("F.softmin(x / temperature, dim)",
                lambda x, p: F.softmin(x / p["temperature"], _int(p["dim"])), True),
    "glu": ("F.glu(x, dim)", lambda x, p: F.glu(x, _int(p["dim"])), True),
    "maxout": ("x.unflatten(dim, (n // pieces, pieces)).max(dim + 1).values", _maxout, True),
}

# What PyTorch 1.13 lacks, and why it is not written here with torch arithmetic: that
# would copy actlab's formula into its own oracle, so a wrong formula would pass.
NOT_IN_TORCH = {
    "squareplus": "no torch.nn op (Keras-only, Barron 2021)",
    "sparse_plus": "no torch.nn op (Keras-only)",
}

# f⁻¹ for the activations whose gradient actlab computes from the output.
INVERSE = {
    "sigmoid": torch.logit,
    "tanh": torch.atanh,
    "exponential": torch.log,
    "relu": lambda y: y,  # relu'(y) = relu'(x): both 0 for x ≤ 0, 1 above
}

GRAD_MISSING = {
    "binary_step": "torch.heaviside has no derivative (aten::heaviside backward is not implemented)",
}


def decode(values):
    return [float(v) if isinstance(v, str) else v for v in values]


def encode(values):
    out = []
    for v in values:
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def evaluate(fn, with_grad, params, shape, x, grad_output, dtype):
    if not isinstance(x, torch.Tensor):
        x = torch.tensor(decode(x), dtype=dtype)
    xt = x.to(dtype).reshape(shape).requires_grad_(with_grad)
    y = fn(xt, params)
    forward = encode(y.detach().reshape(-1).tolist())
    if not with_grad:
        return forward, None
    g = torch.tensor(decode(grad_output), dtype=dtype)
    if g.numel() != y.numel():
        raise ValueError("grad_output has %d values, the output %d" % (g.numel(), y.numel()))
    y.backward(g.reshape(y.shape))
    grad = xt.grad if xt.grad is not None else torch.zeros_like(xt)
    return forward, encode(grad.reshape(-1).tolist())


def run_case(case):
    name = case["name"]
    if name in NOT_IN_TORCH:
        return {"id": case["id"], "status": "not_in_torch", "why": NOT_IN_TORCH[name]}
    if name not in TORCH:
        raise KeyError("torch_oracle.py does not know the activation %r: add it to TORCH "
                       "or NOT_IN_TORCH" % name)
    _, fn, with_grad = TORCH[name]
    result = {"id": case["id"], "status": "ok", "grad_missing": GRAD_MISSING.get(name, "")}
    for dtype, suffix in ((torch.float64, "64"), (torch.float32, "32")):
        forward, grad = evaluate(fn, with_grad, case["params"], case["shape"], case["x"],
                                 case["grad_output"], dtype)
        result["forward" + suffix] = forward
        result["grad" + suffix] = grad
    if "saved_output" in case:
        if name not in INVERSE:
            raise KeyError("a saved output for %r, whose inverse INVERSE lacks" % name)
        inverse = INVERSE[name]
        for saved, key in ((case["saved_output"], "grad64_at_saved"),
                           (result["forward32"], "grad64_at_own32")):
            at = inverse(torch.tensor(decode(saved), dtype=torch.float64))
            _, result[key] = evaluate(fn, True, case["params"], case["shape"], at,
                                      case["grad_output"], torch.float64)
    return result


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: torch_oracle.py in.json out.json\n")
        return 2
    torch.set_num_threads(1)  # deterministic reductions, and the test runs alongside others
    with open(argv[1]) as f:
        cases = json.load(f)["cases"]
    results = []
    for case in cases:
        try:
            results.append(run_case(case))
        except Exception as e:
            raise RuntimeError("case %s (%s, params %s, shape %s): %s" % (
                case.get("id"), case.get("name"), case.get("params"), case.get("shape"), e)) from e
    out = {
        "torch_version": torch.__version__,
        "expressions": {name: entry[0] for name, entry in TORCH.items()},
        "not_in_torch": NOT_IN_TORCH,
        "grad_missing": GRAD_MISSING,
        "results": results,
    }
    with open(argv[2], "w") as f:
        json.dump(out, f, allow_nan=False)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception:
        traceback.print_exc()
        sys.exit(1)
