"""envdoctor.collectors.pip_config: the user's pip config files, parsed, credentials redacted."""
from __future__ import annotations

import json

from envhelpers import Node

from envdoctor.collectors.pip_config import PipConfigFacts, PipFile, collect_pip_config
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_config_files_parsed_and_redacted(node: Node) -> None:
    node.write(".config/pip/pip.conf", "[global]\nindex-url = https://ada:hunter2@pypi.example.org/simple\n"
               "[install]\nuser = false\n")
    node.write(".pip/pip.conf", "index-url = no section header\n")
    facts = collect_pip_config(ProbeContext(node.target, generic_recipe()))
    assert facts.files["~/.config/pip/pip.conf"] == PipFile({
        "global.index-url": "https://ada:***@pypi.example.org/simple", "install.user": "false"})
    assert facts.files["~/.pip/pip.conf"].error == "unreadable (MissingSectionHeaderError)"
    text = json.dumps(facts.to_json())
    assert "hunter2" not in text
    assert PipConfigFacts.from_json(json.loads(text)) == facts
