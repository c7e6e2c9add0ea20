"""Bare git "upstreams" with the real tag names, built with real git, reproducibly.

Each repository is a table of refs in commit order. A ref's tree is a skeleton directory
under payload/upstreams/<org>/<name>/<source>/ (optionally with version strings substituted,
so Release_2.9.0 need not be a copy of Release_2.10.0), plus the workload scripts the "run"
engineer keeps under payload/workloads/<org>/<name>/<path>. Commits have a fixed author and
date, so the same payload gives the same commit ids on every machine.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from envdoctor import proc
from envdoctor.errors import UsageError

PAYLOAD = Path(__file__).with_name("payload")
AUTHOR = ("envdoctor sim", "sim@envdoctor.invalid")
EPOCH = 1704067200  # 2024-01-01T00:00:00Z; commit i is dated EPOCH + i days


@dataclass(frozen=True)
class Ref:
    name: str
    kind: str  # "tag" (annotated) or "branch"
    source: str  # payload directory of the tree
    subst: tuple[tuple[str, str], ...] = ()  # literal replacements in every text file


@dataclass(frozen=True)
class Upstream:
    url: str
    slug: str  # org/name
    refs: tuple[Ref, ...]  # in commit order; the last branch is HEAD
    workloads: tuple[str, ...]  # workload scripts that must be present (placeholders otherwise)


def _ahead(source: str) -> Ref:
    # Default branches are "a bit ahead" of the newest tag: one more commit.
    return Ref("", "branch", source, ())


UPSTREAMS: tuple[Upstream, ...] = (
    Upstream("https://github.com/Cerebras/modelzoo.git", "Cerebras/modelzoo", (
        Ref("Release_2.3.0", "tag", "Release_2.3.0"),
        Ref("Release_2.9.0", "tag", "Release_2.10.0", (("2.10.0", "2.9.0"),)),
        Ref("Release_2.10.0", "tag", "Release_2.10.0"),
        Ref("main", "branch", "Release_2.10.0"),
    ), ("src/cerebras/modelzoo/cli/main.py", "src/cerebras/modelzoo/models/nlp/bert/run.py",
        "src/cerebras/modelzoo/models/nlp/gpt2/run.py")),
    Upstream("https://github.com/groq/groqflow.git", "groq/groqflow", (
        Ref("v4.2.1", "tag", "v4.3.1", (("4.3.1", "4.2.1"),)),
        Ref("v4.3.1", "tag", "v4.3.1"),
        Ref("main", "branch", "v4.3.1"),
    ), ("proof_points/natural_language_processing/minilm/minilmv2.py",
        "proof_points/natural_language_processing/bert/bert_tiny.py")),
    Upstream("https://github.com/graphcore/examples.git", "graphcore/examples", (
        Ref("v3.2.0", "tag", "v3.3.0", (("3.3.0", "3.2.0"),)),
        Ref("v3.3.0", "tag", "v3.3.0"),
        Ref("master", "branch", "v3.3.0"),
    ), ("tutorials/simple_applications/pytorch/mnist/mnist_poptorch.py",)),
    Upstream("https://github.com/argonne-lcf/ai-science-training-series.git", "argonne-lcf/ai-science-training-series", (
        Ref("2024SpringSeries", "tag", "2024FallSeries", (("Fall 2024", "Spring 2024"),)),
        Ref("2024FallSeries", "tag", "2024FallSeries"),
        Ref("main", "branch", "2024FallSeries"),
    ), ("07_AITestbeds/Sambanova/bert/BertLarge.sh", "07_AITestbeds/Sambanova/bert/BertLarge_run.sh")),
)


def for_url(url: str) -> Upstream | None:
    return next((u for u in UPSTREAMS if u.url == url), None)


def missing_workloads() -> list[str]:
    """Workload scripts not (yet) in the payload: the sim puts placeholders in their place."""
    return [f"{u.slug}/{w}" for u in UPSTREAMS for w in u.workloads
            if not (PAYLOAD / "workloads" / u.slug / w).is_file()]


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
    src = PAYLOAD / "upstreams" / upstream.slug / ref.source
    if not src.is_dir():
        raise UsageError(f"simulated upstream {upstream.slug}: payload directory {src} is missing")
    files: dict[str, bytes] = {}
    for path in sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        data = path.read_bytes()
        for old, new in ref.subst:
            data = data.replace(old.encode(), new.encode())
        files[path.relative_to(src).as_posix()] = data
    tops = {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}
    workloads = PAYLOAD / "workloads" / upstream.slug
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
