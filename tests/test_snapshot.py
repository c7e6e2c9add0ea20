"""Snapshots of hand-built nodes: real bash, real virtualenv, real git."""
from __future__ import annotations

import json

import pytest
from snaphelp import leaked

from envdoctor import snapshot
from envdoctor.recipe import catalog


@pytest.fixture
def graphcore():
    return catalog().get("graphcore")


def test_snapshot_fields(home_node, graphcore) -> None:
    t = home_node("alice")
    snap = snapshot.build(t, graphcore)
    assert snap["schema"] == "envdoctor/snapshot@1" and snap["envdoctor_version"]
    assert snap["platform"] == "graphcore" and snap["host"]["node_role"] == "run"
    login = snap["shells"]["login"]
    assert login["files"][:0] == [] and "~/.bashrc" in login["files"] and "/etc/bashrc" in login["files"]
    origins = {e["dir"]: e["origin"] for e in login["path"]}
    assert origins["/opt/slurm/bin"] == "/etc/bashrc:1"
    assert login["attribution"] == "exact"
    change = next(c for c in login["path_changes"] if "/opt/slurm/bin" in c["added"])
    assert change["file"] == "/etc/bashrc" and change["source_line"].startswith("PATH=")
    # batch shells (bash -l) run the same files here (no interactive guard)
    assert "~/.bashrc" in snap["shells"]["batch"]["files"]
    pk = snap["packages"]
    assert pk["source"] == "recipe environment" and pk["exists"]
    assert pk["dists"]["poptorch"] == "3.3.0"
    assert pk["python"] == "~/venvs/graphcore/poptorch33_env/bin/python"
    repo = snap["repos"]["examples"]
    assert repo["tags"] == ["v3.3.0"] and repo["at_ref"] is True and repo["modified"] == []
    assert repo["remote"].startswith("https://alice:REDACTED@github.com/")
    # allow-list: proxies (redacted) and SDK variables yes, tokens never
    env = snap["env"]
    assert env["https_proxy"] == "http://alice:REDACTED@proxy.alcf.anl.gov:3128"
    assert "GITHUB_TOKEN" not in env and "HF_TOKEN" not in env
    assert env["POPLAR_LICENSE_KEY"] == "REDACTED"
    assert env["PIP_INDEX_URL"] == "https://__token__:REDACTED@pypi.example.org/simple"
    assert snap["proxy"]["env"]["HTTPS_PROXY"].endswith("@proxy.alcf.anl.gov:3128")
    assert "~/.netrc" in snap["dotfiles"] and snap["dotfiles"]["~/.netrc"]["mode"] == "0o600"
    assert snap["interpreters"]["python3"]["version"]
    assert snap["active_env"]["source"] == "login shell"
    text = snapshot.dumps(snap)
    assert leaked(text) == []
    assert json.loads(text) == snap
    assert str(t.root) not in text  # paths are the course's spelling


def test_snapshot_path_origin_and_guard(home_node, graphcore) -> None:
    t = home_node("alice")
    bashrc = f"{t.home}/.bashrc"
    with open(bashrc, "a") as fh:
        fh.write('[[ $- != *i* ]] && return\nexport PATH=$HOME/ibin:$PATH\n')
    snap = snapshot.build(t, graphcore)
    lines = open(bashrc).read().splitlines()
    n = len(lines)
    login = {e["dir"]: e["origin"] for e in snap["shells"]["login"]["path"]}
    batch = {e["dir"]: e["origin"] for e in snap["shells"]["batch"]["path"]}
    assert login["~/ibin"] == f"~/.bashrc:{n}"
    assert "~/ibin" not in batch
    assert snap["shells"]["batch"].get("returned_early") == ["~/.bashrc"]


def test_generic_snapshot_without_recipe(home_node) -> None:
    t = home_node("alice")
    snap = snapshot.build(t, None)
    assert snap["platform"] is None and snap["packages"]["source"] == "python3 on PATH"
    assert snap["repos"] == {} and "node_role" not in snap["host"]
    assert leaked(snapshot.dumps(snap)) == []


def test_anonymize_masks_user_and_host(home_node, graphcore) -> None:
    t = home_node("alice")
    snap = snapshot.build(t, graphcore, anonymize=True)
    text = snapshot.dumps(snap)
    assert "alice" not in text and "gc-poplar-02" not in text
    assert snap["anonymized"] is True
    again = snapshot.build(t, graphcore, anonymize=True)
    assert again["user"] == snap["user"] and again["host"]["hostname"] == snap["host"]["hostname"]
    assert leaked(text) == []


def test_guess_recipe_from_sim_meta(home_node) -> None:
    t = home_node("alice")
    r = snapshot.guess_recipe(t)
    assert r is not None and r.platform == "graphcore"


def test_snapshot_is_a_view_of_a_recorded_probe(home_node, graphcore, monkeypatch) -> None:
    """build = collect + view: the view of a probe read back from its JSON is the same
    snapshot, and it starts no process and reads no file of the node."""
    import builtins
    import os
    import subprocess

    from envdoctor import proc
    from envdoctor.probe import Probe

    t = home_node("alice", broken=("repo-wrong-tag",))
    probe = snapshot.collect(t, graphcore)
    recorded = Probe.from_json(probe.to_json())

    def forbidden(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError(f"the view touched the node: {args[:1]}")

    for owner, name in ((proc, "run"), (proc, "bash"), (subprocess, "Popen"), (builtins, "open"), (os, "stat"),
                        (os, "listdir"), (os, "scandir")):
        monkeypatch.setattr(owner, name, forbidden)
    live, replayed = snapshot.view(probe, graphcore), snapshot.view(recorded, graphcore)
    monkeypatch.undo()
    live.pop("created"), replayed.pop("created")
    assert live == replayed and live["notes"] == []
    repo = live["repos"]["examples"]
    assert repo["git"] and not repo["at_ref"] and live["shells"]["login"]["attribution"] == "exact"
    assert snapshot.build(t, graphcore, probe=recorded)["repos"] == snapshot.build(t, graphcore)["repos"]
