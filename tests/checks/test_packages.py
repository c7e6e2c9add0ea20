"""packages.required and packages.user-site on recorded probes (tests/checks/probes/) and on facts
derived from them: every outcome in milliseconds. The same checks run against real virtualenvs in
test_checks_env.py and on built simulated nodes in tests/e2e/test_sim_checks.py."""
from __future__ import annotations

import dataclasses
from typing import Any, Tuple

import pytest
from checks.recorded import load, names, results, split

from envdoctor.checks import run_all, select
from envdoctor.checks.packages import envdoctor_own
from envdoctor.collectors.python_env import Dist, EnvRun, ImportSpec, PythonEnvFacts, UserDist, UserSite
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe
from envdoctor.results import CheckResult, Status

READY = [n for n in names() if split(n)[1] == "ready"]
ACTIVATE = "source ~/R_2.10.0/venv_cerebras_pt/bin/activate"
USER_SITE = "~/.local/lib/python3.11/site-packages"


def facts_of(name: str) -> PythonEnvFacts:
    return load(name)[0].of(PythonEnvFacts)


def run_of(name: str) -> EnvRun:
    run = facts_of(name).env.run
    assert run is not None and run.ok
    return run


def derived(name: str, run: EnvRun | None = None, user_site: UserSite | None = None) -> Tuple[Probe, Recipe]:
    """Recording `name` with the env's run and/or ~/.local replaced."""
    probe, recipe = load(name)
    f = probe.of(PythonEnvFacts)
    if run is not None:
        f = dataclasses.replace(f, env=dataclasses.replace(f.env, run=run))
    if user_site is not None:
        f = dataclasses.replace(f, user_site=user_site)
    return dataclasses.replace(probe, facts={**probe.facts, "python_env": f}), recipe


def check(probe: Probe, recipe: Recipe, cid: str) -> CheckResult:
    return {r.id: r for r in run_all(select(recipe, (cid,)), probe, recipe)}[cid]


def with_dist(run: EnvRun, name: str, **changes: Any) -> EnvRun:
    return dataclasses.replace(run, dists=tuple(dataclasses.replace(d, **changes) if d.name == name else d
                                                for d in run.dists))


@pytest.mark.parametrize("name", READY)
def test_a_ready_env_has_the_course_packages_and_nothing_in_user_site(name: str) -> None:
    _, recipe = load(name)
    found = results(name)
    r = found["packages.required"]
    assert r.status == Status.OK, r
    for req in recipe.requirements:
        assert any(e.startswith(f"{req.name} ") for e in r.evidence), (req.name, r.evidence)
        if req.editable:
            assert f"{req.name} " in " ".join(e for e in r.evidence if e.endswith("(editable)"))
    us = found["packages.user-site"]
    assert us.status == Status.OK and us.evidence[0].endswith(": no packages")


def test_vendor_version_skew_fails_required_with_the_course_pip_step() -> None:
    r = results("cerebras-vendor-version-skew")["packages.required"]
    assert r.status == Status.FAIL
    assert "cerebras_pytorch 2.9.0 is installed, but the course needs cerebras_pytorch==2.10.0" in r.why
    assert r.commands == (ACTIVATE, "cd ~/R_2.10.0 && pip install -e modelzoo")
    assert "cerebras_modelzoo 2.10.0 (editable)" in r.evidence


def test_user_site_a_venv_ignores_is_a_warning_with_the_move() -> None:
    found = results("cerebras-user-site-shadowing")
    assert found["packages.required"].status == Status.OK  # the venv's own copy wins
    r = found["packages.user-site"]
    assert r.status == Status.WARN and "this env ignores them" in r.why and "cerebras_pytorch 2.9.0" in r.why
    assert r.commands == ("mv ~/.local/lib/python3.11 ~/.local/lib/python3.11.disabled",)


# --- derived from cerebras-ready --------------------------------------------------------------
def test_a_missing_package_fails_with_its_pip_step() -> None:
    run = run_of("cerebras-ready")
    gone = dataclasses.replace(run, dists=tuple(d for d in run.dists if d.name != "cerebras_modelzoo"))
    r = check(*derived("cerebras-ready", gone), "packages.required")
    assert r.status == Status.FAIL and "cerebras_modelzoo==2.10.0 is not installed" in r.why
    assert r.commands == (ACTIVATE, "cd ~/R_2.10.0 && pip install -e modelzoo")


def test_an_install_not_editable_from_the_clone_fails() -> None:
    run = with_dist(run_of("cerebras-ready"), "cerebras_modelzoo", editable=False, url="", url_path="",
                    location="~/R_2.10.0/venv_cerebras_pt/lib/python3.11/site-packages")
    r = check(*derived("cerebras-ready", run), "packages.required")
    assert r.status == Status.FAIL
    assert ("cerebras_modelzoo 2.10.0 is installed from ~/R_2.10.0/venv_cerebras_pt/lib/python3.11/site-packages, "
            "not in editable mode from the clone ~/R_2.10.0/modelzoo") in r.why


