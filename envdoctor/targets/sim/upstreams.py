"""Bare git "upstreams" with the real tag names, built with real git, reproducibly.

Each repository is a list of refs in commit order (a recipe's `sim.upstreams`). A ref's tree
is a skeleton directory under payload/upstreams/<org>/<name>/<tree>/ (optionally with version strings substituted,
so Release_2.9.0 need not be a copy of Release_2.10.0), plus the workload scripts the "run"
engineer keeps under payload/workloads/<org>/<name>/<path>. Commits have a fixed author and
date, so the same payload gives the same commit ids on every machine.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

from envdoctor import proc
from envdoctor.errors import UsageError
from envdoctor.recipe import SimRef, SimUpstream

PAYLOAD = Path(__file__).with_name("payload")
AUTHOR = ("envdoctor sim", "sim@envdoctor.invalid")
EPOCH = 1704067200  # 2024-01-01T00:00:00Z; commit i is dated EPOCH + i days


# The table of upstreams is data: each recipe's `sim.upstreams` (envdoctor.recipe.SimUpstream,
# refs are SimRef: name, kind, tree, subst).
Upstream = SimUpstream
Ref = SimRef


def all_upstreams() -> tuple[Upstream, ...]:
    from envdoctor.recipe import catalog

    return tuple(catalog().upstreams())


def __getattr__(name: str) -> Any:
    # UPSTREAMS, the older module constant, is the catalog's list (read when asked: the
    # catalog may include recipes from $ENVDOCTOR_RECIPE_PATH).
    if name == "UPSTREAMS":
        return all_upstreams()
    raise AttributeError(name)


def for_url(url: str) -> Upstream | None:
    from envdoctor.recipe import catalog

    return catalog().upstream(url)


def _payload(upstream: Upstream, kind: str) -> Path:
    """upstream's `kind` (upstreams | workloads) directory: beside its recipe's sim payload
    first, then the package's payload."""
    own = Path(upstream.payload) / kind / upstream.slug if upstream.payload else None
    return own if own is not None and own.is_dir() else PAYLOAD / kind / upstream.slug


def missing_workloads() -> list[str]:
    """Workload scripts not (yet) in the payload: the sim puts placeholders in their place."""
    return [f"{u.slug}/{w}" for u in all_upstreams() for w in u.workloads
            if not (_payload(u, "workloads") / w).is_file()]


def _placeholder(path: str) -> str:
    if path.endswith(".sh"):
        return f"#!/bin/bash\necho \"envdoctor sim: placeholder for {path} (workload not written yet)\"\n"
    return (f'"""Placeholder for {path}: the simulated workload has not been written yet."""\n'
            "import argparse\nimport sys\n\n\ndef main(argv=None):\n"
            f"    parser = argparse.ArgumentParser(description='placeholder for {path}')\n"
            "    parser.parse_known_args(argv)\n"
            f"    print('envdoctor sim: placeholder for {path} (workload not written yet)')\n    return 0\n\n\n"
            "if __name__ == '__main__':\n    sys.exit(main())\n")


def _tree(upstream: Upstream, ref: Ref) -> dict[str, bytes]:
    """path -> content of one ref's tree: skeleton + substitutions + workloads."""
    src = _payload(upstream, "upstreams") / ref.tree
    if not src.is_dir():
        raise UsageError(f"simulated upstream {upstream.slug}: payload directory {src} is missing")
    files: dict[str, bytes] = {}
    for path in sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        data = path.read_bytes()
        for old, new in ref.subst:
            data = data.replace(old.encode(), new.encode())
        files[path.relative_to(src).as_posix()] = data
    tops = {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}
    workloads = _payload(upstream, "workloads")
    # A workload belongs to the refs whose layout it fits: its directory exists there
    # (Release_2.10.0 has src/cerebras/modelzoo/cli/, Release_2.3.0 does not).
    if workloads.is_dir():
        for path in sorted(p for p in workloads.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            rel = path.relative_to(workloads).as_posix()
            if rel.rsplit("/", 1)[0] in tops:
                files[rel] = path.read_bytes()
    for rel in upstream.workloads:
        if rel.rsplit("/", 1)[0] in tops and rel not in files:
            files[rel] = _placeholder(rel).encode()
    _add_build_backend(files)
    if ref.kind == "branch":
        files["CHANGELOG.md"] = b"# Unreleased\n\n- Work in progress after the latest release.\n"
    return files


def _add_build_backend(files: dict[str, bytes]) -> None:
    """Projects whose pyproject.toml names the in-tree backend get it in `_build/` beside it
    (one source file in payload/build_backend, not a copy per project)."""
    backend = (PAYLOAD / "build_backend" / "envdoctor_sim_build.py").read_bytes()
    for rel, data in list(files.items()):
        if rel.rsplit("/", 1)[-1] == "pyproject.toml" and b'backend-path = ["_build"]' in data:
            base = rel[: -len("pyproject.toml")]
            files[f"{base}_build/envdoctor_sim_build.py"] = backend


def git_env(index: int) -> dict[str, str]:
    date = f"{EPOCH + index * 86400} +0000"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1], GIT_COMMITTER_NAME=AUTHOR[0],
               GIT_COMMITTER_EMAIL=AUTHOR[1], GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date,
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    return env


def _git(args: list[str], env: Mapping[str, str]) -> None:
    done = proc.run(["git", *args], env=env, timeout=30)
    if not done.ok:
        raise UsageError(f"building a simulated upstream failed: {done.describe()}")


def build(upstream: Upstream, root: str | os.PathLike[str]) -> Path:
    """Create R/upstreams/<org>/<name>.git (replacing an older one); returns its path."""
    bare = Path(root) / "upstreams" / f"{upstream.slug}.git"
    if bare.exists():
        shutil.rmtree(bare)
    bare.parent.mkdir(parents=True, exist_ok=True)
    branch = next((r.name for r in reversed(upstream.refs) if r.kind == "branch"), "main")
    _git(["init", "--bare", "-q", f"--initial-branch={branch}", str(bare)], git_env(0))
    with tempfile.TemporaryDirectory(prefix="envdoctor-upstream-") as work:
        for i, ref in enumerate(upstream.refs, start=1):
            env = dict(git_env(i), GIT_DIR=str(bare), GIT_WORK_TREE=work)
            _replace_tree(Path(work), _tree(upstream, ref))
            _git(["add", "-A", "."], env)
            message = f"Release {ref.name}" if ref.kind == "tag" else "Development after the latest release"
            _git(["commit", "-q", "--allow-empty", "-m", message], env)
            if ref.kind == "tag":
                _git(["tag", "-a", ref.name, "-m", ref.name], env)
    (bare / "index").unlink(missing_ok=True)
    return bare


def _replace_tree(work: Path, files: Mapping[str, bytes]) -> None:
    for child in work.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    for rel, data in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if data.startswith(b"#!") or rel.endswith(".sh"):
            path.chmod(0o755)
