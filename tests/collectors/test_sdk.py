"""envdoctor.collectors.sdk: the recipe's SDK commands run in a real login shell of a simulated node."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from envhelpers import recipe

from envdoctor.checks.sdk import tools
from envdoctor.collectors.sdk import SdkFacts, SdkResult, activated, collect_sdk
from envdoctor.probe import Probe, ProbeContext
from envdoctor.recipe import SdkCommand
from envdoctor.results import Status


def command(cid: str, *argv: str, in_env: bool = False) -> SdkCommand:
    return SdkCommand(cid, cid, argv, "", "fix it", (), in_env, "")


def test_graphcore_tools_on_a_simulated_node_round_trip(sim_node) -> None:
    node, rec = sim_node("graphcore"), recipe("graphcore")
    facts = collect_sdk(ProbeContext(node, rec))
    popc, poptorch = facts.commands["popc-version"], facts.commands["poptorch-import"]
    assert popc.returncode == 0 and "POPLAR version 3.3.0" in popc.output and popc.argv == ("popc", "--version")
    assert poptorch.in_env and "does not exist" in poptorch.skipped and poptorch.returncode is None
    assert SdkFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    outcome = tools(Probe("sim", rec.platform, rec.release, {"sdk": facts}), rec)
    assert outcome.status is Status.OK and any("POPLAR version 3.3.0" in e for e in outcome.evidence)


def test_in_env_commands_run_with_the_env_activated(sim_node) -> None:
    node = sim_node("graphcore")
    rec = recipe("graphcore")
    env_dir = node.path(rec.environment.path)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env_dir], check=True)
    secret = "http://ada:hunter2@proxy.example:3128"
    rec = dataclasses.replace(rec, sdk=(
        command("where", "python", "-c", f"import sys, os; print(sys.prefix, os.environ['HOME'], '{secret}')",
                in_env=True),
        command("missing", "no-such-tool", "--version"),
        command("fails", "python", "-c", "import no_such_module", in_env=True)))
    facts = collect_sdk(ProbeContext(node, rec))
    where = facts.commands["where"]
    assert where.returncode == 0, where
    # Node paths are shown as the course writes them, and credentials never reach the facts.
    assert where.output.split()[:2] == [rec.environment.path, "~"] and "hunter2" not in where.output
    assert facts.commands["missing"] == SdkResult("missing", ("no-such-tool", "--version"), False, returncode=127,
                                                  not_found=True, output="no-such-tool: command not found")
    fails = facts.commands["fails"]
    assert fails.returncode == 1 and "ModuleNotFoundError" in fails.output
    assert SdkFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_no_login_shell_skips_every_command(sim_node) -> None:
    node = sim_node("graphcore")
    Path(node.path("~/.bash_profile")).write_text("exec /bin/false\n", encoding="utf-8")
    facts = collect_sdk(ProbeContext(node, recipe("graphcore")))
    assert {r.skipped for r in facts.commands.values()} == {"a login shell did not start (see shell.startup-files)"}
    assert collect_sdk(ProbeContext(node, recipe("graphcore", sdk=()))) == SdkFacts()


def test_activated_environment(sim_node) -> None:
    node, rec = sim_node("groq"), recipe("groq")
    login = {"PATH": "/usr/bin", "PYTHONHOME": "/x"}
    assert activated(ProbeContext(node, rec), login) is None  # the env does not exist yet
    prefix = node.path(rec.environment.path)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", prefix], check=True)
    env = activated(ProbeContext(node, rec), login)
    assert env is not None and env["PATH"] == f"{prefix}/bin:/usr/bin" and "PYTHONHOME" not in env
    assert env["CONDA_PREFIX"] == prefix and env["CONDA_DEFAULT_ENV"] == rec.environment.name  # groq's is conda
    assert login == {"PATH": "/usr/bin", "PYTHONHOME": "/x"}  # the login environment is not changed
