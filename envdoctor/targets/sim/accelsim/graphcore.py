"""The Graphcore stand-in for tutorials/simple_applications/pytorch/mnist/mnist_poptorch.py.

A softmax-regression classifier over 4x4 "digits" (ten noisy class prototypes), trained
by mini-batch SGD: more epochs or another learning rate really change loss and accuracy.
Like PopTorch on an IPU system, it refuses to run without an IPU allocation (a Slurm job).
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


def mnist(epochs: int = 10, lr: float = 0.03, batch_size: int = 8, device_iterations: int = 50,
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
    # "Compilation": the graph is the weight layout plus a first forward pass over a batch.
    for x, _ in train[:batch_size]:
        softmax([sum(wi * xi for wi, xi in zip(w[c], x)) + b[c] for c in range(CLASSES)])
    say(bar("Graph compilation", 100, 100, now() - t0).rsplit(",", 1)[0] + "]")
    step_samples = batch_size * device_iterations
    start = now()
    step = 0
    for epoch in range(epochs):
        e0, loss_sum = now(), 0.0
        correct = 0
        for i in range(0, len(train), batch_size):
            batch = train[i:i + batch_size]
            gw = [[0.0] * DIM for _ in range(CLASSES)]
            gb = [0.0] * CLASSES
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
            step += 1
        seconds = now() - e0
        say("step %d of epoch %d, loss: %s, acc: %s, lr: %s, throughput: %.4f samples/sec"
            % (step, epoch, loss_sum / len(train), correct / len(train), lr, len(train) / max(seconds, 1e-9)))
        say(bar("Epochs", epoch + 1, epochs, now() - start))
    del step_samples
    hits = 0
    for i in range(0, len(test), test_batch_size):
        for x, y in test[i:i + test_batch_size]:
            scores = [sum(wi * xi for wi, xi in zip(w[c], x)) + b[c] for c in range(CLASSES)]
            hits += max(range(CLASSES), key=scores.__getitem__) == y
    say("Accuracy on test set: %0.2f%%" % (100.0 * hits / len(test)))
    return 0
