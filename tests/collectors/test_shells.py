"""Collectors: startup-file analysis, bash traces, and the probe's JSON round trip."""
from __future__ import annotations

import json

from envhelpers import GUARD, PROFILE_SOURCING, Node, recipe

from envdoctor.collectors.shells import analyse_text, login_reads, parse_trace, read_startup_file
from envdoctor.probe import Probe, ProbeContext, collect


def test_analyse_text_finds_blocks_guards_and_sourcing() -> None:
    text = ("# rc\n" + GUARD + "# >>> conda initialize >>>\n__conda_setup=\"$('/h/miniconda3/bin/conda' 'shell.bash' "
            "'hook' 2> /dev/null)\"\n# <<< conda initialize <<<\nsource ~/.bashrc\nconda activate groqflow\n")
    facts = analyse_text(text)
    assert facts["guards"] == [{"line": 2, "text": "case $- in"}]
    assert facts["conda_blocks"] == [{"start": 6, "end": 8, "prefix": "/h/miniconda3"}]
    assert facts["sources_bashrc"] == [9]
    assert facts["activations"][0]["line"] == 10


def test_guard_spellings() -> None:
    for line in ('[ -z "$PS1" ] && return', "[[ $- != *i* ]] && return", '[ -z "${PS1-}" ] && return',
                 "case $- in *i*) ;; *) return;; esac", 'if [[ "$-" != *i* ]]; then\n  return\nfi'):
        assert analyse_text(line + "\n")["guards"], line
    for line in ('PS1="[\\u@\\h]$ "', "echo $-", "return 0 2>/dev/null"):
        assert not analyse_text(line + "\n")["guards"], line


def test_login_reads_precedence(node: Node) -> None:
    node.write(".profile", "echo profile\n")
    t = node.target
    files = {n: read_startup_file(t, n) for n in ("~/.bash_profile", "~/.bash_login", "~/.profile", "~/.bashrc")}
    assert login_reads(files) == "~/.profile"
    node.write(".bash_login", "echo login\n")
    files["~/.bash_login"] = read_startup_file(t, "~/.bash_login")
    assert login_reads(files) == "~/.bash_login"


def test_parse_trace_attributes_returns_and_blocks() -> None:
    trace = "\n".join([
        "+ '[' -f /h/.bashrc ']'", "+ . /h/.bashrc", "++ case $- in", "++ return", "+ : envdoctor-probe-start",
        "+ . /h/late", "++ return",
    ])
    facts = parse_trace(trace)
    assert facts["sourced"] == ["/h/.bashrc"]
    assert facts["returned_early"] == ["/h/.bashrc"]


def test_probe_json_round_trip_and_display_paths(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", "export HTTPS_PROXY=http://me:secret@proxy:3128\n" + node.conda_block())
    probe = collect(ProbeContext(node.target, recipe("groq"), offline=True))
    assert not probe.errors, probe.errors
    again = Probe.from_json(probe.to_json())
    assert again.facts == json.loads(json.dumps(probe.facts))
    text = probe.to_json()
    assert "secret" not in text
    login = probe.get("shells.modes.login")
    assert login["conda_defined_at"]["file"] == "~/.bashrc"
    assert login["env"]["HTTPS_PROXY"] == "http://me:***@proxy:3128"
    assert probe.get("shells.conda.display") == "~/miniconda3"
    assert set(probe.timings_ms) >= {"host", "shells", "python_env", "repos", "configs", "network", "disk",
                                     "scheduler", "sdk"}


def test_collectors_survive_a_hostile_home(node: Node) -> None:
    (node.home / ".bashrc").mkdir()
    (node.home / ".profile").symlink_to("/nonexistent/profile")
    node.write(".bash_profile", "read -r x\nexec /bin/false\n")
    probe = collect(ProbeContext(node.target, recipe("cerebras"), offline=True))
    assert not probe.errors, probe.errors
    files = probe.get("shells")["files"]
    assert files["~/.bashrc"]["error"] == "is a directory, not a file"
    assert "does not exist" in files["~/.profile"]["error"]
    assert probe.get("shells.modes.login.reached") is False
