"""Helpers shared by the workloads: clocks, log stamps, progress bars, numbers."""
from __future__ import annotations

import datetime
import math
import sys
import time
from typing import List, Sequence


def now() -> float:
    return time.perf_counter()


def stamp() -> str:
    """`2024-05-02 10:11:12,345` like Python logging's default asctime."""
    t = datetime.datetime.now()
    return t.strftime("%Y-%m-%d %H:%M:%S") + ",%03d" % (t.microsecond // 1000)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def clock(seconds: float) -> str:
    """0:06:42"""
    s = int(max(0.0, seconds) + 0.5)
    return "%d:%02d:%02d" % (s // 3600, s % 3600 // 60, s % 60)


def mmss(seconds: float) -> str:
    s = int(max(0.0, seconds) + 0.5)
    return "%02d:%02d" % (s // 60, s % 60) if s < 3600 else clock(s)


def bar(label: str, n: int, total: int, elapsed: float) -> str:
    """A tqdm-like progress line: `Epochs:  30%|███       | 3/10 [00:01<00:02,  2.41it/s]`."""
    frac = n / total if total else 1.0
    filled = int(frac * 10)
    blocks = "█" * filled + (" " * (10 - filled))
    rate = n / elapsed if elapsed > 0 else 0.0
    remaining = (total - n) / rate if rate > 0 else 0.0
    speed = "%5.2fit/s" % rate if rate >= 1 or rate == 0 else "%5.2fs/it" % (1 / rate)
    return "%s: %3d%%|%s| %d/%d [%s<%s, %s]" % (label, int(frac * 100), blocks, n, total, mmss(elapsed),
                                                mmss(remaining), speed)


def softmax(row: Sequence[float]) -> List[float]:
    top = max(row)
    exps = [math.exp(v - top) for v in row]
    total = sum(exps)
    return [e / total for e in exps]


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    def ranks(values: Sequence[float]) -> List[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2.0
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else 0.0


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A PrettyTable-style table (centred cells), as GroqFlow's demo helpers print."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(header)]
    rule = "+" + "+".join("-" * w for w in widths) + "+"

    def line(cells: Sequence[str]) -> str:
        return "|" + "|".join(c.center(w) for c, w in zip(cells, widths)) + "|"

    return "\n".join([rule, line(header), rule, *(line(r) for r in rows), rule])
