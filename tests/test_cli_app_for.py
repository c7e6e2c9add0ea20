"""envdoctor.cli.app_for: a command line gets an app holding only its command, and says
exactly what the whole app would say (usage, errors, exit codes)."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import List

import pytest

from envdoctor import cli

_RUN = """
import sys
from envdoctor import cli
from envdoctor.errors import run_guarded
args = sys.argv[2:]
app = cli.app if sys.argv[1] == "whole" else cli.app_for(args)
sys.exit(run_guarded(lambda: app(args=args, prog_name="envdoctor", complete_var="_ENVDOCTOR_COMPLETE",
                                 standalone_mode=False) or 0))
"""


@pytest.mark.parametrize("args", [
    ["check", "groq", "--bogus"], ["check"], ["check", "--help"], ["check", "groq", "-r"], ["sim", "--help"],
    ["sim", "faults"], ["class", "report"], ["setup", "groq", "--nope"], ["run", "--help"], ["platforms", "x"],
    ["chek", "groq"], ["--version"], [],
])
def test_the_one_command_app_says_what_the_whole_app_says(args: List[str]) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    whole, one = (subprocess.run([sys.executable, "-c", _RUN, which, *args], capture_output=True, text=True, env=env,
                                 timeout=60) for which in ("whole", "one"))
    assert (one.returncode, one.stdout, one.stderr) == (whole.returncode, whole.stdout, whole.stderr)
    assert whole.stdout or whole.stderr  # every case prints something to compare


def test_only_the_named_command_is_built() -> None:
    one = cli.app_for(["check", "groq"])
    assert [c.callback.__name__ for c in one.registered_commands if c.callback] == ["check"]
    assert not one.registered_groups and cli.app.registered_commands != one.registered_commands
    assert [g.name for g in cli.app_for(["sim", "faults"]).registered_groups] == ["sim"]


@pytest.mark.parametrize("args", [[], ["--help"], ["nosuch"], ["-v", "check"]])
def test_anything_but_a_command_name_first_gets_the_whole_app(args: List[str]) -> None:
    assert cli.app_for(args) is cli.app


def test_shell_completion_gets_the_whole_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_ENVDOCTOR_COMPLETE", "complete_bash")
    assert cli.app_for(["check"]) is cli.app
