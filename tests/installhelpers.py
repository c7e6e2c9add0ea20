"""The interpreters the one-file and multi-Python tests run under: 3.8 and the newest CPython
the machine image carries (~/.pyenv/versions, then /usr/bin). A missing one is skipped."""
from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]


def _version(path: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run([path, "-c", "import sys; print('%d %d' % sys.version_info[:2])"], capture_output=True,
                              text=True, timeout=30)
    except OSError:
        return None
    parts = done.stdout.split()
    return (int(parts[0]), int(parts[1])) if done.returncode == 0 and len(parts) == 2 else None


def cpythons() -> dict[tuple[int, int], str]:
    """minor version -> real interpreter path (not a pyenv shim: those can refuse to run)."""
    found: dict[tuple[int, int], str] = {}
    patterns = [os.path.expanduser("~/.pyenv/versions/3.*/bin/python3.*"), "/usr/bin/python3.*", "/usr/local/bin/python3.*"]
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            if re.search(r"python3\.\d+$", path) and os.access(path, os.X_OK):
                version = _version(path)
                if version and version >= (3, 8):
                    found.setdefault(version, path)
    return found


def oldest_and_newest() -> list:
    """pytest params: 3.8 and the newest CPython, each skipped (with the reason) when absent."""
    found = cpythons()
    params = [pytest.param(found.get((3, 8)), id="3.8",
                           marks=[] if (3, 8) in found else [pytest.mark.skip(reason="no CPython 3.8 on this machine")])]
    if found and max(found) > (3, 8):
        newest = max(found)
        params.append(pytest.param(found[newest], id=f"newest-{newest[0]}.{newest[1]}"))
    else:
        params.append(pytest.param(None, id="newest", marks=[pytest.mark.skip(reason="no CPython newer than 3.8")]))
    return params


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment as a student's shell has it: HOME, PATH; no XDG overrides, no pytest state."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR", "PIP_FIND_LINKS", "PIP_CERT", "PIP_DEFAULT_TIMEOUT",
            "PYTHONDONTWRITEBYTECODE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), USER=os.environ.get("USER", "root"), LOGNAME=os.environ.get("LOGNAME", "root"))
    env.update(extra)
    return env


# --- envdoctor's distributions, built once per run ------------------------------------------------

def shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A directory for the whole run: shared by pytest-xdist's workers (their base directories
    are siblings), this session's own without xdist (never another pytest run's)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


@contextlib.contextmanager
def building_in_the_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One build of envdoctor in this clone at a time, across xdist's workers: setuptools
    writes build/ and *.egg-info there, scripts/build-pyz build/pyz."""
    from filelock import FileLock

    with FileLock(str(shared_dir(tmp_path_factory, "builds.lock"))):
        yield


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """`make(directory)` once per run, whichever xdist worker asks first (the others wait for
    it and share the result; after a failure the next one to ask tries again)."""
    from filelock import FileLock

    where = shared_dir(tmp_path_factory, name)
    with FileLock(f"{where}.lock"):
        done = where / ".made"
        if not done.exists():
            shutil.rmtree(where, ignore_errors=True)
            where.mkdir(parents=True)
            with building_in_the_clone(tmp_path_factory):
                make(where)
            done.touch()
    return where


def pip_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A pip cache (PIP_CACHE_DIR) the run's installs from the package index share: what one
    test downloaded, the next one that installs the same dependencies finds (pip still
    resolves every requirement; only the downloads are saved)."""
    path = shared_dir(tmp_path_factory, "pip-cache")
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def built_dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build` of this clone: {"wheel": ..., "sdist": ...}, built once per run."""
    pytest.importorskip("build", reason="the `build` package (test extras) makes the distributions")

    def make(out: Path) -> None:
        done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]

    out = made_once(tmp_path_factory, "dists", make)
    wheel, = out.glob("envdoctor-*.whl")
    sdist, = out.glob("envdoctor-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}
