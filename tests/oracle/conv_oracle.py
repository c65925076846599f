"""PyTorch oracle for actlab's Conv2d, MaxPool2d and AvgPool2d (tests/layers_test.cpp).

Usage: conv_oracle.py IN.json OUT.json. IN holds a list of cases, each with "kind"
("conv2d", "max_pool2d" or "avg_pool2d"), "input" and "input_shape", "grad_output", and for
conv2d "weight", "weight_shape", "bias" (or null), "stride", "padding"; for pooling "kernel"
and "stride". OUT gets, per case, "output", "grad_input" and for conv2d "grad_weight" and
"grad_bias", all computed in float64 by torch.nn.functional. Any failure exits non-zero.
"""
import json
import sys

import torch
import torch.nn.functional as F


def tensor(values, shape, grad=True):
    return torch.tensor(values, dtype=torch.float64).reshape(shape).requires_grad_(grad)


def run(case):
    x = tensor(case["input"], case["input_shape"])
    kind = case["kind"]
    params = []
    if kind == "conv2d":
        w = tensor(case["weight"], case["weight_shape"])
        b = None if case["bias"] is None else tensor(case["bias"], [case["weight_shape"][0]])
        params = [w] + ([b] if b is not None else [])
        y = F.conv2d(x, w, b, stride=case["stride"], padding=case["padding"])
    elif kind == "max_pool2d":
        y = F.max_pool2d(x, case["kernel"], stride=case["stride"])
    elif kind == "avg_pool2d":
        y = F.avg_pool2d(x, case["kernel"], stride=case["stride"])
    else:
        raise ValueError(f"unknown case kind {kind!r}")
    dy = torch.tensor(case["grad_output"], dtype=torch.float64).reshape(y.shape)
    y.backward(dy)
    result = {"output": y.detach().flatten().tolist(), "output_shape": list(y.shape),
              "grad_input": x.grad.flatten().tolist()}
    if kind == "conv2d":
        result["grad_weight"] = params[0].grad.flatten().tolist()
        result["grad_bias"] = None if len(params) < 2 else params[1].grad.flatten().tolist()
    return result


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    with open(sys.argv[2], "w") as f:
        json.dump([run(case) for case in cases], f)


if __name__ == "__main__":
    main()
