"""Never the cause of what it diagnoses: envdoctor's pip never installs into the user site, and
`packages.user-site` tells envdoctor's own leftover `pip install --user envdoctor` apart from
the course's packages, with a command that removes just it (run here for real).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from installhelpers import REPO, built_dists, pip_cache

from envdoctor.checks.packages import envdoctor_own
from envdoctor.collectors.python_env import UserDist
from envdoctor.targets import real

USER_SITE_PY = "3.10"  # the groq course env's Python (3.10.12, played by the host's 3.10)


# --- envdoctor's own pip calls ------------------------------------------------------------------

def test_process_env_turns_pip_user_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_USER", "1")
    assert real().process_env()["PIP_USER"] == "0"


def test_pip_reads_pip_user_0_as_off(tmp_path: Path, envdoctor_wheel: Path) -> None:
    """The value envdoctor sets means what it should to a real pip: --target (which refuses
    --user) works under PIP_USER=0 and is refused under PIP_USER=1."""
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
            str(tmp_path / "t"), str(envdoctor_wheel)]
    refused = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, PIP_USER="1"), timeout=300)
    assert refused.returncode != 0 and "--user" in refused.stderr
    done = subprocess.run(argv, capture_output=True, text=True, env=real().process_env(dict(os.environ, PIP_USER="1")),
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "t").glob("envdoctor-*.dist-info"))


def test_no_pip_call_of_envdoctor_or_its_scripts_uses_the_user_site() -> None:
    """An audit of every place that spells a pip command: steps, sim builder, scripts, recipes."""
    offenders = []
    sources = list((REPO / "envdoctor").rglob("*.py")) + [p for p in (REPO / "scripts").rglob("*") if p.is_file()]
    sources += list((REPO / "envdoctor" / "recipes").glob("*.yaml"))
    for path in sources:
        if "payload" in path.parts or "__pycache__" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            code = re.sub(r"`[^`]*`", "", line.split("#", 1)[0])  # prose quoting the command is no call
            if re.search(r"pip\b.*['\"\s]--user\b", code):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


# --- telling envdoctor's own leftover install apart --------------------------------------------

def _dist(name: str, *requires: str) -> UserDist:
    return UserDist(name, "1.0", requires)


def test_own_install_is_envdoctor_and_what_only_it_needs() -> None:
    dists = [_dist("envdoctor", "typer", "requests", "ruamel.yaml"), _dist("typer", "click", "typing-extensions"),
             _dist("click"), _dist("typing_extensions"), _dist("requests", "idna"), _dist("idna"),
             _dist("ruamel_yaml", "ruamel.yaml.clib"), _dist("ruamel.yaml.clib"),
             _dist("datasets", "requests")]  # the course's package, installed with --user too
    own = {d.name for d in envdoctor_own(dists)}
    assert own == {"envdoctor", "typer", "click", "typing_extensions", "ruamel_yaml", "ruamel.yaml.clib"}
    assert envdoctor_own([_dist("datasets", "requests"), _dist("requests")]) == []


# --- for real: pip install --user envdoctor on a simulated node ---------------------------------

@pytest.fixture(scope="module")
def envdoctor_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `python -m build` makes of this clone (built once per run, tests/e2e/test_dist.py checks it)."""
    return built_dists(tmp_path_factory)["wheel"]


@pytest.fixture(scope="module")
def shared_pip_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    return pip_cache(tmp_path_factory)


def _python(root: Path) -> str:
    """The interpreter that plays the course's Python 3.10 on the node (sim.json)."""
    meta = json.loads((root / "sim.json").read_text(encoding="utf-8"))
    return next(path for version, path in meta["interpreters"].items() if version.startswith(USER_SITE_PY + "."))


