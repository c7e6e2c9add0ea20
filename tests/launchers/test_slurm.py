"""The Slurm launcher against a real single-node Slurm (tests/slurm_fixture.py)."""
from __future__ import annotations

import time

import pytest

from envdoctor.launchers.params import parse_sets
from envdoctor.runner import execute

pytestmark = pytest.mark.slurm


def test_sbatch_job_streams_and_reports_exit_status(toy, slurm_env) -> None:
    recipe, target = toy("slurm", sched="slurm", flags="[--ntasks=1]")
    ref = recipe.run(None)
    lines: list[str] = []
    rec = execute(recipe, target, ref, parse_sets(ref, ["epochs=4"]), echo=lines.append).record
    assert rec.status == "ok", rec.log_tail
    assert rec.job_id.isdigit() and rec.launcher == "slurm"
    assert rec.metrics["accuracy"] == 72.0
    assert any(line.startswith("$ sbatch --parsable") and "--ntasks=1" in line for line in lines)
    assert "started" in lines


def test_failed_slurm_job(toy, slurm_env, monkeypatch) -> None:
    recipe, target = toy("slurm", sched="slurm")
    monkeypatch.setenv("TOY_EXIT", "7")
    rec = execute(recipe, target, recipe.run(None), {}).record
    assert rec.status == "failed" and rec.exit_status == 7


def test_ctrl_c_scancels(toy, slurm_env, monkeypatch) -> None:
    import subprocess

    recipe, target = toy("slurm", sched="slurm")
    monkeypatch.setenv("TOY_SLEEP", "120")

    def echo(line: str) -> None:
        if line == "started":
            raise KeyboardInterrupt

    t0 = time.monotonic()
    outcome = execute(recipe, target, recipe.run(None), {}, echo=echo)
    assert outcome.interrupted and outcome.record.status == "cancelled"
    jid = outcome.record.job_id
    assert jid.isdigit()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = subprocess.run(["scontrol", "show", "job", jid], capture_output=True, text=True).stdout
        if "JobState=CANCELLED" in state:
            break
        time.sleep(0.2)
    assert "JobState=CANCELLED" in state
    assert time.monotonic() - t0 < 30
