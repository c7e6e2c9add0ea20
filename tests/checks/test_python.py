"""python.interpreter, venv.* and conda.env-* on recorded probes (tests/checks/probes/) and on facts
derived from them: every outcome in milliseconds. The same checks run against real virtualenvs in
test_checks_env.py and on built simulated nodes in tests/e2e/test_sim_checks.py."""
from __future__ import annotations

import dataclasses
from typing import Any, Dict

import pytest
from checks.recorded import load, names, results, split

from envdoctor.checks import run_all, select
from envdoctor.checks.python import activate_command
from envdoctor.collectors.python_env import EnvRun, Interpreter, PythonEnvFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe
from envdoctor.results import CheckResult, Status

VENV = "~/R_2.10.0/venv_cerebras_pt"  # cerebras-ready's venv, the base of the derived cases


def ids(recipe: Recipe) -> Dict[str, str]:
    """exists/healthy/python/active -> this recipe's check id (venv.* or conda.env-*)."""
    if recipe.environment.kind == "conda":
        return {a: f"conda.env-{a}" for a in ("exists", "healthy", "python", "active")}
    return {a: f"venv.{a}" for a in ("exists", "healthy", "python", "active")}


def with_facts(name: str, **changes: Any) -> tuple[Probe, Recipe]:
    """Recording `name` with its python_env facts changed (dataclasses.replace on the top level)."""
    probe, recipe = load(name)
    facts = dataclasses.replace(probe.of(PythonEnvFacts), **changes)
    return dataclasses.replace(probe, facts={**probe.facts, "python_env": facts}), recipe


def with_env(name: str, **changes: Any) -> tuple[Probe, Recipe]:
    probe, _ = load(name)
    return with_facts(name, env=dataclasses.replace(probe.of(PythonEnvFacts).env, **changes))


def run(probe: Probe, recipe: Recipe, *only: str) -> Dict[str, CheckResult]:
    return {r.id: r for r in run_all(select(recipe, only), probe, recipe)}


READY = [n for n in names() if split(n)[1] == "ready"]
MISSING = [n for n in names() if split(n)[1] in ("env-missing", "fresh")
           and load(n)[1].environment.kind != "system"]  # a system env comes with the node
WRONG_PYTHON = [n for n in names() if split(n)[1] == "wrong-python"]


@pytest.mark.parametrize("name", READY)
def test_a_ready_env_is_there_healthy_and_of_the_course_python(name: str) -> None:
    probe, recipe = load(name)
    found, cid = results(name), ids(recipe)
    for aspect in ("exists", "healthy", "python"):
        assert found[cid[aspect]].status == Status.OK, found[cid[aspect]]
    assert any("bin/python runs: Python" in e for e in found[cid["healthy"]].evidence)
    if recipe.environment.interpreter:
        assert found["python.interpreter"].status == Status.OK
    # a fresh login shell on a simulated node does not activate it: a hint, not a finding
    active = found[cid["active"]]
    assert active.status == Status.SKIP and f"`{activate_command(recipe)}`" in active.why


@pytest.mark.parametrize("name", MISSING)
def test_a_missing_env_fails_exists_with_the_create_commands_and_the_rest_skip(name: str) -> None:
    _, recipe = load(name)
    found, cid = results(name), ids(recipe)
    r = found[cid["exists"]]
    assert r.status == Status.FAIL and "does not exist" in r.why
    assert r.step in ("venv", "conda-env") and activate_command(recipe) in r.commands
    assert any(c.startswith("pip ") or " pip " in c for c in r.commands)  # then the packages
    for aspect in ("healthy", "python"):
        assert found[cid[aspect]].status == Status.SKIP
    assert found["packages.required"].status == Status.SKIP


@pytest.mark.parametrize("name", WRONG_PYTHON)
def test_an_env_of_another_python_fails_only_the_python_check(name: str) -> None:
    _, recipe = load(name)
    found, cid = results(name), ids(recipe)
    assert found[cid["exists"]].status == Status.OK and found[cid["healthy"]].status == Status.OK
    r = found[cid["python"]]
    assert r.status == Status.FAIL and f"needs Python {recipe.environment.python}" in r.why
    assert r.commands[0] in (f"rm -rf {recipe.environment.path}", "conda deactivate")  # rebuild: remove first


