"""python.interpreter, venv.* / conda.env-* and packages.* against real virtualenvs (one real case
per check and per thing the collector must notice; every other outcome runs on recorded probes in
test_python.py and test_packages.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from envhelpers import Node, fake_dist, recipe, results, site_packages

from envdoctor.results import Status

PY311 = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else shutil.which("python3.11")
needs_311 = pytest.mark.skipif(not PY311, reason="needs a python3.11")
ENV_IDS = ("python.interpreter", "venv.exists", "venv.healthy", "venv.python", "venv.active")
PKG_IDS = ("packages.required", "packages.user-site", "repo.vendor-version")


def cerebras_node(node: Node, make_env: bool = True) -> Path | None:
    node.hostname = "cer-usn-01"
    node.link_interpreter("/usr/bin/python3.11", PY311)
    if make_env:
        return node.virtualenv("R_2.10.0/venv_cerebras_pt", str(node.root / "usr/bin/python3.11"))
    return None


def env_results(node: Node, ids: tuple[str, ...] = ENV_IDS):
    return results(node, recipe("cerebras"), ids, collectors=("host", "shells", "python_env"))


@needs_311
def test_healthy_venv(node: Node) -> None:
    cerebras_node(node)
    res = env_results(node)
    for cid in ("python.interpreter", "venv.exists", "venv.healthy", "venv.python"):
        assert res[cid].status == Status.OK, res[cid]
    assert res["venv.active"].status == Status.SKIP  # a fresh login shell on a simulated node
    assert "source ~/R_2.10.0/venv_cerebras_pt/bin/activate" in res["venv.active"].why


@needs_311
def test_missing_venv_gives_the_course_commands(node: Node) -> None:
    cerebras_node(node, make_env=False)
    r = env_results(node)["venv.exists"]
    assert r.status == Status.FAIL
    assert r.commands[:3] == ("mkdir -p ~/R_2.10.0", "/usr/bin/python3.11 -m venv ~/R_2.10.0/venv_cerebras_pt",
                              "source ~/R_2.10.0/venv_cerebras_pt/bin/activate")
    assert "cd ~/R_2.10.0 && pip install -e modelzoo" in r.commands


@needs_311
def test_broken_symlinked_interpreter_is_a_finding(node: Node) -> None:
    # The interpreter the venv was built from has since been removed.
    env = cerebras_node(node)
    for link in (env / "bin").glob("python*"):
        if link.is_symlink():
            link.unlink()
            link.symlink_to("/opt/removed-python/bin/python3.11")
    res = env_results(node)
    r = res["venv.healthy"]
    assert r.status == Status.FAIL
    assert "symlink to /opt/removed-python/bin/python3.11, which does not exist" in r.why
    assert r.commands[0] == "rm -rf ~/R_2.10.0/venv_cerebras_pt"
    assert res["venv.python"].status == Status.SKIP


def test_interpreter_missing(node: Node) -> None:
    node.hostname = "cer-usn-01"
    r = env_results(node, ("python.interpreter",))["python.interpreter"]
    assert r.status == Status.FAIL and "/usr/bin/python3.11 does not exist" in r.why


@needs_311
def test_another_venv_active_fails(node: Node) -> None:
    env = cerebras_node(node)
    other = node.virtualenv("other-venv", str(env / "bin" / "python"))
    node.write(".bashrc", f"source {other}/bin/activate\n")
    node.write(".bash_profile", ". ~/.bashrc\n")
    r = env_results(node)["venv.active"]
    assert r.status == Status.FAIL and "~/other-venv" in r.why
    assert r.commands == ("deactivate", "source ~/R_2.10.0/venv_cerebras_pt/bin/activate")


@needs_311
def test_venv_active_in_login_shell_is_ok(node: Node) -> None:
    env = cerebras_node(node)
    node.write(".bashrc", f"source {env}/bin/activate\n")
    node.write(".bash_profile", ". ~/.bashrc\n")
    assert env_results(node)["venv.active"].status == Status.OK


# --- packages -------------------------------------------------------------------------------
@needs_311
def test_required_packages_ok_and_editable_from_the_clone(node: Node) -> None:
    env = cerebras_node(node)
    site = site_packages(env)
    fake_dist(site, "cerebras_pytorch", "2.10.0", module="cerebras_pt_standin")
    (site / "cerebras").mkdir()
    (site / "cerebras" / "__init__.py").write_text("")
    fake_dist(site, "cerebras_modelzoo", "2.10.0", editable_from=node.home / "R_2.10.0" / "modelzoo")
    res = env_results(node, PKG_IDS)
    assert res["packages.required"].status == Status.OK, res["packages.required"]
    assert any("(editable)" in e for e in res["packages.required"].evidence)
    assert res["repo.vendor-version"].status == Status.OK
    assert res["packages.user-site"].status == Status.OK


@needs_311
def test_wrong_version_missing_and_not_editable(node: Node) -> None:
    env = cerebras_node(node)
    site = site_packages(env)
    fake_dist(site, "cerebras_pytorch", "2.9.0")
    fake_dist(site, "cerebras_modelzoo", "2.10.0")  # a regular (non-editable) install
    res = env_results(node, PKG_IDS)
    r = res["packages.required"]
    assert r.status == Status.FAIL
    assert "cerebras_pytorch 2.9.0 is installed, but the course needs cerebras_pytorch==2.10.0" in r.why
    assert "not in editable mode from the clone ~/R_2.10.0/modelzoo" in r.why
    assert r.commands == ("source ~/R_2.10.0/venv_cerebras_pt/bin/activate", "cd ~/R_2.10.0 && pip install -e modelzoo")
    v = res["repo.vendor-version"]
    assert v.status == Status.FAIL and "cerebras_pytorch 2.9.0" in v.why and "Release_2.10.0" in v.why


@needs_311
def test_user_site_read_by_the_env_after_its_own(node: Node) -> None:
    env = cerebras_node(node)
    cfg = env / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("include-system-site-packages = false",
                                           "include-system-site-packages = true"))
    fake_dist(site_packages(env), "cerebras_pytorch", "2.10.0")
    fake_dist(node.home / ".local/lib/python3.11/site-packages", "cerebras_pytorch", "2.3.0")
    r = env_results(node, ("packages.user-site",))["packages.user-site"]
    assert r.status == Status.WARN and "this env reads ~/.local (after its own packages)" in r.why


def test_user_site_wins_in_a_non_venv_python(node: Node) -> None:
    """A conda env is no venv: ~/.local comes first on sys.path, and its versions win."""
    from envdoctor.checks.packages import user_site
    from envdoctor.collectors.python_env import Dist, EnvFacts, EnvRun, PythonEnvFacts, UserDist, UserSite
    from envdoctor.probe import Probe

    run = EnvRun(True, enable_user_site=True, dists=(Dist("datasets", "3.0.0", in_user_site=True),
                                                     Dist("datasets", "2.21.0")))
    facts = PythonEnvFacts("conda", "3.10", "3.10", EnvFacts("conda", True, "~/miniconda3/envs/groqflow", run=run),
                           UserSite("~/.local/lib/python3.10/site-packages", True, (UserDist("datasets", "3.0.0"),)))
    out = user_site(Probe("sim", "groq", "x", {"python_env": facts}), recipe("groq"))
    assert out.status == Status.FAIL
    assert "loads datasets 3.0.0 from ~/.local/lib/python3.10/site-packages" in out.why
    assert out.commands[0] == "mv ~/.local/lib/python3.10 ~/.local/lib/python3.10.disabled"
    assert "pip install soundfile datasets==2.21.0" in out.commands


def test_packages_skip_without_env(node: Node) -> None:
    r = env_results(node, ("packages.required",))["packages.required"]
    assert r.status == Status.SKIP


def test_conda_env_ids_for_the_conda_recipe(node: Node) -> None:
    node.install_conda()
    res = results(node, recipe("groq"), ("conda.env-exists", "conda.env-python"),
                  collectors=("host", "shells", "python_env"))
    r = res["conda.env-exists"]
    assert r.status == Status.FAIL and r.step == "conda-env"
    assert r.commands[:2] == ("conda create -n groqflow python=3.10.12 -y", "conda activate groqflow")
    assert "pip install soundfile datasets==2.21.0" in r.commands
    assert res["conda.env-python"].status == Status.SKIP
