"""envdoctor.collectors.host: typed host facts from a real simulated node, and their JSON round trip."""
from __future__ import annotations

import json
import os
from pathlib import Path

from envhelpers import recipe

from envdoctor.collectors.host import HomeState, HostFacts, collect_host, home_state
from envdoctor.probe import Probe, ProbeContext, collect


def test_host_facts_of_a_simulated_node_round_trip(sim_node) -> None:
    node = sim_node("groq")
    facts = collect_host(ProbeContext(node, recipe("groq")))
    assert isinstance(facts, HostFacts) and isinstance(facts.home_state, HomeState)
    assert (facts.hostname, facts.short, facts.role) == ("groq-r01-gn-01", "groq-r01-gn-01", "run")
    assert facts.simulated and facts.target == "sim" and facts.current_env is None and facts.job == {}
    assert facts.home_state.exists and facts.home_state.writable and facts.home_state.mode.startswith("d")
    assert facts.home_state.owner_uid == os.stat(node.home).st_uid
    assert HostFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_probe_json_loads_typed_host_facts(sim_node) -> None:
    node = sim_node("graphcore")
    probe = collect(ProbeContext(node, recipe("graphcore"), offline=True), only=("host",))
    assert not probe.errors, probe.errors
    again = Probe.from_json(probe.to_json())
    assert again.of(HostFacts) == probe.of(HostFacts)
    assert json.loads(probe.to_json())["facts"]["host"]["home_state"]["writable"] is True  # the wire form


def test_home_state_names_what_is_wrong(tmp_path: Path) -> None:
    assert home_state(str(tmp_path / "gone")) == HomeState(False, error="does not exist")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert home_state(str(tmp_path / "file")) == HomeState(False, error="is not a directory")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert home_state(str(tmp_path / "dangling")).error == "is not a directory"
    ok = home_state(str(tmp_path))
    assert ok.writable and ok.error == "" and not list(tmp_path.glob(".envdoctor-write-test.*"))


def test_old_probe_without_the_optional_fields_loads() -> None:
    """A home that could not be stat'ed was recorded without `mode` and `owner_uid`."""
    data = {"hostname": "gc-poplar-02", "short": "gc-poplar-02", "role": "run", "target": "real", "simulated": False,
            "user": "ada", "home": "/home/ada", "home_display": "~",
            "home_state": {"exists": True, "writable": False, "error": "Permission denied"},
            "current_env": {"PATH": "/usr/bin"}, "job": {"SLURM_JOB_ID": "42"}}
    facts = HostFacts.from_json(data)
    assert facts.home_state == HomeState(True, False, "Permission denied") and facts.job == {"SLURM_JOB_ID": "42"}
    assert facts.current_env == {"PATH": "/usr/bin"}
