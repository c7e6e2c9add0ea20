"""envdoctor.collectors.interpreters: python3 on a real login shell's PATH, its version and distributions."""
from __future__ import annotations

import json
import re

from envhelpers import Node

from envdoctor.collectors.interpreters import InterpretersFacts, collect_interpreters
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_python3_on_path_and_its_distributions(node: Node) -> None:
    facts = collect_interpreters(ProbeContext(node.target, generic_recipe()))
    assert facts.python3.found and re.fullmatch(r"\d+\.\d+\.\d+", facts.python3.version)
    assert facts.recipe.path == "" and not facts.recipe.found and facts.recipe_base is None
    # Without an environment directory, python3 on PATH is what a snapshot lists packages of.
    assert facts.packages_of == facts.python3.path and facts.run is not None and facts.run.ok
    assert facts.run.version == facts.python3.version and facts.run.dists
    assert InterpretersFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
