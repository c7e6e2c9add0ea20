"""`check --deep`: the shortest reference run becomes check `run.reference`."""
from __future__ import annotations

from envdoctor.checks.run import reference
from envdoctor.collectors.deep_run import deep_run, shortest
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
    assert facts["status"] == "ok", facts
    assert facts["metrics"]["accuracy"] > 0
    assert _check(recipe, facts).status is Status.OK
    monkeypatch.setenv("TOY_EXIT", "2")
    facts = deep_run(ProbeContext(target, recipe, deep=True))
    outcome = _check(recipe, facts)
    assert outcome.status is Status.FAIL and "exit status 2" in outcome.why
    assert outcome.commands[0] == "envdoctor run toy job"


def test_shortest_and_registration() -> None:
    from envdoctor import checks

    assert shortest(catalog().get("groq")).name == "minilm"
    assert checks.registry()["run.reference"].deep
    assert _check(catalog().get("groq"), None).status is Status.SKIP
