"""Fixtures for step tests (helpers in stepkit.py)."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from stepkit import UPSTREAM, Node, _upstream, _wheelhouse, host_pythons, make_wheel

from envdoctor.targets import SimTarget


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("templates")
    bare, tags = _upstream(base)
    return _wheelhouse(base), bare, tags


@pytest.fixture
def node(tmp_path: Path, _templates: tuple[Path, Path, dict[str, str]]) -> Node:
    house_t, bare_t, tags = _templates
    root = tmp_path / "node"
    home = root / "home" / "student"
    home.mkdir(parents=True)
    (home / ".bash_profile").write_text("# .bash_profile\nif [ -f ~/.bashrc ]; then\n\t. ~/.bashrc\nfi\nexport PATH=$HOME/bin:$PATH\n")
    (home / ".bashrc").write_text("# .bashrc\nalias ll='ls -l'\n")
    house = root / "wheelhouse"
    shutil.copytree(house_t, house)
    upstream = root / "upstreams" / "demo.git"
    shutil.copytree(bare_t, upstream)
    software = root / "software" / "demo"
    (software / "data").mkdir(parents=True)
    (software / "params.yaml").write_text("train_input:\n  data_dir: " + str(software / "data") + "\n")
    make_wheel(software, "vendor", "3.3.0+abc123", {"vendor/__init__.py": "X = 1\n"})
    pythons = host_pythons()
    usr = root / "usr" / "bin"
    usr.mkdir(parents=True)
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    os.symlink(pythons[0], usr / f"python{python}")
    if len(pythons) > 1:
        os.symlink(pythons[1], usr / "python3")
    meta = {"mapped_roots": ["software", "opt", "usr"], "upstreams": {UPSTREAM: f"file://{upstream}"},
            "process_env": {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(house), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                            "VIRTUALENV_NO_DOWNLOAD": "1", "PIP_NO_CACHE_DIR": "1"},
            "platform": "demo"}
    target = SimTarget(str(home), "student", "demo-run-01", str(root), meta)
    n = Node(root, home, target, None, upstream, tags, house, python)  # type: ignore[arg-type]
    n.recipe = n.recipe_with()
    return n