def _node_shell_env(root: Path, home: Path) -> dict[str, str]:
    """The student's shell on the node, no env active, with a python3.10 on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "CONDA", "PYTHON"))}
    env.update(HOME=str(home), PATH=f"{os.path.dirname(_python(root))}{os.pathsep}{os.environ['PATH']}")
    for key in ("PIP_FIND_LINKS", "PIP_CERT", "PIP_DEFAULT_TIMEOUT"):  # how this machine reaches its package index
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _pip_install_user(root: Path, home: Path, wheel: Path, cache: str) -> None:
    """`pip install --user` of envdoctor's wheel, its dependencies from the package index (the
    downloads through the run's shared pip cache)."""
    env = dict(_node_shell_env(root, home), PIP_CACHE_DIR=cache)
    done = subprocess.run([_python(root), "-m", "pip", "install", "--quiet", "--user", "--no-warn-script-location",
                           str(wheel)], capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0 and ("Could not find a version" in done.stderr or "No matching distribution" in done.stderr):
        pytest.skip("envdoctor's dependencies are not reachable from here: " + done.stderr.strip()[-300:])
    assert done.returncode == 0, done.stderr[-2000:]


def _user_site_check(root: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "envdoctor", "check", "groq", "--target", "sim", "--sim-root",
                           str(root), "--only", "packages.user-site", "--json"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode in (0, 1), done.stderr
    result, = json.loads(done.stdout)["checks"]
    return result


@pytest.mark.slow
def test_leftover_envdoctor_install_is_named_and_removed(sim_node: Any, envdoctor_wheel: Path,
                                                         shared_pip_cache: str) -> None:
    node = sim_node("groq", ready=True)
    root, home = Path(node.root), Path(node.home)
    _pip_install_user(root, home, envdoctor_wheel, shared_pip_cache)
    site = home / ".local" / "lib" / f"python{USER_SITE_PY}" / "site-packages"
    assert (site / "envdoctor").is_dir() and list(site.glob("typer-*.dist-info"))

    result = _user_site_check(root)
    assert result["status"] in ("warn", "fail")
    assert "holds envdoctor's own earlier install (envdoctor 0.1.0 and the" in result["why"]
    assert "pipx" in result["fix"] and "envdoctor.pyz" in result["fix"]
    command, = result["commands"]
    assert command.startswith(f"python{USER_SITE_PY} -m pip uninstall -y envdoctor ")
    removed = command.split()[5:]
    assert {"typer", "packaging", "requests", "virtualenv"} <= {n.lower() for n in removed}

    # The command, as the student would paste it (no env active).
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=_node_shell_env(root, home),
                          cwd=str(home), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(site.glob("*.dist-info"))
    assert _user_site_check(root)["status"] == "ok"


@pytest.mark.slow
def test_course_packages_in_the_user_site_stay_apart(sim_node: Any, envdoctor_wheel: Path,
                                                      shared_pip_cache: str) -> None:
    node = sim_node("groq", ready=True, faults=["user-site-shadowing"])
    root, home = Path(node.root), Path(node.home)
    site = home / ".local" / "lib" / f"python{USER_SITE_PY}" / "site-packages"
    course = {p.name.split("-")[0] for p in site.glob("*.dist-info")}
    assert course, "the fault put a course package in ~/.local"
    _pip_install_user(root, home, envdoctor_wheel, shared_pip_cache)

    result = _user_site_check(root)
    uninstall, *rest = result["commands"]
    assert uninstall.startswith(f"python{USER_SITE_PY} -m pip uninstall -y envdoctor ")
    assert not course & set(uninstall.split()[5:])
    assert any(c.startswith("mv ~/.local/lib/python3.10 ") for c in rest)
    assert "are envdoctor's own earlier install" in result["why"]

    done = subprocess.run(["bash", "-c", uninstall], capture_output=True, text=True, env=_node_shell_env(root, home),
                          cwd=str(home), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {p.name.split("-")[0] for p in site.glob("*.dist-info")} == course
    after = _user_site_check(root)
    assert after["status"] in ("warn", "fail") and "envdoctor" not in after["why"]
