"""Metric parsers on a multi-gigabyte log: one streaming pass, bounded memory.

    python benchmarks/metrics_throughput.py [--gb 2] [--keep FILE]

Writes a log of interleaved ranks (Cerebras progress lines, noise, a Groq table, partial
lines), parses it with every parser, and prints MB/s and the peak resident memory.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from envdoctor import metrics  # noqa: E402

BLOCK = "".join([
    "2025-10-22 10:11:12,345 INFO:   | Train Device=CSX, Step={i}, Loss=9.44598, Rate=44.84 samples/sec, "
    "GlobalRate=44.70 samples/sec, LoopTimeRemaining=0:06:42, TimeRemaining>0:06:42\n",
    "[1,0]<stdout>:step {i} of epoch 0, loss: 5.0, acc: 0.1, lr: 0.1, throughput: 646.84 samples/sec\n",
    "[1,1]<stderr>:WARNING: some noise that mentions throughput: and Loss: but no numbers\n",
    "inner train loop time : 374.67 for 10 epochs, number of global steps: 130, e2e samples_per_sec: 88.82\n",
    "|  groq  |                 0.8204                |           0.47          |    2144.87     |\n",
    "Epochs:  50%|█████     | 5/10 [00:39<00:39,  7.71s/it]\r",
    "x" * 200 + "\n",
])


def write(path: str, gb: float) -> int:
    target = int(gb * (1 << 30))
    written = i = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            chunk = "".join(BLOCK.replace("{i}", str(i + k)) for k in range(1000))
            fh.write(chunk)
            written += len(chunk.encode())
            i += 1000
        fh.write("Processed 48000 training sample(s) in 820.57")  # cut mid-line
    return os.path.getsize(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--keep", default="")
    ap.add_argument("--parsers", default="cerebras,graphcore,sambanova,groq")
    args = ap.parse_args()
    path = args.keep or os.path.join(tempfile.mkdtemp(prefix="envdoctor-bench-"), "big.log")
    t0 = time.perf_counter()
    size = write(path, args.gb) if not (args.keep and os.path.exists(path)) else os.path.getsize(path)
    print(f"log: {path} ({size / 1e9:.2f} GB) written in {time.perf_counter() - t0:.1f} s")
    for name in args.parsers.split(","):
        t = time.perf_counter()
        m = metrics.parse_file(name, path)
        dt = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:<10} {size / dt / 1e6:7.1f} MB/s  {m.lines:>11,} lines  {len(m.values)} metrics  "
              f"peak RSS {rss:.0f} MB")
    if not args.keep:
        os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
