"""envdoctor.collectors.provenance: which startup file put each PATH entry there (real bash replays)."""
from __future__ import annotations

import json

from envhelpers import PROFILE_SOURCING, Node

from envdoctor.collectors.provenance import (
    PathChange,
    ProvenanceFacts,
    collect_provenance,
    parse_state,
    parse_trace,
)
from envdoctor.probe import ProbeContext
from envdoctor.snapshot import generic_recipe


def _line(source: str, lineno: int, path: str, command: str) -> str:
    return f"+@@EDX@@{source}@@{lineno}@@{path}@@ {command}"


def test_trace_attributes_each_new_entry_to_the_command_before_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rc = tmp_path / "rc"
    rc.write_text("export PATH=/opt/a/bin:$PATH\nPATH=${PATH/\\/opt\\/a\\/bin:/}\n")
    stderr = "\n".join([
        "noise that is not a trace line",
        _line(str(rc), 1, "/usr/bin:/bin", "export PATH=/opt/a/bin:/usr/bin:/bin"),
        _line(str(rc), 2, "/opt/a/bin:/usr/bin:/bin", "PATH=/usr/bin:/bin"),
        _line("", 3, "/usr/bin:/bin", "set +x"),
    ])
    files, changes, origins, final = parse_trace(stderr, lambda s: s)
    assert files == [str(rc)] and final == "/usr/bin:/bin"
    assert changes == [
        PathChange(str(rc), 1, "export PATH=/opt/a/bin:/usr/bin:/bin", ("/opt/a/bin",), (),
                   "export PATH=/opt/a/bin:$PATH"),
        PathChange(str(rc), 2, "PATH=/usr/bin:/bin", (), ("/opt/a/bin",), "PATH=${PATH/\\/opt\\/a\\/bin:/}"),
    ]
    assert origins == {"/opt/a/bin": f"{rc}:1"}


def test_state_without_its_marker_did_not_start() -> None:
    state = parse_state("bash: line 1: syntax error\n", lambda s: s)
    assert not state.reached and state.path == "" and state.modules is None
    text = "\n@@EDSTATE@@\nPATH\t/home/u/bin:/bin\nconda\tfunction\nwhich.python3\t/usr/bin/python3\nmodules\ta b\n"
    state = parse_state(text, lambda s: s.replace("/home/u", "~"))
    assert state.reached and state.path == "~/bin:/bin" and state.conda == "function"
    assert state.which == {"python3": "/usr/bin/python3"} and state.modules == ("a", "b")


def test_real_bash_replay_of_a_node(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", 'export PATH="$HOME/tools/bin:$PATH"\ncase $- in *i*) ;; *) return;; esac\n'
               'export PATH="$HOME/ibin:$PATH"\n')
    facts = collect_provenance(ProbeContext(node.target, generic_recipe()))
    login, batch, interactive = (facts.contexts[m] for m in ("login", "batch", "interactive"))
    assert login.flags == "bash -l -i" and batch.flags == "bash -l"
    assert "~/.bashrc" in batch.files and "~/.bash_profile" in batch.files
    assert batch.origins["~/tools/bin"] == "~/.bashrc:1" and "~/ibin" not in batch.origins  # the guard returned
    assert login.origins["~/ibin"] == "~/.bashrc:3"
    assert login.real is None and batch.real is None  # the `shells` collector starts those for real
    assert login.replay_path.startswith("~/ibin:~/tools/bin:") and login.replay.reached
    assert interactive.origins["~/ibin"] == "~/.bashrc:3"
    assert interactive.real is not None and interactive.real.reached
    assert interactive.real.path.split(":")[:2] == ["~/ibin", "~/tools/bin"]
    assert interactive.real.python3_version.count(".") == 2
    assert facts.inherited == ("/usr/local/bin", "/usr/bin", "/bin")
    wire = json.loads(json.dumps(facts.to_json()))
    assert str(node.root) not in json.dumps(wire)  # the course's spelling only
    assert ProvenanceFacts.from_json(wire) == facts
