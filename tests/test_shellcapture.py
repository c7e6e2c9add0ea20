"""envdoctor.shellcapture: the capture does not depend on the recipe, so `envdoctor check`
starts the probe's shells first; the probe claims them, and reads from them exactly what it
reads from shells it starts itself. `path_lookup` answers as bash's `type -P`."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from envdoctor import shellcapture
from envdoctor.collectors import shells
from envdoctor.diagnose import recipe_and_target
from envdoctor.probe import ProbeContext, collect
from envdoctor.shellcapture import path_lookup


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    shellcapture.forget()
    yield
    shellcapture.forget()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """The modes of the shells the probe starts itself (not the early ones)."""
    runs: List[str] = []
    real = shells.run_mode

    def run_mode(t: Any, r: Any, mode: str, *a: Any, **k: Any) -> Any:
        runs.append(mode)
        return real(t, r, mode, *a, **k)

    monkeypatch.setattr(shells, "run_mode", run_mode)
    return runs


def _modes(probe: Any) -> dict:
    return {m: replace(f, duration_ms=0) for m, f in probe.of(shells.ShellFacts).modes.items()}


def test_the_probe_claims_the_early_shells_and_reads_the_same_facts(sim_node: Any, counted: List[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVDOCTOR_FRESH", "1")  # the second probe captures afresh too
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    shellcapture.start_early("groq", "sim", node.root)
    assert shellcapture.pending() == len(shellcapture.EARLY_MODES)
    early = collect(ProbeContext(target, recipe, offline=True), only=("shells", "sdk"))
    assert counted == [] and shellcapture.pending() == 0  # every shell it read was an early one
    own = collect(ProbeContext(target, recipe, offline=True), only=("shells", "sdk"))
    assert sorted(counted) == sorted(shellcapture.EARLY_MODES)
    assert _modes(early) == _modes(own) and early.errors == own.errors == {}
    login = _modes(early)["login"]
    assert login.reached and login.conda_type == "function" and login.which["qsub"].endswith("/qsub")


def test_a_probe_with_details_or_another_timeout_starts_its_own(sim_node: Any, counted: List[str]) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    shellcapture.start_early("groq", "sim", node.root)
    probe = collect(ProbeContext(target, recipe, offline=True, details=True), only=("shells",))
    assert probe.of(shells.ShellFacts).modes["login"].python3_version  # its own shell, with details
    collect(ProbeContext(target, recipe, offline=True, timeout=7.0), only=("shells",))
    assert counted.count("login") == 2


def test_bad_input_is_left_to_the_command() -> None:
    shellcapture.start_early("groq", "sim", "/nonexistent")  # no exception, nothing started
    assert shellcapture.pending() == 0


@pytest.mark.parametrize("path", [
    "{d}/c:{d}/a:{d}/b:/usr/bin:/bin",  # a directory and a non-executable file come first
    "{d}/c:{d}/a:/usr/bin:/bin",  # only a non-executable file: bash prints nothing
    ":/usr/bin:/bin", ".:/usr/bin", "b:/usr/bin", "/nonexistent:{d}/b", "",
])
def test_path_lookup_prints_what_bash_type_P_prints(tmp_path: Path, path: str) -> None:
    d = tmp_path
    for sub in "abc":
        (d / sub).mkdir()
    (d / "a" / "foo").write_text("not a program\n")
    (d / "b" / "foo").write_text("#!/bin/sh\n")
    (d / "b" / "foo").chmod(0o755)
    (d / "c" / "foo").mkdir()
    value = path.format(d=d)
    for cwd in (d, d / "b"):
        bash = subprocess.run(["bash", "--norc", "--noprofile", "-c", 'PATH="$1"; type -P foo', "-", value],
                              capture_output=True, text=True, cwd=cwd, timeout=30)
        assert path_lookup(value, "foo", str(cwd)) == bash.stdout.strip(), (value, cwd)


def test_the_capture_is_the_same_for_every_recipe() -> None:
    """What makes the early start possible: nothing in the script comes from a recipe."""
    plain = shellcapture.capture_script()
    assert "qsub" not in plain and "python_version" not in plain and "activate" not in plain
    assert "conda activate x" in shellcapture.capture_script("conda activate x", details=True)


# --- reuse: a batch or script shell's facts, while nothing it read has changed -----------------

def _probe(target: Any, recipe: Any, **kw: Any) -> Any:
    return collect(ProbeContext(target, recipe, offline=True, **kw), only=("shells",))


def _reused(probe: Any) -> dict:
    return {m: f.reused for m, f in probe.of(shells.ShellFacts).modes.items()}


def test_unchanged_startup_files_let_the_batch_shells_facts_be_reused(sim_node: Any, counted: List[str]) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    first = _probe(target, recipe)
    second = _probe(target, recipe)
    assert counted == ["batch", "script", "login", "login"]  # the login shell always runs
    assert _reused(first) == {"login": False, "batch": False, "script": False}
    assert _reused(second) == {"login": False, "batch": True, "script": True}
    assert {m: replace(f, reused=False) for m, f in _modes(second).items()} == _modes(first)
    shellcapture.start_early("groq", "sim", node.root)  # the entry point starts only the login shell
    assert shellcapture.pending() == 1


@pytest.mark.parametrize("change", ["bashrc", "new program", "condarc", "conda"])
def test_a_change_to_what_the_shell_read_means_a_fresh_capture(sim_node: Any, change: str) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    before = _probe(target, recipe).of(shells.ShellFacts).modes["batch"]
    home = Path(target.home)
    if change == "bashrc":
        with open(home / ".bashrc", "a") as fh:
            fh.write("export PATH=$HOME/tools:$PATH\n")
    elif change == "new program":  # where commands resolve: a directory on PATH gains one
        qsub = Path(target.path("/opt/pbs/bin")) / "qsub-wrapper"
        qsub.write_text("#!/bin/sh\n")
    elif change == "condarc":
        (home / ".condarc").write_text("auto_activate_base: true\n")
    else:  # conda itself replaced (an update)
        conda = home / "miniconda3" / "bin" / "conda"
        conda.write_text(conda.read_text() + "\n")
    after = _probe(target, recipe).of(shells.ShellFacts).modes["batch"]
    assert not after.reused and not before.reused
    if change == "bashrc":
        assert after.env["PATH"].startswith("~/tools:")


def test_envdoctor_fresh_turns_reuse_off(sim_node: Any, monkeypatch: pytest.MonkeyPatch, counted: List[str]) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    _probe(target, recipe)
    monkeypatch.setenv("ENVDOCTOR_FRESH", "1")
    assert not any(_reused(_probe(target, recipe)).values())
    assert counted.count("batch") == 2


def test_a_probe_with_details_never_reuses(sim_node: Any) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    _probe(target, recipe)
    assert not any(_reused(_probe(target, recipe, details=True)).values())


def test_a_damaged_record_is_a_fresh_capture(sim_node: Any) -> None:
    node = sim_node("groq", ready=True)
    recipe, target = recipe_and_target("groq", None, "sim", node.root)
    _probe(target, recipe)
    for record in (Path(os.environ["XDG_CACHE_HOME"]) / "envdoctor").glob("shell-*.json"):
        data = json.loads(record.read_text())
        for facts in data["facts"].values():
            facts["reached"] = "yes"  # not a bool: FactsError
        record.write_text(json.dumps(data))
    assert not any(_reused(_probe(target, recipe)).values())
