#!/usr/bin/python3
"""torch.optim (PyTorch 1.13) as an oracle for actlab's optimisers (tests/optimizer_test.cpp).

    /usr/bin/python3 tests/oracle/optim_oracle.py in.json out.json

For every case of in.json

    {"id": 0, "optimizer": "sgd" | "adam" | "adamw", "options": {...torch keyword args...},
     "shapes": [[3, 4], [4]], "initial": [[...], [...]],
     "steps": [{"lr": 0.01, "grads": [[...], [...]]}, ...]}

it creates float64 parameters, and for each step sets every param_group's lr, sets the
gradients and calls optimizer.step(). actlab keeps its parameters in float32, so after each
step the parameters are rounded to float32 (p.copy_(p.float())), exactly what actlab stores;
the optimiser state stays float64, as actlab's does. The answer is
{"id": 0, "params": [[[...], [...]] after step 1, ...]}: every parameter after every step.
Any error goes to stderr with a non-zero exit code; the C++ test fails with that text.
"""

import json
import sys

import torch


def run(case):
    params = [torch.tensor(v, dtype=torch.float64).reshape(s)
              for v, s in zip(case["initial"], case["shapes"])]
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam,
           "adamw": torch.optim.AdamW}[case["optimizer"]]
    options = dict(case["options"])
    if "betas" in options:
        options["betas"] = tuple(options["betas"])
    opt = cls(params, **options)
    history = []
    for step in case["steps"]:
        for group in opt.param_groups:
            group["lr"] = step["lr"]
        for p, g, s in zip(params, step["grads"], case["shapes"]):
            p.grad = torch.tensor(g, dtype=torch.float64).reshape(s)
        opt.step()
        with torch.no_grad():
            for p in params:
                p.copy_(p.float())
        history.append([p.reshape(-1).tolist() for p in params])
    return {"id": case["id"], "params": history}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = [run(case) for case in cases]
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
