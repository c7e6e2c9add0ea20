"""The one way tests get a simulated node: envdoctor's own builder, each distinct node built once.

`NodeStore.node(platform, ready=..., faults=..., release=..., user=...)` returns a Target for a
node of its own. The first request for a kind of node (platform, release, ready, faults, user,
and whether a real Slurm answers) runs `envdoctor.targets.sim.builder.create` into a template;
every request then gets a copy of that template: the same files, modes, mtimes and symlinks.

A node names its own root in files (sim.json, /etc/bashrc, venv scripts and pyvenv.cfg, git
remotes and reflogs, the scheduler stand-ins, compiled bytecode). The copy is made at a path of
the same length as the template's (both are `mkdtemp` names under one directory), and every
file that names the template's root gets the copy's root instead, byte for byte: a same-length
replacement keeps even .pyc files and sizes valid, and the rewritten file keeps its mtime.
tests/test_nodes.py checks that a copy answers `check` exactly as a node built in place does.

Under pytest-xdist the workers share the templates (a file lock per kind of node), so each
kind is built once per run, not once per worker. A template does not depend on which test
asked first: it is built in the environment the session started with (plus the settings of
tests/conftest.py's _isolated_state that every test shares), and the environment variables
the builder reads are part of the kind.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from filelock import FileLock

from envdoctor.targets import Target, open_sim

# The environment the test session started in (this module is imported when tests/conftest.py
# is, before any test changes anything).
SESSION_ENV = dict(os.environ)
# What the builder reads from the environment besides HOME and PATH: part of a node's kind.
BUILDER_ENV = ("SLURM_CONF", "ENVDOCTOR_RECIPES", "ENVDOCTOR_RECIPE_PATH", "ENVDOCTOR_SIM_DOWNLOADS",
               "ENVDOCTOR_SIM_IPUS", "ENVDOCTOR_SIM_RDUS", "ENVDOCTOR_WHEEL_CACHE")


@dataclass(frozen=True)
class Kind:
    """What makes two nodes different (the arguments of builder.create, and the environment
    the builder reads: a real Slurm answering via SLURM_CONF makes sim.json say so)."""
    platform: str
    release: Optional[str] = None
    ready: bool = False
    faults: Tuple[str, ...] = ()
    user: Optional[str] = None
    env: Tuple[Tuple[str, str], ...] = field(
        default_factory=lambda: tuple((k, os.environ[k]) for k in BUILDER_ENV if k in os.environ))

    def slug(self) -> str:
        digest = hashlib.sha1(repr(self).encode()).hexdigest()[:10]
        return f"{self.platform}-{'r' if self.ready else 'f'}-{digest}"


@dataclass
class Template:
    root: Path
    rewrite: List[str]   # files (relative) that name the root
    relink: List[str]    # symlinks (relative) that point into the root


class NodeStore:
    """Templates under `base` (shared by xdist workers), copies beside them."""

    def __init__(self, base: Path, shared_env: Mapping[str, str]) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.shared_env = dict(shared_env)
        self._known: Dict[Kind, Template] = {}

    # --- the API ---------------------------------------------------------------------------
    def node(self, platform: str, *, ready: bool = False, faults: Sequence[str] = (), release: Optional[str] = None,
             user: Optional[str] = None) -> Target:
        """A node of its own (a copy of the kind's template); `discard(target)` removes it."""
        kind = Kind(platform, release, ready, tuple(faults), user)
        template = self._template(kind)
        root = Path(tempfile.mkdtemp(prefix=kind.slug() + "-", dir=self.base))
        _copy(template, root)
        return open_sim(str(root))

    def discard(self, target: Target) -> None:
        root = Path(target.root)
        if root.parent == self.base:
            shutil.rmtree(root, ignore_errors=True)

    # --- templates -------------------------------------------------------------------------
    def _template(self, kind: Kind) -> Template:
        if kind in self._known:
            return self._known[kind]
        slug = kind.slug()
        record = self.base / f"{slug}.json"
        with FileLock(str(self.base / f"{slug}.lock")):
            if not record.is_file():
                self._build(kind, record)
            data = json.loads(record.read_text(encoding="utf-8"))
        if "error" in data:
            raise RuntimeError(f"building the simulated node {kind} failed (once, for every test that "
                               f"asks for it): {data['error']}")
        template = Template(Path(data["root"]), data["rewrite"], data["relink"])
        self._known[kind] = template
        return template

    def place(self, kind: Kind) -> Path:
        """An empty directory beside the copies, its path as long as theirs."""
        return Path(tempfile.mkdtemp(prefix=kind.slug() + "-", dir=self.base))

    @contextlib.contextmanager
    def build_env(self, kind: Kind) -> Iterator[None]:
        """The session's starting environment, the shared test settings and the kind's own
        variables; the builder's cache of this machine's interpreters is read afresh in it."""
        from envdoctor.targets.sim import interpreters

        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update({**SESSION_ENV, **self.shared_env, **dict(kind.env)})
        for name in BUILDER_ENV:
            if name not in dict(kind.env):
                os.environ.pop(name, None)
        interpreters._CACHE = None
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            interpreters._CACHE = None

    def build(self, kind: Kind, root: Path) -> Target:
        """builder.create of `kind` at `root`, in the environment every template is built in."""
        from envdoctor.targets.sim.builder import create

        with self.build_env(kind):
            return create(kind.platform, release=kind.release, root=str(root), ready=kind.ready, faults=kind.faults,
                          user=kind.user)

    def _build(self, kind: Kind, record: Path) -> None:
        root = self.place(kind)
        try:
            if kind.faults:
                self._with_faults(kind, root)
            else:
                self.build(kind, root)
        except Exception as exc:
            record.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), encoding="utf-8")
            raise
        rewrite, relink = _naming(root)
        record.write_text(json.dumps({"root": str(root), "rewrite": rewrite, "relink": relink}), encoding="utf-8")


    def _with_faults(self, kind: Kind, root: Path) -> None:
        """A node with faults: a copy of the template without them, then the faults applied as
        builder.create applies them after its --ready step (the same fault code, same order),
        so the course's commands run once per platform, not once per fault."""
        from envdoctor.recipe import catalog
        from envdoctor.targets.sim import faults as fault_mod
        from envdoctor.targets.sim.node import SimNode

        with self.build_env(kind):
            recipe = catalog().get(kind.platform, kind.release)
            chosen = fault_mod.resolve(recipe, kind.faults)
        ready = kind.ready or any(f.base == "ready" for f in chosen)
        _copy(self._template(dataclasses.replace(kind, ready=ready, faults=())), root)
        with self.build_env(kind):
            node = SimNode(root, recipe, json.loads((root / "sim.json").read_text(encoding="utf-8")))
            fault_mod.check_injectable(node, chosen)
            for fault in chosen:
                fault.apply(node)
                node.meta["faults"].append(fault.name)
            node.save_meta()


