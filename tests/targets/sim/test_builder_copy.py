"""A copy of a built node (tests/nodes.py) is the node built in place: same files, same `check`.

Every test's simulated node is a copy of a template built once by builder.create; this is
what makes that honest: a node built where it stands and a copy of a template of the same
kind are indistinguishable to envdoctor (the check report, bar the root) and on disk (every
file's bytes with the root swapped, modes, symlinks), and the copy still works (its venv's
python and pip run, its git clone answers).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Dict, Tuple

import pytest
from nodes import Kind, NodeStore

from envdoctor.recipe import catalog
from envdoctor.targets import Target

pytestmark = pytest.mark.slow


def _tree(root: Path) -> Dict[str, Tuple[str, int, bytes]]:
    """Every entry under root: kind, permission bits, and its bytes (or link) with root swapped out."""
    needle = os.fsencode(str(root))
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", 0, os.fsencode(os.readlink(path)).replace(needle, b"<ROOT>"))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", stat.S_IMODE(st.st_mode), b"")
            else:
                found[rel] = ("file", stat.S_IMODE(st.st_mode), path.read_bytes().replace(needle, b"<ROOT>"))
    for rel, (kind, mode, data) in list(found.items()):
        if rel.endswith(".dist-info/RECORD"):
            found[rel] = (kind, mode, _unhashed(root / rel, data, needle))
    return found


def _unhashed(record: Path, data: bytes, needle: bytes) -> bytes:
    """A RECORD's hash and size of each file that names the root are the build's own (a file
    holding a longer root is longer): envdoctor never reads them, nor does pip after the install."""
    site = record.parent.parent
    lines = []
    for line in data.splitlines():
        name = line.split(b",")[0]
        target = site / os.fsdecode(name)
        if target.is_file() and not target.is_symlink() and needle in target.read_bytes():
            line = name + b",<hash>,<size>"
        lines.append(line)
    return b"\n".join(lines)


def _check(target: Target) -> Dict[str, str]:
    from envdoctor.checks import run_all, select
    from envdoctor.probe import ProbeContext, collect

    recipe = catalog().get(target.meta["platform"], target.meta.get("release"))
    results = run_all(select(recipe), collect(ProbeContext(target, recipe, offline=True)), recipe)
    shown = {}
    for r in results:
        data = r.to_dict()
        del data["duration_ms"]
        text = json.dumps(data, sort_keys=True).replace(str(target.root), "<ROOT>")
        shown[r.id] = re.sub(r"\b\d+ ms\b", "<n> ms", text)  # how long a probe took is no difference
    return shown


# Volatile by nature: the build time, and files git rewrites on every read (index stat cache).
VOLATILE = {"sim.json"}


@pytest.mark.parametrize("platform, ready, faults", [("graphcore", True, ("repo-wrong-tag",)), ("groq", False, ())])
def test_a_copy_is_the_node_built_in_place(platform: str, ready: bool, faults: Tuple[str, ...], node_store: NodeStore,
                                           sim_node) -> None:
    # Built beside the copies, at a path of the same length: a node's files depend on the length
    # of its root (pip writes a `#!/bin/sh` launcher when the venv's python path is too long
    # for a shebang line), so only a root of the copy's length is a fair comparison.
    kind = Kind(platform, ready=ready, faults=faults)
    place = node_store.place(kind)
    try:
        built = node_store.build(kind, place)
        copy = sim_node(platform, ready=ready, faults=faults)
        _compare(built, copy)
    finally:
        shutil.rmtree(place, ignore_errors=True)


def _compare(built: Target, copy: Target) -> None:
    assert Path(copy.root) != Path(built.root) and Path(copy.root).is_dir()

    in_place, copied = _tree(Path(built.root)), _tree(Path(copy.root))
    assert sorted(in_place) == sorted(copied)
    differ = sorted(k for k in in_place if in_place[k] != copied[k] and k not in VOLATILE
                    and "__pycache__" not in k and "/.git/" not in f"/{k}")
    assert differ == []

    a, b = _check(copy), _check(built)
    assert {k: (a[k], b[k]) for k in a if a[k] != b.get(k)} == {}


def test_a_copy_runs(sim_node) -> None:
    node = sim_node("graphcore", ready=True)
    recipe = catalog().get("graphcore")
    env_python = Path(node.path(recipe.environment.path)) / "bin" / "python"
    assert env_python.is_file()
    done = subprocess.run([str(env_python), "-c", "import sys, poptorch; print(sys.prefix)"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(env_python.parent.parent)
    pip = subprocess.run([str(env_python), "-m", "pip", "--version"], capture_output=True, text=True, timeout=60)
    assert str(env_python.parent.parent) in pip.stdout
    clone = Path(node.path(recipe.repos[0].dest))
    status = subprocess.run(["git", "-C", str(clone), "status", "--porcelain"], capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == ""
