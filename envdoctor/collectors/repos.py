"""Repository facts: each recipe repo's clone, its HEAD, the expected ref, required files."""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from envdoctor import proc
from envdoctor.collectors.host import redact_url
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Repo
from envdoctor.targets import Target

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


def repo_facts(target: Target, repo: Repo, timeout: float) -> dict[str, Any]:
    dest = target.path(repo.dest)
    facts: dict[str, Any] = {"name": repo.name, "display": repo.dest, "exists": os.path.isdir(dest),
                             "is_git": False, "ref": repo.ref, "ref_kind": repo.ref_kind}
    if not facts["exists"]:
        facts["lexists"] = os.path.lexists(dest)
        return facts
    git_dir = os.path.join(dest, ".git")
    facts["is_git"] = os.path.exists(git_dir)
    if not facts["is_git"]:
        try:
            facts["entries"] = len(os.listdir(dest))
        except OSError:
            facts["entries"] = 0
        return facts
    url = origin_url(git_dir) if os.path.isdir(git_dir) else ""
    facts["origin"] = redact_url(_unmap_url(target, url))
    ref = f"refs/tags/{repo.ref}^{{commit}}" if repo.ref_kind == "tag" else f"refs/heads/{repo.ref}^{{commit}}"
    env = _git_env()
    with ThreadPoolExecutor(max_workers=2) as pool:
        head_f = pool.submit(proc.run, [*GIT, "-C", dest, "log", "-1", "--format=%H%x00%D", "HEAD"], env=env,
                             timeout=timeout)
        ref_f = pool.submit(proc.run, [*GIT, "-C", dest, "rev-parse", "--verify", "-q", ref], env=env,
                            timeout=timeout)
        head, ref_done = head_f.result(), ref_f.result()
    if head.ok:
        commit, _, decor = head.stdout.strip().partition("\0")
        facts["head"] = commit
        parts = [d.strip() for d in decor.split(",") if d.strip()]
        facts["tags_at_head"] = [d[len("tag: "):] for d in parts if d.startswith("tag: ")]
        branch = next((d[len("HEAD -> "):] for d in parts if d.startswith("HEAD -> ")), "")
        facts["branch"] = branch
        facts["detached"] = not branch
    else:
        facts["head"] = ""
        facts["git_error"] = head.describe() if not head.missing else "git is not installed"
    facts["ref_commit"] = ref_done.stdout.strip() if ref_done.ok else ""
    facts["required_files"] = {f: os.path.exists(os.path.join(dest, f)) for f in repo.required_files}
    if repo.vendor_package:
        facts["setup_py_version"] = _setup_py_version(dest)
    return facts


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
    for real, local in (target.meta.get("upstreams") or {}).items():
        if url.rstrip("/") == str(local).rstrip("/") or url.rstrip("/") == str(local).replace("file://", "").rstrip("/"):
            return real
    return url


@collector("repos")
def collect_repos(ctx: ProbeContext) -> dict[str, Any]:
    repos = ctx.recipe.repos
    if not repos:
        return {}
    with ThreadPoolExecutor(max_workers=len(repos)) as pool:
        futures = {r.name: pool.submit(repo_facts, ctx.target, r, ctx.timeout) for r in repos}
        return {name: f.result() for name, f in futures.items()}
