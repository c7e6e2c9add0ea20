"""envdoctor.collectors.dotfiles: which dotfiles exist and their permissions."""
from __future__ import annotations

import json

from envhelpers import Node

from envdoctor.collectors.dotfiles import DotfilesFacts, collect_dotfiles
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_modes_of_existing_dotfiles(node: Node) -> None:
    node.write(".bashrc", "export A=1\n", 0o644)
    node.write(".netrc", "machine example.org login ada password hunter2\n", 0o600)
    (node.home / ".local" / "bin").mkdir(parents=True)
    (node.home / ".local" / "bin").chmod(0o700)
    facts = collect_dotfiles(ProbeContext(node.target, generic_recipe()))
    assert facts.modes == {"~/.bashrc": "0o644", "~/.netrc": "0o600", "~/.local/bin": "0o700"}
    assert "hunter2" not in json.dumps(facts.to_json())
    assert DotfilesFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
