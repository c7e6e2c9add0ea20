"""Targets map the recipe's roots; a simulated node's sim.json is validated."""
from __future__ import annotations

import json

import pytest

from envdoctor.errors import UsageError
from envdoctor.targets import SimTarget, Target, open_sim, open_target, real


def sim_target(root: str) -> Target:
    meta = {"mapped_roots": ["software", "opt", "usr"], "upstreams": {"https://x/y.git": f"file://{root}/up/y.git"},
            "python_versions": {"3.8": "3.9.18"}}
    return SimTarget(f"{root}/home/ann", "ann", "gc-poplar-02", root, meta)


def test_sim_maps_roots_and_urls() -> None:
    t = sim_target("/s")
    assert t.path("~/venvs/x") == "/s/home/ann/venvs/x"
    assert t.path("/software/graphcore/enable") == "/s/software/graphcore/enable"
    assert t.path("/usr/bin/python3.8") == "/s/usr/bin/python3.8"
    assert t.path("/etc/passwd") == "/etc/passwd"
    assert t.unmap("/s/home/ann/venvs/x") == "~/venvs/x"
    assert t.unmap("/s/software/a") == "/software/a"
    assert t.url("https://x/y.git") == "file:///s/up/y.git"
    assert t.url("https://other") == "https://other"
    assert t.expected_python("3.8") == "3.9.18" and t.expected_python("3.11") == "3.11"


def test_node_role_from_patterns() -> None:
    t = sim_target("/s")
    assert t.node_role(("gc-login-0*",), ("gc-poplar-0[2-4]*",)) == "run"
    assert t.node_role(("gc-poplar-*",), ()) == "login"
    assert t.node_role(("x",), ("y",)) == "other"


def test_login_env_is_a_fresh_login_not_ours(monkeypatch) -> None:
    monkeypatch.setenv("CONDA_PREFIX", "/somewhere")
    env = sim_target("/s").login_env()
    assert env["HOME"] == "/s/home/ann" and env["USER"] == "ann"
    assert "CONDA_PREFIX" not in env and env["PATH"] == "/usr/local/bin:/usr/bin:/bin"


def test_real_target_is_this_machine() -> None:
    t = real()
    assert t.name == "real" and t.path("/software") == "/software" and t.root == ""


def test_open_target_rejects_bad_sim_roots(tmp_path) -> None:
    with pytest.raises(UsageError, match="not a simulated node"):
        open_target("sim", "groq", str(tmp_path))
    (tmp_path / "sim.json").write_text("{broken")
    with pytest.raises(UsageError, match="unreadable"):
        open_sim(tmp_path)
    (tmp_path / "sim.json").write_text(json.dumps({"schema": "envdoctor/sim@1", "platform": "groq",
                                                   "user": "u", "hostname": "h"}))
    with pytest.raises(UsageError, match="simulates groq, not cerebras"):
        open_target("sim", "cerebras", str(tmp_path))
    with pytest.raises(UsageError, match="--sim-root goes with --target sim"):
        open_target("real", "groq", str(tmp_path))
