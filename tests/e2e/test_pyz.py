"""dist/envdoctor.pyz: built by scripts/build-pyz, run with no install by Python 3.8 and by the
newest CPython against a simulated node; it writes nothing in the home directory outside
~/.cache/envdoctor (the unpacked file, kept help) and envdoctor's data directory (run records).
"""
from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from installhelpers import REPO, clean_env, made_once, oldest_and_newest

import envdoctor

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/build-pyz's file, built once per run (whichever xdist worker asks first)."""
    def make(out: Path) -> None:
        done = subprocess.run([str(REPO / "scripts" / "build-pyz"), "-o", str(out / "envdoctor.pyz")],
                              capture_output=True, text=True, timeout=1200)
        if done.returncode == 2 and "no Python 3.8 found" in done.stderr:
            pytest.skip(done.stderr.strip())
        assert done.returncode == 0, done.stderr[-3000:]

    return made_once(tmp_path_factory, "pyz", make) / "envdoctor.pyz"


def test_the_file_holds_envdoctor_and_pure_python_dependencies(pyz: Path) -> None:
    with zipfile.ZipFile(pyz) as z:
        names = z.namelist()
        env = json.loads(z.read("environment.json"))
        main = z.read("__main__.py").decode()
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n") and os.access(pyz, os.X_OK)
    assert env["root"] == "~/.cache/envdoctor/pyz" and env["entry_point"] == "envdoctor.__main__:main"
    assert env["build_id"] in main and "ENVDOCTOR_PYZ" in main  # the launcher, not shiv's bootstrap first
    for member in ("site-packages/envdoctor/recipes/groq.yaml", "site-packages/envdoctor/knowledge/faults.yaml",
                   "site-packages/typer/__init__.py", "site-packages/click/__init__.py",
                   "site-packages/ruamel/yaml/__init__.py", "site-packages/virtualenv/__init__.py",
                   "site-packages/typing_extensions.py"):
        assert member in names, member
    assert not [n for n in names if n.endswith((".so", ".pyc"))]
    assert not [n for n in names if n.startswith("site-packages/psutil")]


def files_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file() or p.is_symlink())


@pytest.mark.parametrize("python", oldest_and_newest())
def test_pyz_checks_sets_up_and_runs_a_simulated_node(python: str, pyz: Path, tmp_path: Path) -> None:
    home, work, root = tmp_path / "home", tmp_path / "work", tmp_path / "node"
    home.mkdir()
    work.mkdir()
    env = clean_env(home)
    before_dist = sorted(os.listdir(pyz.parent))

    def envdoctor_pyz(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([python, str(pyz), *argv], capture_output=True, text=True, env=env, cwd=str(work),
                              input=stdin, timeout=900)

    version = envdoctor_pyz("--version")
    assert version.returncode == 0, version.stderr
    minor = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                           capture_output=True, text=True).stdout.strip()
    assert version.stdout.startswith(f"envdoctor {envdoctor.__version__} (Python {minor}, ")
    assert version.stdout.rstrip().endswith(f"from {pyz}")

    helped = envdoctor_pyz("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: envdoctor [OPTIONS] COMMAND [ARGS]...")

    made = envdoctor_pyz("sim", "create", "groq", "--root", str(root))
    assert made.returncode == 0, made.stderr[-3000:]
    sim = ("--target", "sim", "--sim-root", str(root))
    first = envdoctor_pyz("check", "groq", *sim)
    assert first.returncode == 1 and "conda.installed" in first.stdout, first.stdout[-3000:] + first.stderr[-2000:]

    setup = envdoctor_pyz("setup", "groq", *sim, "--yes")
    assert setup.returncode == 0, setup.stderr[-3000:] + setup.stdout[-3000:]
    checked = envdoctor_pyz("check", "groq", *sim, "--json")
    report = json.loads(checked.stdout)
    assert checked.returncode == 0, [c for c in report["checks"] if c["status"] in ("fail", "error")]
    assert report["envdoctor_version"] == envdoctor.__version__

    ran = envdoctor_pyz("run", "groq", *sim, "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert json.loads(ran.stdout)["status"] == "ok"

    explained = envdoctor_pyz("explain", "--json", "-", stdin="ModuleNotFoundError: No module named 'groqflow'\n")
    assert json.loads(explained.stdout)["findings"][0]["fault"] == "groq.groqflow-not-found"

    # Nothing written outside ~/.cache/envdoctor and envdoctor's data directory, but for the
    # seed cache the simulated node shares with the host's virtualenv (sim.json's
    # VIRTUALENV_OVERRIDE_APP_DATA; a real venv creation writes it too).
    written = files_under(home)
    stray = [f for f in written if not f.startswith((".cache/envdoctor/", ".local/share/envdoctor/",
                                                     ".local/share/virtualenv/"))]
    assert not stray, stray
    assert any(f.startswith(".cache/envdoctor/pyz/envdoctor.pyz_") for f in written)
    assert any(f.startswith(".local/share/envdoctor/runs/") for f in written)
    assert files_under(work) == [] and sorted(os.listdir(pyz.parent)) == before_dist


@pytest.mark.parametrize("python", oldest_and_newest())
def test_pyz_check_writes_only_its_cache(python: str, pyz: Path, tmp_path: Path) -> None:
    """`python3 envdoctor.pyz check groq` on a fresh account: the unpacked file and envdoctor's cache, nothing else."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / ".bashrc").write_text("# the student's own\n", encoding="utf-8")
    env = clean_env(home)
    done = subprocess.run([python, str(pyz), "check", "groq", "--offline"], capture_output=True, text=True, env=env,
                          cwd=str(work), timeout=600)
    # This machine is no Groq node: a report with problems (1), never a crash (3) or bad usage (2).
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "envdoctor check groq" in done.stdout and "Traceback" not in done.stderr
    written = files_under(home)
    assert [f for f in written if not f.startswith(".cache/envdoctor/")] == [".bashrc"], written
    assert (home / ".bashrc").read_text(encoding="utf-8") == "# the student's own\n"
    assert files_under(work) == []
