"""Two small holes found with the hang trials: `--set lr=nan` (or inf) passed the range
check (every comparison with nan is false) and was exported as NaN; `run` showed
`cd <workdir>` unquoted, so a workdir with a space, quote or `$(...)` could not be pasted."""
from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.errors import UsageError
from envdoctor.launchers.base import shell_path
from envdoctor.launchers.params import parse_sets
from envdoctor.recipe import load
from envdoctor.targets import RealTarget

TOY = """schema: 1
platform: toy
release: t1
title: toy platform for the hardening tests
hosts: {{login: ["toy-login-*"], run: ["toy-node-*"], next_hop: "ssh toy-node-01"}}
scheduler: {{kind: none, submit_from: any}}
environment: {{kind: system}}
runs:
  job:
    title: toy job
    launcher: direct
    workdir: {workdir}
    command: {command}
    metrics: graphcore
    sanity: ["done"]
    timeout: 60
    params:
      lr: {{type: float, default: 0.5, min: 0.0, max: 10.0, env: TOY_LR}}
"""


def toy(tmp_path: Path, workdir: Path):
    workdir.mkdir(parents=True)
    command = json.dumps([sys.executable, "-c", "import os; print('lr', os.environ['TOY_LR']); print('done')"])
    path = tmp_path / "toy.yaml"
    path.write_text(TOY.format(workdir=json.dumps(str(workdir)), command=command))
    home = tmp_path / "home"
    home.mkdir()
    return load(path), RealTarget(str(home), "tester", socket.gethostname())


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999"])
def test_set_refuses_numbers_that_are_not_finite(tmp_path: Path, value: str) -> None:
    recipe, _ = toy(tmp_path, tmp_path / "work")
    with pytest.raises(UsageError, match=r"^lr must be a finite number, got '"):
        parse_sets(recipe.run(None), [f"lr={value}"])


def test_set_lr_nan_on_the_command_line_is_one_line_and_exit_2(sim_node) -> None:
    node = sim_node("graphcore")
    done = subprocess.run([sys.executable, "-m", "envdoctor", "run", "graphcore", "--set", "lr=nan",
                           "--target", "sim", "--sim-root", node.root], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "envdoctor: lr must be a finite number, got 'nan'\n" and done.stdout == ""


@pytest.mark.parametrize("path, shown", [
    ("~", "~"), ("~/groqflow", "~/groqflow"), ("~/my runs", "~/'my runs'"), ("/srv/a b", "'/srv/a b'"),
    ("/srv/it's", "'/srv/it'\"'\"'s'"),
])
def test_shell_path_quotes_all_but_a_leading_tilde(path: str, shown: str) -> None:
    assert shell_path(path) == shown


def test_run_shows_a_cd_that_can_be_pasted(tmp_path: Path) -> None:
    """The shown `cd` line, given to bash, lands in the workdir (and runs nothing)."""
    from envdoctor.commands.run import execute

    hostile = tmp_path / "my runs" / "it's $(touch PWNED) `touch PWNED2`; x"
    recipe, target = toy(tmp_path, hostile)
    seen: list[str] = []
    rec = execute(recipe, target, recipe.run(None), parse_sets(recipe.run(None), ["lr=0.25"]), echo=seen.append).record
    assert rec.status == "ok", seen
    cd = next(line[2:] for line in seen if line.startswith("$ cd "))
    assert cd == f"cd {shlex.quote(str(hostile))}"
    where = subprocess.run(["bash", "-c", f"{cd} && pwd"], cwd=str(tmp_path), capture_output=True, text=True, timeout=10)
    assert where.returncode == 0 and where.stdout == f"{hostile}\n"
    assert not list(tmp_path.rglob("PWNED*"))
    assert any(line.strip() == "lr 0.25" for line in seen)
