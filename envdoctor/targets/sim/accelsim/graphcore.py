"""The Graphcore stand-in for tutorials/simple_applications/pytorch/mnist/mnist_poptorch.py.

A softmax-regression classifier over 4x4 "digits" (ten noisy class prototypes), trained
by mini-batch SGD: more epochs or another learning rate really change loss and accuracy.
Like PopTorch on an IPU system, it refuses to run without an IPU allocation (a Slurm job).

It prints what the real tutorial prints (graphcore/examples v3.3.0 mnist_poptorch.py and the
ALCF guide's sample output): tqdm bars only (`Epochs`, a per-batch bar described
`Loss: x | Accuracy: y% `, the two `Graph compilation` bars of training and inference) and
the final `Accuracy on test set: x%`; never per-step throughput lines.
"""
from __future__ import annotations

import math
import os
import random
from typing import List, Tuple

from .common import bar, now, say, softmax

CLASSES = 10
DIM = 16
TRAIN, TEST = 1200, 400
NOISE = 0.4

Data = List[Tuple[List[float], int]]


def dataset(seed: int = 0) -> Tuple[Data, Data]:
    rng = random.Random(seed)
    protos = [[rng.random() for _ in range(DIM)] for _ in range(CLASSES)]

    def draw(n: int) -> Data:
        out = []
        for i in range(n):
            label = i % CLASSES
            out.append(([p + rng.gauss(0.0, NOISE) for p in protos[label]], label))
        rng.shuffle(out)
        return out

    return draw(TRAIN), draw(TEST)


def ipus_available() -> bool:
    return bool(os.environ.get("SLURM_JOB_ID") or os.environ.get("ENVDOCTOR_SIM_IPUS"))


def mnist(epochs: int = 10, lr: float = 0.05, batch_size: int = 8, device_iterations: int = 50,
          test_batch_size: int = 80, seed: int = 0) -> int:
    if not ipus_available():
        say("[poptorch:cpp] [error] Failed to acquire 1 IPU(s)")
        say("poptorch.poptorch_core.Error: In poptorch/source/LowerToPopart.cpp:1444: 'poptorch_cpp_error': "
            "Failed to acquire 1 IPU(s)")
        return 1
    train, test = dataset(seed)
    w = [[0.0] * DIM for _ in range(CLASSES)]
    b = [0.0] * CLASSES
    t0 = now()
    say(bar("Epochs", 0, epochs, 0.0))
    # "Compilation": the graph is the weight layout plus a first forward pass over a batch.
    for x, _ in train[:batch_size]:
        softmax([sum(wi * xi for wi, xi in zip(w[c], x)) + b[c] for c in range(CLASSES)])
    say(bar("Graph compilation", 100, 100, now() - t0).rsplit(",", 1)[0] + "]")
    start = now()
    steps = (len(train) + batch_size - 1) // batch_size
    for epoch in range(epochs):
        e0 = now()
        for n, i in enumerate(range(0, len(train), batch_size), 1):
            batch = train[i:i + batch_size]
            gw = [[0.0] * DIM for _ in range(CLASSES)]
            gb = [0.0] * CLASSES
            loss_sum, correct = 0.0, 0
            for x, y in batch:
                p = softmax([sum(wi * xi for wi, xi in zip(w[c], x)) + b[c] for c in range(CLASSES)])
                loss_sum -= math.log(max(p[y], 1e-12))
                correct += max(range(CLASSES), key=p.__getitem__) == y
                for c in range(CLASSES):
                    g = p[c] - (c == y)
                    gb[c] += g
                    row = gw[c]
                    for k in range(DIM):
                        row[k] += g * x[k]
            scale = lr / len(batch)
            for c in range(CLASSES):
                b[c] -= scale * gb[c]
                wc, gc = w[c], gw[c]
                for k in range(DIM):
                    wc[k] -= scale * gc[k]
            if n == steps:  # the per-batch bar (leave=False), as its last update shows it
                desc = "Loss: %0.4f | Accuracy: %05.2f%% " % (loss_sum / len(batch), 100.0 * correct / len(batch))
                say(bar(desc, n, steps, now() - e0))
        say(bar("Epochs", epoch + 1, epochs, now() - start))
    say(bar("Graph compilation", 100, 100, 0.0).rsplit(",", 1)[0] + "]")  # the inference model's
    hits = 0
    for i in range(0, len(test), test_batch_size):
        for x, y in test[i:i + test_batch_size]:
            scores = [sum(wi * xi for wi, xi in zip(w[c], x)) + b[c] for c in range(CLASSES)]
            hits += max(range(CLASSES), key=scores.__getitem__) == y
    say("Accuracy on test set: %0.2f%%" % (100.0 * hits / len(test)))
    return 0
