"""envdoctor.collectors.session: the user's environment (a real login shell), allow-listed and redacted."""
from __future__ import annotations

import json

from envhelpers import PROFILE_SOURCING, Node

from envdoctor.collectors.session import LOGIN, SessionFacts, Spelling, collect_session, env_allowed, spelling
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def test_login_environment_allow_listed_with_credentials_redacted(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", 'export PATH="$HOME/tools/bin:/software/sdk/bin:$PATH"\n'
               "export PIP_INDEX_URL=https://ada:hunter2@pypi.example.org/simple\n"
               "export API_TOKEN=tok-123456\nexport POPLAR_SDK_ROOT=/software/sdk\n")
    (node.home / "tools" / "bin").mkdir(parents=True)
    (node.root / "software" / "sdk" / "bin").mkdir(parents=True)
    facts = collect_session(ProbeContext(node.target, generic_recipe()))
    assert facts.source == LOGIN
    assert facts.env["PIP_INDEX_URL"] == "https://ada:***@pypi.example.org/simple"
    assert facts.env["POPLAR_SDK_ROOT"] == "/software/sdk" and "API_TOKEN" not in facts.env
    assert all(env_allowed(k) for k in facts.env)
    dirs = {d.dir: d.is_dir for d in facts.path}
    assert dirs["~/tools/bin"] and dirs["/software/sdk/bin"]  # the node's /software, under its directory here
    assert "hunter2" not in json.dumps(facts.to_json())
    assert SessionFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_spelling_writes_home_and_node_paths_the_course_way(node: Node) -> None:
    norm = spelling(node.target).normaliser()
    assert norm(f"{node.home}/x:{node.root}/software/y") == "~/x:/software/y"
    assert norm(f"{node.home}x/y") == "/home/studentx/y"  # another user's home that starts the same way
    assert Spelling().normaliser()("/any/path") == "/any/path"
