#!/usr/bin/env python3
"""`envdoctor class report` against just reading the reports, from 10 to 10,000 students.

    python benchmarks/class_report_scaling.py [--sizes 10,100,1000,10000] [--repeat 3] [--keep DIR]

For each size, writes that many check reports (`DIR/<user>/<platform>.json` as `check --share`
does: 30 checks each, a few planted faults, over four platforms) and times, warm cache:
  - read:   a plain `json.load` loop over the files (the floor: reading + parsing);
  - report: the whole `class report` pipeline in-process (load, aggregate, HTML page + CSV);
  - cli:    `envdoctor class report DIR --html ... --csv ...` as a real process (start-up included).
and prints each with its ratio to `read`. The issue's target: about as long as reading them.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLATFORMS = ("cerebras", "sambanova", "graphcore", "groq")
CATEGORIES = ("host", "shell", "conda", "python", "venv", "packages", "repo", "config", "network", "disk",
              "scheduler", "sdk")
FAULTS = [("conda.shell-init", "conda"), ("venv.python", "venv"), ("network.proxy", "network"),
          ("repo.ref", "repo"), ("packages.required", "packages"), ("config.data-dir", "config")]


def make_report(user: str, platform: str, rng: random.Random) -> dict:
    checks = []
    for i in range(30):
        cat = CATEGORIES[i % len(CATEGORIES)]
        checks.append({"id": f"{cat}.check-{i}", "category": cat, "title": f"check number {i} of {cat}",
                       "status": "ok" if i % 7 else "skip", "why": "" if i % 7 else "not on this node",
                       "fix": "", "commands": [], "evidence": [f"evidence line for {user} {i}"],
                       "duration_ms": rng.randint(0, 40)})
    for fid, cat in rng.sample(FAULTS, rng.choice((0, 0, 1, 1, 2, 3))):
        checks.append({"id": fid, "category": cat, "title": f"title of {fid}", "status": rng.choice(("fail", "warn")),
                       "why": f"{fid} is broken in /home/{user} (found by the probe)",
                       "fix": f"the documented fix for {fid}", "commands": [f"fix-{fid} --user {user}", "source ~/.bashrc"],
                       "evidence": [f"line {n} of the evidence for {fid}" for n in range(4)], "duration_ms": 12})
    summary = {s: sum(1 for c in checks if c["status"] == s) for s in ("ok", "warn", "fail", "skip", "error")}
    return {"schema": "envdoctor/check-report@1", "envdoctor_version": "0.1.0", "platform": platform,
            "release": "R", "target": "real", "host": {"hostname": f"{platform}-login-01", "node_role": "login"},
            "exit_code": int(summary["fail"] > 0), "summary": summary, "checks": checks, "duration_ms": 900,
            "user": user}


def generate(base: Path, n: int) -> Path:
    rng = random.Random(n)
    share = base / f"share-{n}"
    if share.exists():
        return share
    for i in range(n):
        user = f"student{i // len(PLATFORMS):05d}"
        platform = PLATFORMS[i % len(PLATFORMS)]
        d = share / user
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{platform}.json").write_text(json.dumps(make_report(user, platform, rng), indent=2))
    return share


def best_of(fn, repeat: int) -> float:
    fn()  # warm the page cache and imports
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def read_only(share: Path) -> None:
    for dirpath, _, files in os.walk(share):
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                json.load(fh)


def pipeline(share: Path, out: Path) -> None:
    from envdoctor.classroom import aggregate, loader
    from envdoctor.commands.klass import render_csv
    from envdoctor.reports import class_html

    data = aggregate.aggregate(loader.load_all(loader.discover([share])))
    (out / "class.html").write_text(class_html.render(data), encoding="utf-8")
    (out / "class.csv").write_text(render_csv(data), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this directory")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    base = args.keep or Path(tempfile.mkdtemp(prefix="envdoctor-class-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"{'reports':>8}  {'read':>9}  {'report':>9} {'ratio':>6}  {'cli':>9} {'ratio':>6}  page")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            share = generate(base, n)
            out = base / f"out-{n}"
            out.mkdir(exist_ok=True)
            t_read = best_of(functools.partial(read_only, share), args.repeat)
            t_pipe = best_of(functools.partial(pipeline, share, out), args.repeat)
            argv = [sys.executable, "-m", "envdoctor", "class", "report", str(share), "--html", str(out / "cli.html"),
                    "--csv", str(out / "cli.csv")]
            t_cli = best_of(functools.partial(subprocess.run, argv, capture_output=True), max(1, args.repeat))
            size = (out / "class.html").stat().st_size
            print(f"{n:>8}  {t_read * 1000:7.1f}ms  {t_pipe * 1000:7.1f}ms {t_pipe / t_read:6.2f}  "
                  f"{t_cli * 1000:7.1f}ms {t_cli / t_read:6.2f}  {size / 1e6:.1f} MB", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
