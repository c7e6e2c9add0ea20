"""envdoctor.collectors.tool_config: ~/.condarc's download settings and git's global http settings."""
from __future__ import annotations

import json

from envhelpers import Node

from envdoctor.collectors.tool_config import ToolConfigFacts, collect_tool_config
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_condarc_subset_and_git_proxy(node: Node) -> None:
    node.write(".condarc", "channels:\n  - conda-forge\nproxy_servers:\n  https: http://proxy:3128\n"
               "changeps1: false\n")
    node.write(".gitconfig", "[http]\n\tproxy = http://ada:hunter2@proxy:3128\n[user]\n\tname = Ada\n")
    facts = collect_tool_config(ProbeContext(node.target, generic_recipe()))
    assert facts.condarc == {"channels": ["conda-forge"], "proxy_servers": {"https": "http://proxy:3128"}}
    assert facts.git == {"http.proxy": "http://ada:***@proxy:3128"}
    assert ToolConfigFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_broken_condarc_is_a_fact(node: Node) -> None:
    node.write(".condarc", "channels: [conda-forge\n")
    facts = collect_tool_config(ProbeContext(node.target, generic_recipe()))
    assert facts.condarc is None and "not valid YAML" in facts.condarc_error and facts.git is None
