#!/usr/bin/python3
"""PyTorch 1.13 as an oracle for actlab's losses (used by tests/loss_test.cpp).

    /usr/bin/python3 tests/oracle/loss_oracle.py in.json out.json

For every case of in.json

    {"id": 3, "loss": "cross_entropy", "shape": [4, 10], "prediction": [...],
     "target": [...]}

it evaluates torch.nn.functional's loss with reduction='mean' in float64 on the given
(float32-valued) inputs and writes {"id": 3, "value": v, "gradient": [...]} with the
gradient from autograd. It knows nothing of actlab's formulas. Any error goes to stderr with
a non-zero exit code; the C++ test fails with that text (it never skips).
"""

import json
import sys

import torch
import torch.nn.functional as F


def evaluate(case):
    shape = case["shape"]
    x = torch.tensor(case["prediction"], dtype=torch.float64).reshape(shape)
    x.requires_grad_(True)
    kind = case["loss"]
    if kind in ("cross_entropy", "nll"):
        t = torch.tensor(case["target"], dtype=torch.float64).long()
    else:
        t = torch.tensor(case["target"], dtype=torch.float64).reshape(shape)
    fn = {
        "mse": F.mse_loss,
        "bce": F.binary_cross_entropy,
        "bce_with_logits": F.binary_cross_entropy_with_logits,
        "cross_entropy": F.cross_entropy,
        "nll": F.nll_loss,
    }[kind]
    loss = fn(x, t, reduction="mean")
    loss.backward()
    return {"id": case["id"], "value": loss.item(),
            "gradient": x.grad.reshape(-1).tolist()}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = [evaluate(case) for case in cases]
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
