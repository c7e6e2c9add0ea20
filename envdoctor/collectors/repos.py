"""Repository facts: each recipe repo's clone, its HEAD, the expected ref, required files,
and its work tree (`git describe`, modified and untracked files: what a snapshot records).

The facts are `ReposFacts` (checks read `probe.of(ReposFacts).clones`); its JSON form is
`{repo name: clone facts}`, the probe's wire form before the facts were typed.
"""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple, Type, TypeVar

from envdoctor import proc
from envdoctor.collectors.host import redact_url
from envdoctor.facts import Facts, FactsError
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Repo
from envdoctor.targets import Target

R = TypeVar("R", bound="ReposFacts")
MAX_MODIFIED = 30  # changed files listed by name (a snapshot records the first ones)


@dataclass(frozen=True)
class Clone(Facts):
    """One recipe repository where the course clones it; filled in as far as it exists."""

    name: str
    display: str  # the destination as the recipe spells it (~/...)
    exists: bool
    is_git: bool
    ref: str  # the recipe's tag or branch
    ref_kind: str  # "tag" or "branch"
    lexists: bool = False  # something that is not a directory is in the way
    entries: int = 0  # not a clone: how many entries the directory has
    origin: str = ""  # remote.origin.url (credentials redacted, a sim upstream as its real URL)
    head: str = ""  # "" when git could not read HEAD (see git_error)
    git_error: str = ""
    tags_at_head: Tuple[str, ...] = ()
    branch: str = ""
    detached: bool = False
    ref_commit: str = ""  # the commit the recipe's ref names here ("" when this clone lacks it)
    required_files: Dict[str, bool] = field(default_factory=dict)
    setup_py_version: str = ""  # vendor repos: the release their setup.py pins
    describe: str = ""  # `git describe --tags --always`
    modified: Tuple[str, ...] = ()  # changed tracked files (first MAX_MODIFIED, sorted)
    untracked: int = 0


@dataclass(frozen=True)
class ReposFacts(Facts):
    """Each clone of the recipe's repositories: where it is and at which ref."""

    clones: Dict[str, Clone] = field(default_factory=dict)  # by recipe repo name

    def to_json(self) -> Dict[str, Any]:
        return {name: c.to_json() for name, c in self.clones.items()}

    @classmethod
    def from_json(cls: Type[R], data: Any) -> R:
        if not isinstance(data, dict):
            raise FactsError(f"ReposFacts: expected an object, found {type(data).__name__}")
        return cls({str(k): Clone.from_json(v) for k, v in data.items()})

GIT = ("git", "-c", "safe.directory=*", "-c", "core.quotepath=off")


def _git_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": os.environ.get("HOME", "/"), "GIT_TERMINAL_PROMPT": "0"}


def origin_url(git_dir: str) -> str:
    """remote.origin.url, read from .git/config (no process needed)."""
    try:
        with open(os.path.join(git_dir, "config"), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return ""
    section = ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s
        elif section.replace(" ", "") in ('[remote"origin"]',):
            m = re.match(r"url\s*=\s*(.+)", s)
            if m:
                return m.group(1).strip()
    return ""


def repo_facts(target: Target, repo: Repo, timeout: float, details: bool = True) -> Clone:
    dest = target.path(repo.dest)
    base: Dict[str, Any] = {"name": repo.name, "display": repo.dest, "exists": os.path.isdir(dest),
                            "is_git": False, "ref": repo.ref, "ref_kind": repo.ref_kind}
    if not base["exists"]:
        return Clone(**base, lexists=os.path.lexists(dest))
    git_dir = os.path.join(dest, ".git")
    if not os.path.exists(git_dir):
        try:
            entries = len(os.listdir(dest))
        except OSError:
            entries = 0
        return Clone(**base, entries=entries)
    base["is_git"] = True
    url = origin_url(git_dir) if os.path.isdir(git_dir) else ""
    base["origin"] = redact_url(_unmap_url(target, url))
    ref = f"refs/tags/{repo.ref}^{{commit}}" if repo.ref_kind == "tag" else f"refs/heads/{repo.ref}^{{commit}}"
    env = _git_env()

    def git(*args: str) -> proc.Completed:
        return proc.run([*GIT, "-C", dest, *args], env=env, timeout=timeout)

    with ThreadPoolExecutor(max_workers=4) as pool:
        head_f = pool.submit(git, "log", "-1", "--format=%H%x00%D", "HEAD")
        ref_f = pool.submit(git, "rev-parse", "--verify", "-q", ref)
        # describe and status (which walks the whole tree) only for views: no check reads them.
        describe_f = pool.submit(git, "describe", "--tags", "--always") if details else None
        status_f = pool.submit(git, "status", "--porcelain", "--untracked-files=normal") if details else None
        head, ref_done = head_f.result(), ref_f.result()
        describe, status = (f.result() if f is not None else None for f in (describe_f, status_f))
    if head.ok:
        commit, _, decor = head.stdout.strip().partition("\0")
        parts = [d.strip() for d in decor.split(",") if d.strip()]
        branch = next((d[len("HEAD -> "):] for d in parts if d.startswith("HEAD -> ")), "")
        base.update(head=commit, tags_at_head=tuple(d[len("tag: "):] for d in parts if d.startswith("tag: ")),
                    branch=branch, detached=not branch)
    else:
        base["git_error"] = head.describe() if not head.missing else "git is not installed"
    lines = status.stdout.splitlines() if status is not None and status.ok else []
    return Clone(**base, ref_commit=ref_done.stdout.strip() if ref_done.ok else "",
                 required_files={f: os.path.exists(os.path.join(dest, f)) for f in repo.required_files},
                 setup_py_version=_setup_py_version(dest) if repo.vendor_package else "",
                 describe=describe.stdout.strip() if describe is not None and describe.ok else "",
                 modified=tuple(sorted(ln[3:] for ln in lines if not ln.startswith("??"))[:MAX_MODIFIED]),
                 untracked=sum(1 for ln in lines if ln.startswith("??")))


def _setup_py_version(dest: str) -> str:
    """__version__ / version= in the clone's setup.py (Cerebras modelzoo pins its release there)."""
    try:
        with open(os.path.join(dest, "setup.py"), encoding="utf-8", errors="replace") as fh:
            text = fh.read(200_000)
    except OSError:
        return ""
    m = re.search(r"""(?m)^\s*(?:__version__|VERSION)\s*=\s*["']([^"']+)["']""", text) or \
        re.search(r"""version\s*=\s*["']([0-9][^"']*)["']""", text)
    return m.group(1) if m else ""


def _unmap_url(target: Target, url: str) -> str:
    """Show a sim node's local upstream as the real URL it stands for."""
    return target.unmap_url(url)


@collector("repos", ReposFacts)
def collect_repos(ctx: ProbeContext) -> ReposFacts:
    repos = ctx.recipe.repos
    if not repos:
        return ReposFacts()
    with ThreadPoolExecutor(max_workers=len(repos)) as pool:
        futures = {r.name: pool.submit(repo_facts, ctx.target, r, ctx.timeout, ctx.details) for r in repos}
        return ReposFacts({name: f.result() for name, f in futures.items()})
