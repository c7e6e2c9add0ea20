"""The SambaNova stand-in for the 2024 training series' BERT-large (compile, then run).

`compile` writes the PEF (the compiled graph: model shape, batch size, initial weights)
to OUTPUT_FOLDER/PEF_NAME/PEF_NAME.pef. `run` refuses without it, as BertLarge_run.sh
does, then trains a logistic-regression "masked token" head on generated features with
data parallelism: SLURM_NTASKS (or --ntasks) worker processes each take their share of
every global batch and their weights are averaged every epoch, so the number of tasks
really splits the work and changes the numbers.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import sys
import time
from typing import List, Sequence, Tuple

from .common import now, say

DIM = 12
SAMPLE_SCALE = 4  # the simulated model sees one sample per 4 of the real batch


_TRUTH_RNG = random.Random(12345)
TRUTH = [_TRUTH_RNG.gauss(0.0, 1.0) for _ in range(DIM)]  # the "language" every shard samples


def features(seed: int, n: int) -> Tuple[List[List[float]], List[int]]:
    rng = random.Random(seed)
    truth = TRUTH
    xs, ys = [], []
    for _ in range(n):
        x = [rng.gauss(0.0, 1.0) for _ in range(DIM)]
        z = sum(a * b for a, b in zip(truth, x)) + rng.gauss(0.0, 1.0)
        xs.append(x)
        ys.append(1 if z > 0 else 0)
    return xs, ys


def compile(pef_name: str, output_folder: str, batch_size: int, max_seq_length: int, seed: int = 0) -> int:
    t0 = now()
    say("[info   ] Compiling %s for batch size %d, max_seq_length %d" % (pef_name, batch_size, max_seq_length))
    rng = random.Random(seed)
    weights = [rng.gauss(0.0, 0.01) for _ in range(DIM + 1)]
    # Placement: a deterministic search over tile assignments (real, small work).
    best = min(range(20000), key=lambda i: (i * 2654435761 + seed) % 1000003)
    folder = os.path.join(output_folder, pef_name)
    os.makedirs(folder, exist_ok=True)
    pef = os.path.join(folder, pef_name + ".pef")
    with open(pef, "w", encoding="utf-8") as fh:
        json.dump({"format": "accelsim-pef@1", "name": pef_name, "batch_size": batch_size,
                   "max_seq_length": max_seq_length, "dim": DIM, "weights": weights, "placement": best}, fh)
    say("[info   ] PEF file %s created" % pef)
    say("Compilation took %.2f seconds" % (now() - t0))
    return 0


def _shard(args: Tuple[int, int, List[float], int, int, float, int]) -> Tuple[List[float], float, int, float]:
    """One worker's epoch: its slice of every global batch. Returns weights, loss sum, samples,
    and the CPU seconds it spent: each data-parallel instance stands for its own RDUs, so its
    throughput is its own compute time, not the wall time of processes sharing this host's cores."""
    started = time.process_time()
    rank, ntasks, w, steps, global_batch, lr, seed = args
    xs, ys = features(seed * 1000 + rank, steps * max(1, global_batch // ntasks))
    local = max(1, global_batch // ntasks)
    w = list(w)
    loss = 0.0
    for s in range(steps):
        gw = [0.0] * (DIM + 1)
        for i in range(s * local, (s + 1) * local):
            x, y = xs[i], ys[i]
            z = w[DIM] + sum(a * b for a, b in zip(w, x))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            loss -= math.log(max(p if y else 1.0 - p, 1e-12))
            g = p - y
            for k in range(DIM):
                gw[k] += g * x[k]
            gw[DIM] += g
        for k in range(DIM + 1):
            w[k] -= lr * gw[k] / local
    return w, loss, steps * local, time.process_time() - started


def run(pef: str, steps: int, epochs: int, ntasks: int, lr: float = 0.05, seed: int = 0) -> int:
    if not os.path.exists(pef):
        say("%s does not exist, exiting" % pef)
        return 1
    spec = json.loads(open(pef, encoding="utf-8").read())
    w = list(spec["weights"])
    global_batch = max(ntasks, int(spec["batch_size"]) // SAMPLE_SCALE)
    per_epoch = max(1, steps // epochs)
    say("Running %s on %d data-parallel instance(s), global batch %d" % (os.path.basename(pef), ntasks,
                                                                        spec["batch_size"]))
    ctx = multiprocessing.get_context("fork")
    t0 = now()
    samples = 0
    busy = [0.0] * ntasks  # each instance's own compute seconds
    done_by = [0] * ntasks
    with ctx.Pool(ntasks) as pool:
        for epoch in range(epochs):
            jobs = [(r, ntasks, w, per_epoch, global_batch, lr, seed + epoch) for r in range(ntasks)]
            results = pool.map(_shard, jobs)
            w = [sum(r[0][k] for r in results) / ntasks for k in range(DIM + 1)]  # all-reduce (mean)
            done = sum(r[2] for r in results)
            samples += done
            for rank, r in enumerate(results):
                busy[rank] += r[3]
                done_by[rank] += r[2]
            say("Epoch [%d/%d], Step [%d/%d], Loss: %.4f" % (epoch + 1, epochs, (epoch + 1) * per_epoch,
                                                             per_epoch * epochs, sum(r[1] for r in results) / done))
    loop = now() - t0
    real_samples = samples * SAMPLE_SCALE
    xs, ys = features(seed + 99991, 400)
    hits = sum((w[DIM] + sum(a * b for a, b in zip(w, x)) > 0) == bool(y) for x, y in zip(xs, ys))
    say("Test Accuracy: %.2f  Loss: %.4f" % (100.0 * hits / len(xs), _loss(w, xs, ys)))
    # As on the real system, every data-parallel instance prints its own line (its samples over
    # its own loop time); the job's throughput is their sum.
    for rank in range(ntasks):
        say("inner train loop time : %s for %d epochs, number of global steps: %d, e2e samples_per_sec: %s"
            % (busy[rank], epochs, per_epoch * epochs, done_by[rank] * SAMPLE_SCALE / max(busy[rank], 1e-9)))
    say("all %d instances finished in %.2f s (wall time on this host, %d samples)" % (ntasks, loop, real_samples))
    return 0


def _loss(w: Sequence[float], xs: Sequence[Sequence[float]], ys: Sequence[int]) -> float:
    total = 0.0
    for x, y in zip(xs, ys):
        z = w[DIM] + sum(a * b for a, b in zip(w, x))
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        total -= math.log(max(p if y else 1.0 - p, 1e-12))
    return total / len(xs)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m accelsim.sambanova compile|run ...` (what the sim's BertLarge scripts call)."""
    ap = argparse.ArgumentParser(prog="transformers_hook.py")
    ap.add_argument("command", choices=("compile", "run"))
    ap.add_argument("--pef-name", default="bertlrg")
    ap.add_argument("--output-folder", default=".")
    ap.add_argument("--pef", default="")
    ap.add_argument("-b", "--batch-size", type=int, default=256)
    ap.add_argument("--max_seq_length", type=int, default=128)
    ap.add_argument("--steps_this_run", type=int, default=505)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--ntasks", type=int, default=int(os.environ.get("SLURM_NTASKS", "1") or 1))
    args, _unknown = ap.parse_known_args(argv)
    if args.command == "compile":
        return compile(args.pef_name, args.output_folder, args.batch_size, args.max_seq_length)
    return run(args.pef, args.steps_this_run, args.epochs, max(1, args.ntasks))


if __name__ == "__main__":
    sys.exit(main())
