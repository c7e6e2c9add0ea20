"""envdoctor.collectors.conda: an installation found in ~ (a conda stand-in that cannot answer `info`)."""
from __future__ import annotations

import json

from envhelpers import Node

from envdoctor.collectors.conda import CondaFacts, collect_conda
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_not_installed_names_where_it_is_expected(node: Node) -> None:
    facts = collect_conda(ProbeContext(node.target, generic_recipe()))
    assert facts == CondaFacts(False, expected_prefix="~/miniconda3")


def test_installed_but_conda_info_fails(node: Node) -> None:
    node.install_conda()
    facts = collect_conda(ProbeContext(node.target, generic_recipe()))
    assert facts.installed and facts.prefix == "~/miniconda3"
    assert "stand-in" in facts.error or "exit" in facts.error  # why `conda info --json` gave nothing
    assert facts.envs == () and facts.channels is None
    assert CondaFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
