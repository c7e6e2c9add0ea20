#!/usr/bin/env python3
"""Time `envdoctor check` against its floor: one interactive login shell that runs conda.

Usage:
    python benchmarks/check_vs_floor.py [PLATFORM ...] [--runs N] [--sim-root DIR]

The floor is the least any doctor of a conda course must do on the node: start the
student's login shell (which runs the conda hook from ~/.bashrc) and run conda once. It is
started exactly as envdoctor starts its own login shell (same argv, same fresh-login
environment, same home), so the two differ only in what envdoctor does beyond it. All are
fresh processes, run alternately so that load on the machine hits them alike; the goal is
check within twice the floor, cold: ENVDOCTOR_FRESH=1, no facts reused between runs. The
warm row is a plain `check` after one before it: the batch and script shells' facts are
reused, since nothing they read changed (envdoctor.shellcapture).
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
    cold, warm = {**os.environ, "ENVDOCTOR_FRESH": "1"}, {**os.environ, "ENVDOCTOR_FRESH": "0"}
    timed(floor, login_env, target.home), timed(doctor, cold, str(root)), timed(doctor, warm, str(root))  # warm caches
    f_times: List[float] = []
    c_times: List[float] = []
    w_times: List[float] = []
    rc = 0
    for _ in range(runs):
        f, f_rc = timed(floor, login_env, target.home)
        c, rc = timed(doctor, cold, str(root))
        w, _ = timed(doctor, warm, str(root))
        if f_rc != 0:
            raise SystemExit(f"the floor command failed on {root} (exit {f_rc}): is conda set up on the node?")
        f_times.append(f)
        c_times.append(c)
        w_times.append(w)
    f_med = statistics.median(f_times)
    print(f"{platform:<10} floor {f_med * 1000:6.0f} ms (best {min(f_times) * 1000:5.0f})")
    for name, times in (("check, cold", c_times), ("check, warm", w_times)):
        med = statistics.median(times)
        ratio = med / f_med
        verdict = "goal met" if ratio <= GOAL else f"goal: <= {GOAL:.1f}"
        print(f"{'':<10} {name} {med * 1000:6.0f} ms (best {min(times) * 1000:5.0f})   ratio {ratio:4.2f} "
              f"(best/best {min(times) / min(f_times):4.2f})  [{verdict if name.endswith('cold') else 'warm'}; "
              f"check exit {rc}]")
    return statistics.median(c_times) / f_med


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
