"""The conventional distributions: `python -m build` makes a wheel and an sdist that hold the
package data (recipes, fault knowledge base, simulated-node payload), describe themselves
(README as the long description, Requires-Python >=3.8) and install and run; `pipx install`.
"""
from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from installhelpers import REPO, building_in_the_clone, built_dists, clean_env, pip_cache

import envdoctor

pytestmark = pytest.mark.slow


def package_data() -> list[str]:
    """Every non-Python file of the package in the source tree (tracked ones when git knows them)."""
    done = subprocess.run(["git", "ls-files", "envdoctor"], cwd=REPO, capture_output=True, text=True)
    files = done.stdout.split() if done.returncode == 0 and done.stdout.strip() else [
        str(p.relative_to(REPO)) for p in (REPO / "envdoctor").rglob("*") if p.is_file()]
    return [f for f in files if "__pycache__" not in f and not f.endswith(".pyc")]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return built_dists(tmp_path_factory)  # once per run, shared with tests/e2e/test_user_site.py


def test_wheel_holds_the_package_data(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as z:
        names = set(z.namelist())
    expected = package_data()
    assert [f for f in expected if f not in names] == []
    recipes = [n for n in names if n.startswith("envdoctor/recipes/") and n.endswith(".yaml")]
    knowledge = [n for n in names if n.startswith("envdoctor/knowledge/") and n.endswith(".yaml")]
    payload = [n for n in names if n.startswith("envdoctor/targets/sim/payload/")]
    assert {"envdoctor/recipes/groq.yaml", "envdoctor/recipes/graphcore.yaml"} <= set(recipes)
    assert "envdoctor/knowledge/faults.yaml" in knowledge
    assert "envdoctor/targets/sim/payload/standins/conda.py" in payload and len(payload) > 20
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def test_wheel_metadata(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        raw = z.read(meta_name).decode("utf-8")
        meta = email.message_from_string(raw)
        entry_points = z.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Name"] == "envdoctor" and meta["Version"] == envdoctor.__version__
    assert meta["Requires-Python"] == ">=3.8"
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert raw.split("\n\n", 1)[1].strip() == readme.strip()  # the long description, as written
    requires = meta.get_all("Requires-Dist")
    assert not [r for r in requires if r.startswith("psutil")]  # pure Python: one .pyz for every interpreter
    assert "envdoctor = envdoctor.__main__:main" in entry_points


def test_sdist_holds_the_sources_and_data(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"README.md", "pyproject.toml", "PKG-INFO"} <= names
    assert [f for f in package_data() if f not in names] == []


def test_the_wheel_installs_and_finds_its_data(dists: dict[str, Path], tmp_path: Path) -> None:
    """Installed from the wheel alone (no source tree on the path): recipes and the knowledge base load."""
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--target", str(target), str(dists["wheel"])], capture_output=True, text=True,
                          env=dict(os.environ, PIP_USER="0"), timeout=300)
    assert done.returncode == 0, done.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run([sys.executable, "-c", "import envdoctor; print(envdoctor.__file__)"], capture_output=True,
                           text=True, env=env, cwd=str(tmp_path))
    assert where.stdout.strip().startswith(str(target))
    listed = subprocess.run([sys.executable, "-m", "envdoctor", "platforms"], capture_output=True, text=True, env=env,
                            cwd=str(tmp_path), timeout=120)
    assert listed.returncode == 0, listed.stderr
    for platform in ("cerebras", "graphcore", "groq", "sambanova"):
        assert platform in listed.stdout
    explained = subprocess.run([sys.executable, "-m", "envdoctor", "explain", "-"], input="-bash: conda: command not found\n",
                               capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert explained.returncode == 0 and "conda" in explained.stdout


def test_twine_accepts_the_distributions(dists: dict[str, Path]) -> None:
    pytest.importorskip("twine", reason="twine (the dist extras) checks what PyPI would render")
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(dists["wheel"]), str(dists["sdist"])],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_pipx_install(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`pipx install .`: its own venv under PIPX_HOME, a command in PIPX_BIN_DIR, nothing in the user site."""
    tools = tmp_path / "tools"
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True, timeout=300)
    cache = pip_cache(tmp_path_factory)
    got = subprocess.run([str(tools / "bin" / "python"), "-m", "pip", "install", "--quiet", "pipx"], capture_output=True,
                         text=True, timeout=600)
    if got.returncode != 0:
        pytest.skip("pipx could not be installed from the package index: " + got.stderr.strip()[-300:])
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home, PIP_CACHE_DIR=cache, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
                    PIPX_MAN_DIR=str(tmp_path / "man"))
    with building_in_the_clone(tmp_path_factory):  # pip builds the wheel in the clone
        done = subprocess.run([str(tools / "bin" / "pipx"), "install", str(REPO)], capture_output=True, text=True,
                              env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    version = subprocess.run([str(tmp_path / "bin" / "envdoctor"), "--version"], capture_output=True, text=True,
                             env=env, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith(f"envdoctor {envdoctor.__version__} (Python ")
    assert str(tmp_path / "pipx" / "venvs" / "envdoctor") in version.stdout
    assert not (home / ".local" / "lib").exists()
