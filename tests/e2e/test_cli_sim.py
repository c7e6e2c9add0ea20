"""One simulated node, end to end through the installed command line, under the Python that
runs the tests (scripts/test-pythons runs it on 3.8 and on the newest CPython too):
sim create -> check (fails) -> setup -> check (healthy, JSON) -> run -> explain a real error.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import envdoctor

pytestmark = pytest.mark.slow


def envdoctor_cmd(*argv: str, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "envdoctor", *argv], capture_output=True, text=True, input=stdin,
                          timeout=timeout)


def test_groq_node_check_setup_run_explain(tmp_path: Path) -> None:
    root = tmp_path / "node"
    sim = ("--target", "sim", "--sim-root", str(root))
    made = envdoctor_cmd("sim", "create", "groq", "--root", str(root))
    assert made.returncode == 0, made.stderr

    before = envdoctor_cmd("check", "groq", *sim, "--json")
    assert before.returncode == 1, before.stderr
    failing = {c["id"] for c in json.loads(before.stdout)["checks"] if c["status"] == "fail"}
    assert {"conda.installed", "conda.env-exists", "repo.cloned"} <= failing, failing

    setup = envdoctor_cmd("setup", "groq", *sim, "--yes")
    assert setup.returncode == 0, setup.stderr[-3000:] + setup.stdout[-3000:]

    after = envdoctor_cmd("check", "groq", *sim, "--json")
    report = json.loads(after.stdout)
    assert after.returncode == 0, [c for c in report["checks"] if c["status"] in ("fail", "error")]
    assert report["envdoctor_version"] == envdoctor.__version__ and report["exit_code"] == 0
    assert not [c for c in report["checks"] if c["status"] in ("fail", "error")]

    run = envdoctor_cmd("run", "groq", *sim, "--json")
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads(run.stdout)
    assert record["status"] == "ok" and record["metrics"], record
    assert record["envdoctor_version"] == envdoctor.__version__

    # A real error from the node: the system python3 (not the course's env) lacks groqflow.
    node_python3 = root / "usr" / "bin" / "python3"
    crash = subprocess.run([str(node_python3), "-c", "import groqflow"], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONNOUSERSITE="1"), timeout=60)
    assert crash.returncode != 0 and "No module named 'groqflow'" in crash.stderr
    explained = envdoctor_cmd("explain", "--platform", "groq", "--json", "-", stdin=crash.stderr)
    assert explained.returncode == 0, explained.stderr
    findings = json.loads(explained.stdout)["findings"]
    assert findings and findings[0]["fault"] == "groq.groqflow-not-found" and not findings[0]["harmless"], findings
    assert findings[0]["lines"] and findings[0]["commands"], findings[0]