# --- derived from cerebras-ready --------------------------------------------------------------
def test_a_dangling_bin_python_fails_healthy_and_the_python_check_skips() -> None:
    probe, _ = load("cerebras-ready")
    env = probe.of(PythonEnvFacts).env
    assert env.python is not None
    gone = dataclasses.replace(env.python, exists=False, broken=True, executable=False,
                               link_target="/opt/removed-python/bin/python3.11")
    found = run(*with_env("cerebras-ready", python=gone, run=None), "venv.healthy", "venv.python")
    r = found["venv.healthy"]
    assert r.status == Status.FAIL
    assert "symlink to /opt/removed-python/bin/python3.11, which does not exist" in r.why
    assert r.commands[0] == f"rm -rf {VENV}"
    assert found["venv.python"].status == Status.SKIP


@pytest.mark.parametrize("change, phrase", [
    ({"pyvenv_cfg": None}, "pyvenv.cfg is missing, so this is not a venv"),
    ({"run": EnvRun(False, f"`{VENV}/bin/python` exited 1: Fatal Python error")}, "bin/python does not start: `"),
])
def test_a_broken_env_fails_healthy(change: Dict[str, Any], phrase: str) -> None:
    r = run(*with_env("cerebras-ready", **change), "venv.healthy")["venv.healthy"]
    assert r.status == Status.FAIL and phrase in r.why, r.why
    assert r.commands[0] == f"rm -rf {VENV}" and "cd ~/R_2.10.0 && pip install -e modelzoo" in r.commands


def test_pyvenv_cfg_of_another_python_than_bin_python_fails_healthy() -> None:
    probe, _ = load("cerebras-ready")
    env = probe.of(PythonEnvFacts).env
    assert env.pyvenv_cfg is not None and env.cfg_home is not None and env.run is not None
    cfg = {**env.pyvenv_cfg, "version_info": "3.11.0.final.0"}  # the base Python was replaced under the env
    home = dataclasses.replace(env.cfg_home, exists=False)
    r = run(*with_env("cerebras-ready", pyvenv_cfg=cfg, cfg_home=home), "venv.healthy")["venv.healthy"]
    assert r.status == Status.FAIL
    assert f"pyvenv.cfg records Python 3.11.0 but bin/python is {env.run.version}" in r.why
    assert f"pyvenv.cfg says home = {home.path}, which does not exist" in r.why


def test_a_file_where_the_env_should_be_is_removed_first() -> None:
    r = run(*with_env("cerebras-ready", exists=False, lexists=True), "venv.exists")["venv.exists"]
    assert r.status == Status.FAIL and "exists but is not a directory" in r.why
    assert r.commands[:2] == (f"rm -f {VENV}", "mkdir -p ~/R_2.10.0")


def test_the_recipe_pins_no_python() -> None:
    r = run(*with_facts("cerebras-ready", required=""), "venv.python")["venv.python"]
    assert r.status == Status.OK and "(the recipe pins no version)" in r.evidence[0]


@pytest.mark.parametrize("change, phrase", [
    ({"broken": True, "exists": False, "link_target": "/opt/python-3.11.0/bin/python3.11"},
     "is a symlink to /opt/python-3.11.0/bin/python3.11, which does not exist"),
    ({"exists": False, "symlink": False}, "/usr/bin/python3.11 does not exist on this node"),
    ({"executable": False}, "exists but is not an executable file"),
    ({"version": "", "error": "`/usr/bin/python3.11` exited 127: libpython3.11.so.1.0"}, "does not start: `"),
    ({"version": "3.9.18"}, "is Python 3.9.18, but {title} needs Python 3.11"),
])
def test_interpreter_outcomes(change: Dict[str, Any], phrase: str) -> None:
    probe, recipe = load("cerebras-ready")
    it = probe.of(PythonEnvFacts).interpreter
    assert isinstance(it, Interpreter)
    r = run(*with_facts("cerebras-ready", interpreter=dataclasses.replace(it, **change)),
            "python.interpreter")["python.interpreter"]
    assert r.status == Status.FAIL and phrase.format(title=recipe.title) in r.why, r.why
    assert r.commands and r.commands[0].startswith(("ls -l /usr/bin/python3.11", "/usr/bin/python3.11 --version"))
