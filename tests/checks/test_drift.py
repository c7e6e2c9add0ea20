"""Drift told to the user: on an old host name, or with an environment built for an older
release, `check` says what changed, since when (the date of the guide's change) and what the
guide says now, on real simulated nodes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _check(cli, node, *extra: str) -> dict:
    rc, out, err = cli("check", node.meta["platform"],
                       "--target", "sim", "--sim-root", node.root, "--json", "--offline", *extra)
    assert rc in (0, 1), err
    return {c["id"]: c for c in json.loads(out)["checks"]}


def test_old_cerebras_login_host_is_told_what_changed(cli, sim_node) -> None:
    node = sim_node("cerebras", release="R_2.3.0")  # the 2024 course's host: cer-login-01
    checks = _check(cli, node, "--only", "drift")
    host = checks["drift.host"]
    assert host["status"] == "warn"
    assert "is an old host name" in host["why"] and "2025-10-24" in host["why"]
    assert "ssh ALCFUserID@cerebras.alcf.anl.gov, then ssh cer-usn-01" in host["fix"]
    assert any("776904c4" in e or "dc61ccc6" in e for e in host["evidence"])


def test_current_cerebras_user_node_has_no_host_drift(cli, sim_node) -> None:
    node = sim_node("cerebras")  # cer-usn-01
    checks = _check(cli, node, "--only", "drift")
    assert checks["drift.host"]["status"] == "ok"
    assert checks["drift.release"]["status"] == "ok"


def test_an_env_built_for_an_older_release_is_told(cli, sim_node) -> None:
    node = sim_node("cerebras")
    old = Path(node.home, "R_2.3.0", "venv_cerebras_pt")  # left over from the 2024 course
    old.parent.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(old)], check=True)
    checks = _check(cli, node, "--only", "drift")
    rel = checks["drift.release"]
    assert rel["status"] == "warn", rel
    assert "~/R_2.3.0/venv_cerebras_pt is a Cerebras venv built for an older release" in rel["why"]
    assert "2026-06-08" in rel["why"] and "~/R_2.10.0/venv_cerebras_pt" in rel["fix"]
    assert rel["commands"] == ["envdoctor setup cerebras"]


def test_renamed_graphcore_login_node(cli, sim_node) -> None:
    node = sim_node("graphcore")
    meta_file = Path(node.root, "sim.json")
    for old, expect in (("gc-login-01.ai.alcf.anl.gov", "warn"), ("gc-login-03.ai.alcf.anl.gov", "ok")):
        meta = json.loads(meta_file.read_text())
        meta["hostname"] = old  # the node plays a login node of that name
        meta_file.write_text(json.dumps(meta))
        host = _check(cli, node, "--only", "drift")["drift.host"]
        assert host["status"] == expect, host
    meta["hostname"] = "gc-login-02"
    meta_file.write_text(json.dumps(meta))
    host = _check(cli, node, "--only", "drift")["drift.host"]
    assert "2025-08-11" in host["why"] and "ssh ALCFUserID@gc-login-03.ai.alcf.anl.gov" in host["fix"]
