"""`envdoctor check P`: the probe's login shell starts before typer and the checks are imported
(envdoctor.__main__ reads the command line simply; typer still parses it), and the probe claims
that shell instead of starting a second one."""
from __future__ import annotations

from typing import List, Optional, Tuple

import pytest

import envdoctor.__main__ as entry
import envdoctor.diagnose as diagnose
from envdoctor.collectors import shells
from envdoctor.probe import ProbeContext, collect

Started = Tuple[str, Optional[str], str, Optional[str]]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> List[Started]:
    calls: List[Started] = []
    monkeypatch.setattr(diagnose, "start_early", lambda *a: calls.append(a))
    return calls


@pytest.mark.parametrize("argv, expect", [
    (["check", "groq"], ("groq", None, "real", None)),
    (["check", "groq", "--target", "sim", "--sim-root", "/n", "--offline", "--json"], ("groq", None, "sim", "/n")),
    (["check", "--target=sim", "-r", "R_2.3.0", "cerebras", "-v"], ("cerebras", "R_2.3.0", "sim", None)),
    (["check", "groq", "--junit", "out.xml", "--fix", "--yes"], ("groq", None, "real", None)),
])
def test_a_plain_check_starts_its_login_shell_early(started: List[Started], argv: List[str], expect: Started) -> None:
    entry._start_check_early(argv)
    assert started == [expect]


@pytest.mark.parametrize("argv", [
    ["setup", "groq"], ["check"], ["check", "groq", "--only", "disk"], ["check", "groq", "--in-job"],
    ["check", "groq", "--bogus"], ["check", "groq", "extra"], ["check", "groq", "--target"], ["check", "--help"],
])
def test_anything_else_starts_nothing(started: List[Started], argv: List[str]) -> None:
    entry._start_check_early(argv)
    assert started == []


def test_bad_input_is_left_to_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    diagnose.start_early("no-such-platform", None, "sim", "/nonexistent")  # no exception, nothing started
    assert not shells._EARLY


def test_the_probe_claims_the_early_login_shell(sim_node, monkeypatch: pytest.MonkeyPatch) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = diagnose.recipe_and_target("groq", None, "sim", node.root)
    runs: List[str] = []
    real_run_mode = shells.run_mode
    monkeypatch.setattr(shells, "run_mode", lambda t, r, mode, *a, **k: runs.append(mode) or real_run_mode(t, r, mode, *a, **k))
    shells.start_early(target, recipe)
    probe = collect(ProbeContext(target, recipe, offline=True), only=("shells", "sdk"))
    assert runs.count("login") == 1 and not shells._EARLY
    login = probe.of(shells.ShellFacts).modes["login"]
    assert login.reached and login.conda_type == "function"
    assert probe.errors == {}


def test_a_probe_with_details_does_not_take_a_shell_started_without(sim_node) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = diagnose.recipe_and_target("groq", None, "sim", node.root)
    shells.start_early(target, recipe)
    probe = collect(ProbeContext(target, recipe, offline=True, details=True), only=("shells",))
    assert probe.of(shells.ShellFacts).modes["login"].python3_version  # its own shell, with details
    shells._EARLY.clear()