@pytest.mark.parametrize("spec, phrase", [
    (ImportSpec(False, error="ModuleNotFoundError: No module named 'cerebras'"),
     "cerebras_pytorch is installed but `import cerebras` finds no module: ModuleNotFoundError"),
    (ImportSpec(True, f"{USER_SITE}/cerebras/__init__.py", in_user_site=True),
     f"`import cerebras` loads {USER_SITE}/cerebras/__init__.py from ~/.local, not the env's copy"),
])
def test_an_import_that_does_not_load_the_env_copy_fails(spec: ImportSpec, phrase: str) -> None:
    run = run_of("cerebras-ready")
    r = check(*derived("cerebras-ready", dataclasses.replace(run, imports={**run.imports, "cerebras": spec})),
              "packages.required")
    assert r.status == Status.FAIL and phrase in r.why, r.why


def test_packages_that_cannot_be_listed_fail() -> None:
    run = dataclasses.replace(run_of("cerebras-ready"), error="PackageNotFoundError: importlib_metadata", dists=())
    r = check(*derived("cerebras-ready", run), "packages.required")
    assert r.status == Status.FAIL and "cannot list the env's packages: PackageNotFoundError" in r.why
    assert r.commands == (ACTIVATE, "python -m pip list")


def test_user_site_the_env_reads_after_its_own_is_a_warning() -> None:
    run = dataclasses.replace(run_of("cerebras-ready"), enable_user_site=True)
    us = UserSite(USER_SITE, True, (UserDist("cerebras_pytorch", "2.3.0"),), ("distutils-precedence.pth",))
    r = check(*derived("cerebras-ready", run, us), "packages.user-site")
    assert r.status == Status.WARN and "this env reads ~/.local (after its own packages)" in r.why
    assert "path hooks: distutils-precedence.pth" in r.evidence


def test_a_required_package_loaded_from_user_site_fails() -> None:
    run = run_of("cerebras-ready")
    shadow = Dist("cerebras_pytorch", "2.3.0", USER_SITE, in_user_site=True)
    run = dataclasses.replace(run, enable_user_site=True, dists=(shadow,) + run.dists)  # first on sys.path
    us = UserSite(USER_SITE, True, (UserDist("cerebras_pytorch", "2.3.0"),))
    probe, recipe = derived("cerebras-ready", run, us)
    r = check(probe, recipe, "packages.user-site")
    assert r.status == Status.FAIL and "including required cerebras_pytorch" in r.why
    assert r.commands[0] == "mv ~/.local/lib/python3.11 ~/.local/lib/python3.11.disabled"
    required = check(probe, recipe, "packages.required")
    assert required.status == Status.FAIL and "(from ~/.local, shadowing the env)" in required.why


OWN = (UserDist("click", "8.1.7"), UserDist("envdoctor", "0.1.0", ("typer", "click")),
       UserDist("typer", "0.12.0", ("click",)))


def test_envdoctor_own_user_install_is_told_apart_with_its_uninstall() -> None:
    r = check(*derived("cerebras-ready", user_site=UserSite(USER_SITE, True, OWN)), "packages.user-site")
    assert r.status == Status.WARN and "envdoctor's own earlier install (envdoctor 0.1.0 and the 2 packages" in r.why
    assert r.commands == ("python3.11 -m pip uninstall -y envdoctor click typer",)


def test_envdoctor_own_leaves_what_another_user_package_needs() -> None:
    other = UserDist("rich-cli", "1.0", ("click",))
    assert [d.name for d in envdoctor_own(OWN + (other,))] == ["envdoctor", "typer"]
    assert envdoctor_own((other,)) == []


def test_a_recipe_that_uses_user_site_skips() -> None:
    probe, recipe = derived("cerebras-ready", user_site=UserSite(USER_SITE, True, (UserDist("numpy", "1.0"),)))
    assert check(probe, dataclasses.replace(recipe, user_site_ok=True), "packages.user-site").status == Status.SKIP


def test_facts_without_a_run_skip_required_and_read_user_site_alone() -> None:
    probe, recipe = load("cerebras-ready")
    f = probe.of(PythonEnvFacts)
    f = dataclasses.replace(f, env=dataclasses.replace(f.env, run=None),
                            user_site=UserSite(USER_SITE, True, (UserDist("numpy", "1.0"),)))
    probe = dataclasses.replace(probe, facts={**probe.facts, "python_env": f})
    assert check(probe, recipe, "packages.required").status == Status.SKIP
    r = check(probe, recipe, "packages.user-site")
    assert r.status == Status.WARN and "numpy 1.0" in r.why

