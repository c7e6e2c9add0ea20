"""Toy recipes and targets for launcher tests: real processes, no simulated node needed."""
from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Callable

import pytest

from envdoctor.recipe import Recipe, load
from envdoctor.targets import RealTarget, Target

TOY = """schema: 1
platform: toy
release: t1
title: toy platform for launcher tests
hosts: {{login: ["toy-login-*"], run: ["toy-node-*"], next_hop: "ssh toy-node-01"}}
scheduler: {{kind: {sched}, submit_from: {submit_from}}}
environment: {{kind: system}}
runs:
  job:
    title: toy job
    launcher: {launcher}
    workdir: {workdir}
    command: {command}
    scheduler_flags: {flags}
    metrics: graphcore
    sanity: ["Accuracy on test set"]
    performance: {{"accuracy": 80.0}}
    timeout: {timeout}
    params:
      epochs: {{type: int, default: 3, min: 1, max: 50, flag: --epochs}}
      lr: {{type: float, default: 0.5, min: 0.0, max: 10.0, env: TOY_LR}}
      mode: {{type: str, default: fast, choices: [fast, slow], flag: --mode}}
"""

# A tiny "workload": prints a metric line that depends on its parameters.
SCRIPT = r'''
import os, sys, time
args = sys.argv[1:]
epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 3
lr = float(os.environ.get("TOY_LR", "0.5"))
print("started", flush=True)
if os.environ.get("TOY_SLEEP"):
    time.sleep(float(os.environ["TOY_SLEEP"]))
for e in range(epochs):
    print(f"step {e} of epoch {e}, loss: {1.0 / (e + 1 + lr):.4f}, throughput: {100 + e}.0 samples/sec", flush=True)
print(f"Accuracy on test set: {min(99.0, 70 + epochs * lr):0.2f}%", flush=True)
sys.exit(5 if "slow" in args else int(os.environ.get("TOY_EXIT", "0")))
'''


@pytest.fixture
def toy(tmp_path: Path) -> Callable[..., tuple[Recipe, Target]]:
    def make(launcher: str = "direct", *, sched: str = "none", flags: str = "[]", timeout: float = 60,
             submit_from: str = "any", hostname: str | None = None, node: Target | None = None,
             ) -> tuple[Recipe, Target]:
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        (work / "toy.py").write_text(SCRIPT)
        import sys

        command = json.dumps([sys.executable, "toy.py"])
        text = TOY.format(launcher=launcher, sched=sched, flags=flags, timeout=timeout, workdir=str(work),
                          command=command, submit_from=submit_from)
        path = tmp_path / "toy.yaml"
        path.write_text(text)
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        if node is not None:  # the same toy recipe, on a simulated node (its scheduler stand-ins)
            return load(path), node
        return load(path), RealTarget(str(home), "tester", hostname or socket.gethostname())

    return make
