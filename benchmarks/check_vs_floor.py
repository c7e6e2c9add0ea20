#!/usr/bin/env python3
"""Time `envdoctor check` against its floor: one interactive login shell that runs conda.

Usage:
    python benchmarks/check_vs_floor.py [PLATFORM ...] [--runs N] [--sim-root DIR]

The floor is the least any doctor of a conda course must do on the node: start the
student's login shell (which runs the conda hook from ~/.bashrc) and run conda once. It is
started exactly as envdoctor starts its own login shell (same argv, same fresh-login
environment, same home), so the two differ only in what envdoctor does beyond it. Both are
fresh processes, run alternately so that load on the machine hits both alike; the goal is
check within twice the floor, cold (no facts reused between runs).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Sequence, Tuple

GOAL = 2.0


def timed(argv: Sequence[str], env: dict, cwd: str) -> Tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(list(argv), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, done.returncode


def node(platform: str, root: Path):  # -> envdoctor Target
    from envdoctor.targets import open_sim
    from envdoctor.targets.sim.builder import create

    if not (root / "sim.json").exists():
        print(f"building a --ready {platform} node at {root} (once) ...", flush=True)
        create(platform, root=str(root), ready=True)
    return open_sim(str(root))


def floor_argv(login_command: str) -> List[str]:
    from envdoctor import proc

    return list(proc.bash_argv("login", login_command))


def bench(platform: str, root: Path, runs: int) -> float:
    target = node(platform, root)
    floor = floor_argv("conda --version")
    doctor = [sys.executable, "-m", "envdoctor", "check", platform, "--offline", "--target", "sim",
              "--sim-root", str(root)]
    login_env = target.login_env()
    mine = dict(os.environ)
    timed(floor, login_env, target.home), timed(doctor, mine, str(root))  # page cache warm for both
    f_times, d_times, rc = [], [], 0
    for _ in range(runs):
        f, f_rc = timed(floor, login_env, target.home)
        d, rc = timed(doctor, mine, str(root))
        if f_rc != 0:
            raise SystemExit(f"the floor command failed on {root} (exit {f_rc}): is conda set up on the node?")
        f_times.append(f)
        d_times.append(d)
    f_med, d_med = statistics.median(f_times), statistics.median(d_times)
    ratio = d_med / f_med
    verdict = "goal met" if ratio <= GOAL else f"goal: <= {GOAL:.1f}"
    print(f"{platform:<10} check {d_med * 1000:6.0f} ms (best {min(d_times) * 1000:5.0f})   "
          f"floor {f_med * 1000:6.0f} ms (best {min(f_times) * 1000:5.0f})   "
          f"ratio {ratio:4.2f} (best/best {min(d_times) / min(f_times):4.2f})  [{verdict}; check exit {rc}]")
    return ratio


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("platforms", nargs="*", default=["groq"])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--sim-root", help="an existing --ready node (one platform only)")
    args = ap.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.runs} alternating runs each")
    with tempfile.TemporaryDirectory(prefix="envdoctor-bench-") as tmp:
        for platform in args.platforms:
            root = Path(args.sim_root) if args.sim_root else Path(tmp) / platform
            bench(platform, root, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
