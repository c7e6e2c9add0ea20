"""The interpreters the one-file and multi-Python tests run under: 3.8 and the newest CPython
the machine image carries (~/.pyenv/versions, then /usr/bin). A missing one is skipped."""
from __future__ import annotations

import glob
import os
import re
import subprocess
from pathlib import Path

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
