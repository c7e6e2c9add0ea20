#!/usr/bin/env python3
"""Time `envdoctor check P --offline --target sim` against `python -m pip check` in the same env.

Usage:
    python benchmarks/check_vs_pip_check.py [PLATFORM ...] [--runs N] [--sim-root DIR] [--keep]

For each platform: builds a `--ready` simulated node (or uses --sim-root / the default node
when it already exists), then runs both commands N times, alternating, and prints the
median and best wall-clock times side by side with their ratio. The goal for envdoctor is a
third of pip check's time or less. Both commands are started as fresh processes, exactly as
a user types them; nothing is cached between runs except what the OS caches for both.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLATFORMS = ("groq", "cerebras", "graphcore", "sambanova")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, done.returncode


def env_python(root: Path, platform: str) -> Path:
    from envdoctor.recipe import catalog
    from envdoctor.targets import open_target

    target = open_target("sim", platform, str(root))
    recipe = catalog().get(platform, target.meta.get("release"))
    return Path(target.path(recipe.environment.path)) / "bin" / "python"


def ensure_node(platform: str, root: Path) -> None:
    if (root / "sim.json").exists():
        return
    from envdoctor.targets.sim.builder import create

    print(f"building a --ready {platform} node at {root} (once) ...", flush=True)
    create(platform, root=str(root), ready=True)


def bench(platform: str, root: Path, runs: int) -> tuple[float, float] | None:
    ensure_node(platform, root)
    python = env_python(root, platform)
    if not python.exists():
        print(f"{platform}: no env python at {python}; skipped")
        return None
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INDEX="1")
    doctor = [sys.executable, "-m", "envdoctor", "check", platform, "--offline", "--target", "sim",
              "--sim-root", str(root)]
    pip = [str(python), "-m", "pip", "check"]
    timed(doctor, env), timed(pip, env)  # warm the page cache for both
    d_times, p_times = [], []
    for _ in range(runs):
        d, d_rc = timed(doctor, env)
        p, _p_rc = timed(pip, env)
        d_times.append(d)
        p_times.append(p)
    d_med, p_med = statistics.median(d_times), statistics.median(p_times)
    ratio = d_med / p_med if p_med else float("inf")
    verdict = "goal met" if ratio <= 1 / 3 else "goal: <= 0.33"
    print(f"{platform:<10} envdoctor check {d_med * 1000:7.0f} ms (best {min(d_times) * 1000:6.0f})   "
          f"pip check {p_med * 1000:7.0f} ms (best {min(p_times) * 1000:6.0f})   ratio {ratio:5.2f}  "
          f"[{verdict}; check exit {d_rc}]")
    return d_med, p_med


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("platforms", nargs="*", default=["groq"], help=f"any of {', '.join(PLATFORMS)}")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sim-root", help="an existing simulated node (one platform only)")
    ap.add_argument("--keep", action="store_true", help="keep the nodes built in a temporary directory")
    args = ap.parse_args(argv)
    if args.sim_root and len(args.platforms) != 1:
        ap.error("--sim-root goes with exactly one platform")
    tmp = Path(tempfile.mkdtemp(prefix="envdoctor-bench-"))
    try:
        print(f"{args.runs} runs each, median (best); Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        for platform in args.platforms:
            root = Path(args.sim_root) if args.sim_root else tmp / platform
            bench(platform, root.resolve(), args.runs)
    finally:
        if args.keep:
            print(f"nodes kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