def _walk(root: Path) -> Iterator[Tuple[Path, bool]]:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            if path.is_symlink():
                yield path, True
            elif name in filenames:
                yield path, False


def _naming(root: Path) -> Tuple[List[str], List[str]]:
    """The files that name `root`, and the symlinks that point into it."""
    needle = os.fsencode(str(root))
    rewrite, relink = [], []
    for path, is_link in _walk(root):
        rel = str(path.relative_to(root))
        if is_link:
            if os.fsencode(os.readlink(path)).startswith(needle):
                relink.append(rel)
        elif needle in path.read_bytes():
            rewrite.append(rel)
    return sorted(rewrite), sorted(relink)


def _copy(template: Template, root: Path) -> None:
    old, new = os.fsencode(str(template.root)), os.fsencode(str(root))
    assert len(old) == len(new), (template.root, root)
    root.rmdir()  # mkdtemp made it (a unique name); copytree makes it again with the template's mode
    shutil.copytree(template.root, root, symlinks=True)
    for rel in template.rewrite:
        path = root / rel
        stat = path.stat()
        path.write_bytes(path.read_bytes().replace(old, new))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    for rel in template.relink:
        path = root / rel
        target = os.fsencode(os.readlink(path)).replace(old, new, 1)
        path.unlink()
        os.symlink(os.fsdecode(target), path)
