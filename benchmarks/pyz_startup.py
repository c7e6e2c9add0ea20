"""`python3 envdoctor.pyz --help` against a bare interpreter start, for 3.8 and the newest Python.

The goal (issue 11): help from the one-file envdoctor within 5 times `python -c pass`.
Runs alternate (bare, pyz, bare, pyz...) so that load from other processes on a shared
machine falls on both sides alike; the ratio is of the medians. The first run of each
interpreter unpacks the file and renders help once (both kept under ~/.cache/envdoctor);
it is a warm-up here, and reported on its own line.

    python3 benchmarks/pyz_startup.py [dist/envdoctor.pyz]   (scripts/build-pyz makes it)
"""
from __future__ import annotations

import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPEAT = 21


def interpreters() -> list[str]:
    """3.8 and the newest CPython under ~/.pyenv/versions (the machine image's interpreters)."""
    found = {}
    for path in glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3.*")):
        name = os.path.basename(path)
        if name.count(".") == 1 and name[len("python"):].replace(".", "").isdigit():
            found[tuple(int(x) for x in name[len("python"):].split("."))] = path
    chosen = [found[v] for v in sorted(found) if v == (3, 8)] + [found[max(found)]] if found else []
    return chosen or [sys.executable]


def wall(argv: Sequence[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    pyz = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "dist", "envdoctor.pyz")
    if not os.path.exists(pyz):
        sys.exit(f"{pyz} does not exist: run scripts/build-pyz first")
    home = tempfile.mkdtemp(prefix="envdoctor-pyz-bench-")  # a first run really unpacks
    env = dict(os.environ, HOME=home)
    env.pop("XDG_CACHE_HOME", None)
    try:
        for python in interpreters():
            measure(python, pyz, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(python: str, pyz: str, env: dict[str, str]) -> None:
    first = wall([python, pyz, "--help"], env)
    bare: list[float] = []
    help_: list[float] = []
    for _ in range(REPEAT):
        bare.append(wall([python, "-c", "pass"], env))
        help_.append(wall([python, pyz, "--help"], env))
    b, h = statistics.median(bare), statistics.median(help_)
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    print(f"Python {version:<8} python -c pass {b * 1000:6.1f} ms   envdoctor.pyz --help {h * 1000:6.1f} ms"
          f"   x{h / b:4.2f} (goal: under x5)   first run (unpacks) {first * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
