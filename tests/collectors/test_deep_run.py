"""`check --deep`: the shortest reference run becomes check `run.reference`; its facts are typed."""
from __future__ import annotations

import json

from envdoctor.checks.run import reference
from envdoctor.collectors.deep_run import DeepRunFacts, Performance, Sanity, deep_run, shortest
from envdoctor.probe import Probe, ProbeContext
from envdoctor.recipe import catalog
from envdoctor.results import Status


def _check(recipe, facts):
    probe = Probe("real", recipe.platform, recipe.release, {"deep_run": facts})
    return reference(probe, recipe)


def test_deep_run_ok_and_failed(toy, monkeypatch) -> None:
    recipe, target = toy()
    assert deep_run(ProbeContext(target, recipe, deep=False)) is None
    facts = deep_run(ProbeContext(target, recipe, deep=True))
    assert isinstance(facts, DeepRunFacts) and facts.status == "ok", facts
    assert facts.run == "job" and facts.exit_status == 0 and facts.metrics["accuracy"] > 0
    assert all(isinstance(s, Sanity) and s.ok for s in facts.sanity) and facts.log.endswith(".log")
    assert DeepRunFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    assert _check(recipe, facts).status is Status.OK
    monkeypatch.setenv("TOY_EXIT", "2")
    facts = deep_run(ProbeContext(target, recipe, deep=True))
    assert facts.status == "failed" and facts.exit_status == 2
    assert DeepRunFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    outcome = _check(recipe, facts)
    assert outcome.status is Status.FAIL and "exit status 2" in outcome.why
    assert outcome.commands[0] == "envdoctor run toy job"


def test_a_recorded_run_loads_and_fails_on_its_sanity_patterns() -> None:
    recipe = catalog().get("graphcore")
    data = {"run": "mnist", "id": "20261129-101500-ab12", "status": "failed", "exit_status": 0, "duration_s": 41,
            "metrics": {"accuracy": 98}, "sanity": [{"pattern": "Accuracy on test set", "ok": False}],
            "performance": [{"metric": "throughput", "value": None, "reference": 5000, "ratio": None}],
            "log": "/runs/x.log", "log_tail": ["Epoch 1/1"], "job_id": "", "note": ""}
    facts = DeepRunFacts.from_json(data)
    assert facts.duration_s == 41.0 and facts.metrics == {"accuracy": 98.0}
    assert facts.performance == (Performance("throughput", None, 5000.0, None),)
    outcome = _check(recipe, facts)
    assert outcome.status is Status.FAIL and "its log lacks /Accuracy on test set/" in outcome.why
    assert "| Epoch 1/1" in outcome.evidence


def test_shortest_and_registration() -> None:
    from envdoctor import checks

    assert shortest(catalog().get("groq")).name == "minilm"
    assert checks.registry()["run.reference"].deep
    assert _check(catalog().get("groq"), None).status is Status.SKIP
    assert DeepRunFacts.from_json({"run": None}) == DeepRunFacts()  # a recipe without runs
