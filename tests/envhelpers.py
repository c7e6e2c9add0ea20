"""Helpers for check and collector tests: small real homes under tmp_path.

A "node" here is a directory with a home (home/<user>) and mapped roots, opened as a
`sim` target, but built by the test itself with only what the test needs: real dotfiles,
real virtualenvs, real git repositories, and a tiny conda stand-in (a bash script that
honours `shell.bash hook`, `--version` and `init bash`).
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterable

from envdoctor.checks import run_all, select
from envdoctor.probe import Probe, ProbeContext, collect
from envdoctor.recipe import Recipe, catalog
from envdoctor.results import CheckResult
from envdoctor.targets import SimTarget, Target

MAPPED = ["software", "opt", "usr", "data", "projects", "etc", "srv", "mnt"]
RHEL_BASHRC_HEAD = "# .bashrc\n\nif [ -f /etc/bashrc ]; then\n    . /etc/bashrc\nfi\n"
PROFILE_SOURCING = "# .bash_profile\nif [ -f ~/.bashrc ]; then\n    . ~/.bashrc\nfi\n"
GUARD = "case $- in\n    *i*) ;;\n      *) return;;\nesac\n"


class Node:
    def __init__(self, root: Path, hostname: str = "groq-r01-gn-01", user: str = "student") -> None:
        self.root = root
        self.user = user
        self.home = root / "home" / user
        self.home.mkdir(parents=True, exist_ok=True)
        self.hostname = hostname
        self.meta: dict[str, Any] = {"mapped_roots": MAPPED, "upstreams": {}, "python_versions": {}}

    @property
    def target(self) -> Target:
        return SimTarget(str(self.home), self.user, self.hostname, str(self.root), self.meta)

    def write(self, rel: str, text: str, mode: int | None = None) -> Path:
        path = self.home / rel if not rel.startswith("/") else self.root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        if mode is not None:
            path.chmod(mode)
        return path

    # --- conda stand-in ------------------------------------------------------------------
    def install_conda(self, prefix: str = "miniconda3") -> Path:
        p = self.home / prefix
        hook = textwrap.dedent(f"""\
            export CONDA_EXE='{p}/bin/conda'
            conda() {{
              case "$1" in
                activate) export CONDA_DEFAULT_ENV="${{2:-base}}" CONDA_PREFIX='{p}/envs/'"$2" CONDA_SHLVL=1;;
                deactivate) unset CONDA_DEFAULT_ENV CONDA_PREFIX; export CONDA_SHLVL=0;;
                *) "$CONDA_EXE" "$@";;
              esac
            }}
            """)
        self.write(f"{prefix}/etc/profile.d/conda.sh", hook)
        self.write(f"{prefix}/bin/activate", f". '{p}/etc/profile.d/conda.sh'\nconda activate base\n", 0o755)
        block = textwrap.dedent(f"""\
            # >>> conda initialize >>>
            # !! Contents within this block are managed by 'conda init' !!
            __conda_setup="$('{p}/bin/conda' 'shell.bash' 'hook' 2> /dev/null)"
            if [ $? -eq 0 ]; then
                eval "$__conda_setup"
            else
                if [ -f "{p}/etc/profile.d/conda.sh" ]; then
                    . "{p}/etc/profile.d/conda.sh"
                else
                    export PATH="{p}/bin:$PATH"
                fi
            fi
            unset __conda_setup
            # <<< conda initialize <<<
            """)
        self.write(f"{prefix}/block.txt", block)
        self.write(f"{prefix}/bin/conda", f"""\
            #!/bin/bash
            case "$1" in
              --version) echo "conda 24.11.3";;
              shell.bash) cat '{p}/etc/profile.d/conda.sh';;
              init) cat '{p}/block.txt' >> "$HOME/.bashrc";;
              *) echo "conda stand-in: $*" >&2; exit 1;;
            esac
            """, 0o755)
        (p / "conda-meta").mkdir(exist_ok=True)
        (p / "conda-meta" / "conda-24.11.3-py312_0.json").write_text("{}")
        return p

    def conda_block(self, prefix: str = "miniconda3") -> str:
        return (self.home / prefix / "block.txt").read_text()

    # --- venvs ----------------------------------------------------------------------------
    def link_interpreter(self, recipe_path: str, real: str) -> Path:
        dest = self.root / recipe_path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink() or dest.exists():
            dest.unlink()
        dest.symlink_to(real)
        return dest

    def virtualenv(self, rel: str, python: str) -> Path:
        dest = self.home / rel
        subprocess.run([sys.executable, "-m", "virtualenv", "--no-download", "--no-periodic-update", "-q",
                        "--no-setuptools", "--no-wheel", "-p", python, str(dest)], check=True,
                       capture_output=True, text=True, env={**os.environ, "VIRTUALENV_NO_DOWNLOAD": "1"})
        return dest


def site_packages(env: Path) -> Path:
    return next((env / "lib").glob("python*/site-packages"))


def fake_dist(site: Path, name: str, version: str, *, editable_from: Path | None = None,
              module: str | None = None) -> None:
    """A distribution as pip leaves it: NAME-VERSION.dist-info/METADATA (+ direct_url.json)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "INSTALLER").write_text("pip\n")
    if editable_from is not None:
        (info / "direct_url.json").write_text(
            '{"url": "file://%s", "dir_info": {"editable": true}}' % editable_from)
    if module:
        pkg = site / module
        pkg.mkdir(exist_ok=True)
        (pkg / "__init__.py").write_text(f"__version__ = '{version}'\n")


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def upstream(tmp: Path, name: str, tags: Iterable[str], files: dict[str, str] | None = None) -> Path:
    """A bare repository with one commit per tag (each tag on its own commit)."""
    work = tmp / f"{name}-work"
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work)
    for tag in tags:
        (work / "VERSION").write_text(f"{tag}\n")
        for rel, text in (files or {}).items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"release {tag}", cwd=work)
        git("tag", tag, cwd=work)
    (work / "NEXT").write_text("development\n")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "development", cwd=work)
    bare = tmp / f"{name}.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare


def recipe(platform: str, release: str | None = None, **changes: Any) -> Recipe:
    r = catalog().get(platform, release)
    return dataclasses.replace(r, **changes) if changes else r


def probe_of(node: Node, rec: Recipe, only: tuple[str, ...] = (), offline: bool = True) -> Probe:
    return collect(ProbeContext(node.target, rec, offline=offline), only=only)


def results(node: Node | Target, rec: Recipe, ids: tuple[str, ...] = (), collectors: tuple[str, ...] = (),
            offline: bool = True) -> dict[str, CheckResult]:
    target = node.target if isinstance(node, Node) else node
    probe = collect(ProbeContext(target, rec, offline=offline), only=collectors)
    chosen = select(rec, ids)
    return {r.id: r for r in run_all(chosen, probe, rec)}
