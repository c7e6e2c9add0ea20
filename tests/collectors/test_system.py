"""envdoctor.collectors.system: operating system, CPUs, memory."""
from __future__ import annotations

import json
import platform

from envhelpers import Node

from envdoctor.collectors.system import SystemFacts, collect_system, distro
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_distro_from_os_release(tmp_path) -> None:  # type: ignore[no-untyped-def]
    os_release = tmp_path / "os-release"
    os_release.write_text('NAME="Rocky Linux"\nPRETTY_NAME="Rocky Linux 8.10 (Green Obsidian)"\n')
    assert distro(str(os_release)) == "Rocky Linux 8.10 (Green Obsidian)"
    assert distro(str(tmp_path / "missing")) == ""


def test_facts_of_this_machine(node: Node) -> None:
    facts = collect_system(ProbeContext(node.target, generic_recipe()))
    assert facts.os.system == platform.system() and facts.os.kernel == platform.release()
    assert facts.cpus >= 1 and facts.memory_gb > 0
    assert SystemFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
