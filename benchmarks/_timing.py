"""Shared helpers for the benchmarks: time commands side by side and print ratios."""
from __future__ import annotations

import statistics
import subprocess
import time
from typing import Mapping, Sequence


def time_command(argv: Sequence[str], repeat: int = 5, env: Mapping[str, str] | None = None,
                 cwd: str | None = None) -> float:
    """Median wall time in seconds of `repeat` runs (after one warm-up run)."""
    subprocess.run(list(argv), env=dict(env) if env else None, cwd=cwd, capture_output=True)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(list(argv), env=dict(env) if env else None, cwd=cwd, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def print_side_by_side(rows: Sequence[tuple[str, float]], baseline: str) -> None:
    """One line per timing, with its ratio to the row named `baseline`."""
    base = dict(rows)[baseline]
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:9.1f} ms   x{seconds / base:6.2f} of {baseline}")
