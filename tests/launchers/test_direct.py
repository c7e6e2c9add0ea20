"""The direct launcher and the run engine, against real processes."""
from __future__ import annotations

import json
import time

import pytest

from envdoctor import runs
from envdoctor.errors import UsageError
from envdoctor.launchers.params import parse_sets
from envdoctor.runner import execute


def test_direct_run_streams_parses_and_records(toy) -> None:
    recipe, target = toy()
    ref = recipe.run(None)
    seen: list[str] = []
    outcome = execute(recipe, target, ref, parse_sets(ref, ["epochs=5", "lr=2"]), echo=seen.append)
    rec = outcome.record
    assert rec.status == "ok" and rec.exit_status == 0 and not outcome.interrupted
    assert rec.params == {"epochs": 5, "lr": 2.0, "mode": "fast"} and rec.set_params == ["epochs", "lr"]
    assert rec.metrics["accuracy"] == 80.0 and rec.metrics["throughput"] == pytest.approx(102.0)
    assert rec.sanity == [{"pattern": "Accuracy on test set", "ok": True}]
    assert rec.performance[0]["ratio"] == pytest.approx(1.0)
    assert any("--epochs 5" in line for line in seen)  # the exact command is shown
    assert any("export TOY_LR=2.0" in line for line in seen)
    assert "Accuracy on test set: 80.00%" in open(rec.log).read()
    saved = json.loads((runs.runs_dir() / f"{rec.id}.json").read_text())
    assert saved["schema"] == "envdoctor/run@1" and saved["metrics"]["accuracy"] == 80.0
    assert runs.select([rec.id[:17]])[0].id == rec.id


def test_failed_job_keeps_exit_status_and_tail(toy, monkeypatch) -> None:
    recipe, target = toy()
    monkeypatch.setenv("TOY_EXIT", "3")
    rec = execute(recipe, target, recipe.run(None), {}).record
    assert rec.status == "failed" and rec.exit_status == 3
    assert rec.log_tail[-1].startswith("Accuracy on test set")


def test_ctrl_c_cancels_the_job_and_the_record_says_so(toy, monkeypatch) -> None:
    recipe, target = toy()
    monkeypatch.setenv("TOY_SLEEP", "60")

    def echo(line: str) -> None:
        if line == "started":
            raise KeyboardInterrupt

    t0 = time.monotonic()
    outcome = execute(recipe, target, recipe.run(None), {}, echo=echo)
    assert outcome.interrupted and outcome.record.status == "cancelled"
    assert time.monotonic() - t0 < 20
    assert runs.select([outcome.record.id])[0].status == "cancelled"


def test_timeout_cancels(toy, monkeypatch) -> None:
    recipe, target = toy(timeout=1)
    monkeypatch.setenv("TOY_SLEEP", "60")
    rec = execute(recipe, target, recipe.run(None), {}).record
    assert rec.status == "timeout" and rec.duration_s < 20


@pytest.mark.parametrize("sets, message", [
    (["epoch=4"], "no parameter 'epoch' (did you mean epochs?); valid parameters: epochs, lr, mode"),
    (["batch=4"], "valid parameters: epochs, lr, mode"),
    (["epochs=four"], "epochs must be an integer, got 'four'"),
    (["epochs=0"], "below the minimum 1"),
    (["epochs=51"], "above the maximum 50"),
    (["lr=x"], "lr must be a number"),
    (["mode=medium"], "not one of fast, slow"),
    (["epochs"], "--set expects KEY=VALUE"),
])
def test_bad_parameters_are_refused_before_anything_runs(toy, sets, message) -> None:
    recipe, _ = toy()
    with pytest.raises(UsageError) as exc:
        parse_sets(recipe.run(None), sets)
    assert message in str(exc.value)
