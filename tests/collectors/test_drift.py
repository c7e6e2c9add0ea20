"""envdoctor.collectors.drift: the leftovers of an older state of the guide, as typed facts that
survive a JSON round trip, on a real simulated node."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envdoctor.collectors.drift import DriftFacts, collect_drift, entries
from envdoctor.probe import Probe, ProbeContext
from envdoctor.recipe import catalog


def test_entries_are_the_current_recipes_with_where_it_builds() -> None:
    found = {e.id: e for e in entries("cerebras")}
    current = catalog().get("cerebras")
    assert found["older-release-env"].paths == ("~/R_*/venv_cerebras_pt",)
    assert found["older-release-env"].current_env == current.environment.path
    assert found["cs2-login"].hosts and not found["cs2-login"].paths
    assert len(found["cs2-login"].sources) == 2 and len(found["older-release-env"].sources) == 1  # list or string
    assert entries("no-such-platform") == []


def test_an_older_release_env_is_found_and_round_trips(sim_node: Any) -> None:
    node = sim_node("cerebras")
    recipe = catalog().get("cerebras")
    (Path(node.home) / "R_2.3.0" / "venv_cerebras_pt").mkdir(parents=True)  # left from the 2024 course
    (Path(node.home) / "R_2.9.0").mkdir()  # a release directory without the env is not drift
    current = Path(node.path(recipe.environment.path))
    current.mkdir(parents=True)  # the current env matches the glob too, and is not drift
    facts = collect_drift(ProbeContext(node, recipe, offline=True))
    assert isinstance(facts, DriftFacts)
    assert facts.paths == {"older-release-env": ("~/R_2.3.0/venv_cerebras_pt",)}
    assert facts.active_env == ""  # a simulated node has no shell envdoctor runs in
    assert DriftFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    again = Probe.from_json(Probe("sim", "cerebras", recipe.release, {"drift": facts}).to_json())
    assert again.of(DriftFacts) == facts


def test_a_node_without_leftovers_has_none(sim_node: Any) -> None:
    node = sim_node("graphcore")  # graphcore's drift is a renamed host: no paths to look for
    facts = collect_drift(ProbeContext(node, catalog().get("graphcore"), offline=True))
    assert facts == DriftFacts()
    assert facts.to_json() == {"paths": {}, "active_env": ""}
