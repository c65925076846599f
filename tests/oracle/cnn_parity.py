#!/usr/bin/python3
"""PyTorch oracle for tests/train_test.cpp: the seed CNN (EXPERIMENTS.md §1) with given weights
on a fixed batch. Prints logits, the cross-entropy loss, every parameter gradient and the
parameters after ONE torch.optim.AdamW step, computed in float64 from the float32 inputs.

usage: cnn_parity.py IN.json OUT.json
IN:  {"conv": "relu", "fc": "tanh", "seed_bug": false, "lr": 1e-3, "weight_decay": 0.01,
      "images": [...8*1*28*28], "labels": [...8],
      "parameters": [{"name": "0.weight", "shape": [...], "values": [...]}, ...]}
OUT: {"logits": [...], "loss": x, "gradients": [[...], ...], "after_step": [[...], ...]}
Parameters are in actlab's order, which is torch's module order (conv weight, bias; PReLU
weight; linear weight, bias).
"""
import json
import re
import sys

import torch
from torch import nn


def activation(text):
    m = re.fullmatch(r"\s*([a-z_]+)\s*(?:\((.*)\))?\s*", text)
    if not m:
        raise SystemExit(f"cnn_parity.py: cannot read activation {text!r}")
    name, args = m.group(1), m.group(2) or ""
    kwargs = {}
    for item in filter(None, (a.strip() for a in args.split(","))):
        key, value = item.split("=")
        kwargs[key.strip()] = float(value)
    if name == "relu":
        return nn.ReLU()
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "prelu":  # the seed: nn.PReLU(), one slope, 0.25
        return nn.PReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(kwargs.get("negative_slope", 0.01))
    if name == "elu":
        return nn.ELU(kwargs.get("alpha", 1.0))
    if name == "silu":
        return nn.SiLU()
    raise SystemExit(f"cnn_parity.py: no torch equivalent wired for {name!r}")


def seed_cnn(conv, fc):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), activation(conv), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), activation(conv), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), activation(conv),
        nn.Flatten(), nn.Linear(1024, 64), activation(fc),
        nn.Linear(64, 10))


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    torch.set_num_threads(2)
    model = seed_cnn(job["conv"], job["fc"]).double()
    params = list(model.parameters())
    given = job["parameters"]
    if len(params) != len(given):
        raise SystemExit(f"cnn_parity.py: torch has {len(params)} parameter tensors, "
                         f"actlab sent {len(given)}")
    with torch.no_grad():
        for p, g in zip(params, given):
            if list(p.shape) != list(g["shape"]):
                raise SystemExit(f"cnn_parity.py: {g['name']} has shape {g['shape']}, torch "
                                 f"expects {list(p.shape)}")
            p.copy_(torch.tensor(g["values"], dtype=torch.float64).reshape(p.shape))
    x = torch.tensor(job["images"], dtype=torch.float64).reshape(-1, 1, 28, 28)
    y = torch.tensor(job["labels"], dtype=torch.int64)
    logits = model(x)
    out = torch.softmax(logits, dim=1) if job["seed_bug"] else logits
    loss = nn.functional.cross_entropy(out, y)
    loss.backward()
    gradients = [p.grad.detach().flatten().tolist() for p in params]
    optimizer = torch.optim.AdamW(params, lr=job["lr"], weight_decay=job["weight_decay"])
    optimizer.step()
    after = [p.detach().flatten().tolist() for p in params]
    with open(sys.argv[2], "w") as f:
        json.dump({"logits": logits.detach().flatten().tolist(), "loss": loss.item(),
                   "gradients": gradients, "after_step": after}, f)


if __name__ == "__main__":
    main()
