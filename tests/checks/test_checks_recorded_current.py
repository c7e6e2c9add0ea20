"""The recorded probes (tests/checks/probes/) are complete, current and hold nothing of the
machine they were recorded on; re-recording one state gives the same file."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from checks.recorded import PROBES, SCRIPT, comparable, differences, names, recorder


def test_every_state_the_builder_can_make_is_recorded() -> None:
    """A new fault or platform state needs a recording (scripts/record-probes makes it); a
    state the recording machine could not build is listed in probes/SKIPPED with the reason."""
    script = recorder()
    wanted, skipped = set(script.all_names()), script.read_skipped(PROBES)
    assert all(why.strip() for why in skipped.values()), skipped
    assert not set(skipped) & set(names()), "recorded and listed as skipped"
    have = set(names()) | set(skipped)
    assert have == wanted, {"missing": sorted(wanted - have), "extra": sorted(have - wanted)}


def test_recordings_hold_nothing_of_the_recording_machine() -> None:
    script = recorder()
    for name in names():
        text = (PROBES / f"{name}.json").read_text(encoding="utf-8")
        assert not script.leaks(text), (name, script.leaks(text))
        # the node's temporary root is /sim-node, the machine's temporary directory /machine/tmp
        assert not re.search(rf"(?<![\w.~-]){re.escape(tempfile.gettempdir())}/", text), name
        assert not re.search(rf"(?<![\w.~-]){re.escape(str(Path.home()))}(?=[/\"])", text), name
        assert "/sim-node/home/student" in text, name
        data = json.loads(text)
        assert data["duration_ms"] == 0 and set(data["timings_ms"].values()) == {0}, name


def test_normalizing_replaces_the_node_root_and_the_machine_paths() -> None:
    script = recorder()

    class Node:
        root = "/tmp/envdoctor-record-x/node"
        meta = {"python_versions": {"3.10.12": "3.10.13"},
                "interpreters": {"3.10.12": "/opt/pythons/3.10.13/bin/python3.10"},
                "system_python3": {"path": "/usr/bin/python3.9", "version": "3.9.18"}}

    probe = {"schema": "envdoctor/probe@1", "duration_ms": 812, "timings_ms": {"host": 3},
             "facts": {"host": {"home": "/tmp/envdoctor-record-x/node/home/student"},
                       "python_env": {"env": {"pyvenv_cfg": {"home": "/opt/pythons/3.10.13/bin"},
                                              "run": {"duration_ms": 350}},
                                      "system": "/usr/bin/python3.9"},
                       "shells": {"modes": {"login": {"env": {"TOKEN_URL": "https://x.invalid/?token=ghp_" + "a" * 36}}}}}}
    out = json.loads(script.normalized(json.dumps(probe), script.substitutions(Node())))
    assert out["facts"]["host"]["home"] == "/sim-node/home/student"
    assert out["facts"]["python_env"]["env"]["pyvenv_cfg"]["home"] == "/machine/python-3.10.13/bin"
    assert out["facts"]["python_env"]["system"] == "/usr/bin/python3.9"  # the node's own /usr stays
    assert out["duration_ms"] == 0 and out["timings_ms"] == {"host": 0}
    assert out["facts"]["python_env"]["env"]["run"]["duration_ms"] == 0
    assert "ghp_" not in json.dumps(out)  # redacted


@pytest.mark.slow
def test_re_recording_a_ready_node_gives_the_stored_recording(tmp_path: Path) -> None:
    """Builds a real node (tens of seconds): when a collector's facts change, the stored
    recordings are stale and this says to run scripts/record-probes."""
    name = "sambanova-ready"
    done = subprocess.run([sys.executable, str(SCRIPT), name, "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    fresh = (tmp_path / f"{name}.json").read_text(encoding="utf-8")
    stored = (PROBES / f"{name}.json").read_text(encoding="utf-8")
    changed = differences(comparable(stored), comparable(fresh))
    assert not changed, (f"tests/checks/probes/{name}.json is stale (differs at {', '.join(changed[:8])}): "
                         "run `.venv/bin/python scripts/record-probes` and commit the recordings")
