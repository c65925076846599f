#!/usr/bin/python3
"""PyTorch side of build/bin/actlab_cnn_bench (bench/cnn_bench.cpp): the seed CNN
(EXPERIMENTS.md §1) in float32 with torch.set_num_threads(2), driven over stdin/stdout.

usage: /usr/bin/python3 bench/torch_cnn_bench.py CONV_ACT FC_ACT
Prints "ready <ru_maxrss KiB after import>" and "params <count>", then answers each command
  train|infer BATCH SECONDS  ->  result <images/s> <iterations> <ru_maxrss KiB so far>
  quit                       ->  maxrss <ru_maxrss KiB>
Training is forward + cross-entropy on the logits + backward + AdamW(lr 0.002, weight decay
0.01) step; inference is forward only, in eval mode under torch.inference_mode(). Inputs are
512 random images of shape (1, 28, 28), uniform in [-1, 1], with random labels 0..9.
"""
import resource
import sys
import time

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "silu": nn.SiLU,
    "elu": nn.ELU, "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,  # the seed: one slope, 0.25
}


def maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def act(name):
    if name not in ACTIVATIONS:
        raise SystemExit(f"torch_cnn_bench.py: no torch module wired for {name!r}")
    return ACTIVATIONS[name]()


def seed_cnn(conv, fc):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), act(conv), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), act(conv), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), act(conv),
        nn.Flatten(), nn.Linear(1024, 64), act(fc),
        nn.Linear(64, 10))


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print("ready", maxrss(), flush=True)
    torch.set_num_threads(2)
    torch.manual_seed(1234)
    model = seed_cnn(sys.argv[1], sys.argv[2])
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.002, weight_decay=0.01)
    loss_fn = nn.CrossEntropyLoss()
    print("params", sum(p.numel() for p in model.parameters()), flush=True)
    images = torch.rand(512, 1, 28, 28) * 2 - 1
    labels = torch.randint(0, 10, (512,))

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        command, batch, seconds = words[0], int(words[1]), float(words[2])
        xs = list(images.split(batch))
        ys = list(labels.split(batch))
        if command == "train":
            model.train()

            def one(i):
                optimizer.zero_grad()
                loss = loss_fn(model(xs[i]), ys[i])
                loss.backward()
                optimizer.step()
        elif command == "infer":
            model.eval()

            def one(i):
                with torch.inference_mode():
                    model(xs[i])
        else:
            print("error bad command:", line.strip(), flush=True)
            continue
        for i in range(3):  # warm-up
            one(i % len(xs))
        iterations = 0
        start = time.perf_counter()
        while True:
            one(iterations % len(xs))
            iterations += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds and iterations >= 3:
                break
        print("result", iterations * batch / elapsed, iterations, maxrss(), flush=True)
    print("maxrss", maxrss(), flush=True)


if __name__ == "__main__":
    main()
