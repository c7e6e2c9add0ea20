"""envdoctor.collectors.repos: a real clone (local bare upstream), its HEAD, ref, work tree; typed and round-tripped."""
from __future__ import annotations

import json
from pathlib import Path

from envhelpers import Node, git, recipe, upstream

from envdoctor.collectors.repos import Clone, ReposFacts, collect_repos, origin_url, repo_facts
from envdoctor.probe import ProbeContext
from envdoctor.recipe import Repo


def _repo(url: str, ref: str = "v1.1") -> Repo:
    return Repo("examples", url, ref, "tag", "~/examples", ("VERSION",), "", "")


def test_clone_at_another_tag_with_local_changes(node: Node, tmp_path: Path) -> None:
    bare = upstream(tmp_path / "up", "examples", ["v1.0", "v1.1"])
    dest = node.home / "examples"
    git("clone", "-q", str(bare), str(dest))
    git("checkout", "-q", "v1.0", cwd=dest)
    (dest / "VERSION").write_text("edited\n")
    (dest / "notes.txt").write_text("mine\n")
    (dest / "scratch.txt").write_text("mine too\n")
    f = repo_facts(node.target, _repo(str(bare)), 10.0)
    assert f.exists and f.is_git and f.detached and f.branch == ""
    assert f.tags_at_head == ("v1.0",) and f.describe == "v1.0"
    assert f.ref_commit and f.head != f.ref_commit  # v1.1 exists here, HEAD is elsewhere
    assert f.modified == ("VERSION",) and f.untracked == 2
    assert f.required_files == {"VERSION": True}
    assert f.origin == str(bare) == origin_url(str(dest / ".git"))


def test_missing_and_not_a_clone(node: Node) -> None:
    missing = repo_facts(node.target, _repo("https://example.invalid/x.git"), 5.0)
    assert missing == Clone("examples", "~/examples", False, False, "v1.1", "tag")
    (node.home / "examples").mkdir()
    (node.home / "examples" / "a.txt").write_text("copied by hand\n")
    copy = repo_facts(node.target, _repo("https://example.invalid/x.git"), 5.0)
    assert copy.exists and not copy.is_git and copy.entries == 1 and copy.head == ""


def test_facts_round_trip_in_the_probe_wire_form(node: Node, tmp_path: Path) -> None:
    bare = upstream(tmp_path / "up", "examples", ["v1.1"])
    git("clone", "-q", "--branch", "v1.1", str(bare), str(node.home / "examples"))
    rec = recipe("graphcore", repos=(_repo(str(bare)),))
    facts = collect_repos(ProbeContext(node.target, rec))
    wire = json.loads(json.dumps(facts.to_json()))
    assert set(wire) == {"examples"} and wire["examples"]["head"] == facts.clones["examples"].head
    assert ReposFacts.from_json(wire) == facts
    assert facts.clones["examples"].head == facts.clones["examples"].ref_commit
