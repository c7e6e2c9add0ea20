"""`git`: the recipe's repository cloned at its ref (a tag, or a branch).

Done only when HEAD is the tag's commit (for a branch: HEAD is on that branch) and the
repo's required files are there. A clone at another ref is moved to the ref (`git fetch
--tags` when the tag is not there yet, then `git checkout`). Local changes to tracked files
are never touched unless the user agreed to the plan that says so, and then they are first
kept: `git stash push -m envdoctor-backup-<time>` plus a branch `envdoctor-backup-<time>`
at the old HEAD (so commits made there stay reachable).
"""
from __future__ import annotations

import os

from envdoctor.proc import Completed
from envdoctor.recipe import Repo, Step
from envdoctor.steps.base import (
    LONG_TIMEOUT,
    Action,
    Context,
    Progress,
    command,
    fail,
    last_line,
    move_aside,
    note,
    topmost_missing,
)

# Never prompt for a password (a moved or private repo would hang setup), give up on a
# stalled transfer instead of waiting forever.
_GIT = ("git", "-c", "advice.detachedHead=false", "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60")


def is_done(step: Step, ctx: Context) -> str | None:
    repo, dest = _repo(step, ctx), _dest(step, ctx)
    shown = ctx.display(dest)
    if not os.path.lexists(dest):
        return f"{shown} is not cloned yet"
    if not _is_clone(dest):
        return f"{shown} exists but is not a git clone"
    problem = _ref_problem(ctx, repo, dest)
    if problem:
        return problem
    missing = _missing_files(repo, dest)
    if missing:
        return f"{shown}/{missing[0]} is missing from the clone"
    return None


def creates(step: Step, ctx: Context) -> list[str]:
    top = topmost_missing(_dest(step, ctx))
    return [top] if top else []


def plan(step: Step, ctx: Context) -> list[Action]:
    repo, dest = _repo(step, ctx), _dest(step, ctx)
    shown = ctx.display(dest)
    if not os.path.lexists(dest) or _empty_dir(dest):
        return [command(_clone_argv(repo, repo.url, shown))]
    if not _is_clone(dest):
        backup = ctx.display(ctx.backup_name(dest))
        return [note(f"{shown} is not a git clone: it is kept, renamed to {backup}"), command(["mv", shown, backup]),
                command(_clone_argv(repo, repo.url, shown))]
    return [Action(a.kind, a.text) for a in _move_actions(ctx, repo, dest, shown)]


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    repo, dest = _repo(step, ctx), _dest(step, ctx)
    if os.path.lexists(dest) and not _empty_dir(dest) and not _is_clone(dest):
        move_aside(ctx, dest)
    if not os.path.lexists(dest) or _empty_dir(dest):
        _clone(step, ctx, progress, repo, dest)
        return
    for argv in _move_argvs(ctx, repo, dest):
        rc, tail = ctx.run_long(argv, progress, cwd=dest, env=_env(ctx))
        if rc != 0:
            raise fail(step, f"`{command(_shown_argv(argv)).text}` in {ctx.display(dest)} exited {rc}: "
                       f"{last_line(tail)}", "your files in the clone were not changed beyond what is listed "
                       "above; fix the cause and run setup again")
    missing = _missing_files(repo, dest)
    if missing:
        _git(ctx, dest, "checkout", repo.ref, "--", *missing)


def _clone(step: Step, ctx: Context, progress: Progress, repo: Repo, dest: str) -> None:
    top = topmost_missing(dest)
    if top:
        ctx.track(top)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    url = ctx.target.url(repo.url)
    progress.update(f"cloning {repo.url}")
    rc, tail = ctx.run_long([*_GIT, "--no-pager", *_clone_argv(repo, url, dest)[1:]], progress,
                            cwd=os.path.dirname(dest), env=_env(ctx), timeout=LONG_TIMEOUT)
    if rc != 0:
        raise fail(step, f"cannot clone {repo.url} at {repo.ref} ({last_line(tail, f'git exited {rc}')})",
                   "check the URL, the network and the proxy; nothing was left behind")


def _clone_argv(repo: Repo, url: str, dest: str) -> list[str]:
    return ["git", "clone", "--branch", repo.ref, url, dest]


def _move_actions(ctx: Context, repo: Repo, dest: str, shown: str) -> list[Action]:
    actions: list[Action] = []
    if _dirty(ctx, dest):
        actions.append(note(f"{shown} has local changes: they are kept in a stash and a branch named "
                            f"{_backup_ref(ctx)} before it moves to {repo.ref} "
                            f"(get them back with `git stash list` / `git stash pop`)"))
    url = ctx.target.url(repo.url)
    for argv in _move_argvs(ctx, repo, dest):
        actions.append(command([repo.url if a == url else a for a in _shown_argv(argv)], shown))
    return actions


def _move_argvs(ctx: Context, repo: Repo, dest: str) -> list[list[str]]:
    git = list(_GIT)
    argvs: list[list[str]] = []
    if _dirty(ctx, dest):
        argvs.append([*git, "stash", "push", "-m", _backup_ref(ctx)])
    if _git(ctx, dest, "rev-parse", "-q", "--verify", "HEAD").ok:
        argvs.append([*git, "branch", _backup_ref(ctx), "HEAD"])
    if not _has_ref(ctx, repo, dest):
        argvs.append([*git, "fetch", "--tags", "--force", _remote(ctx, repo, dest)]
                     + ([f"+refs/heads/{repo.ref}:refs/remotes/origin/{repo.ref}"] if repo.ref_kind == "branch" else []))
    argvs.append([*git, "checkout", repo.ref])
    return argvs


def _shown_argv(argv: list[str]) -> list[str]:
    return ["git", *argv[len(_GIT):]]


def _ref_problem(ctx: Context, repo: Repo, dest: str) -> str | None:
    shown = ctx.display(dest)
    if repo.ref_kind == "branch":
        got = _git(ctx, dest, "symbolic-ref", "-q", "--short", "HEAD")
        branch = got.stdout.strip() if got.ok else ""
        if branch != repo.ref:
            return f"{shown} is on {branch or 'a detached HEAD'}, not on branch {repo.ref}"
        return None
    head = _git(ctx, dest, "rev-parse", "-q", "--verify", "HEAD^{commit}")
    tag = _git(ctx, dest, "rev-parse", "-q", "--verify", f"refs/tags/{repo.ref}^{{commit}}")
    if not tag.ok:
        return f"{shown} does not have the tag {repo.ref} (clone or fetch it)"
    if not head.ok or head.stdout.strip() != tag.stdout.strip():
        at = _git(ctx, dest, "describe", "--tags", "--always", "HEAD")
        return f"{shown} is at {at.stdout.strip() or 'no commit'}, not at the tag {repo.ref}"
    return None


def _has_ref(ctx: Context, repo: Repo, dest: str) -> bool:
    if repo.ref_kind == "branch":
        return (_git(ctx, dest, "rev-parse", "-q", "--verify", f"refs/heads/{repo.ref}").ok
                or _git(ctx, dest, "rev-parse", "-q", "--verify", f"refs/remotes/origin/{repo.ref}").ok)
    return _git(ctx, dest, "rev-parse", "-q", "--verify", f"refs/tags/{repo.ref}^{{commit}}").ok


def _remote(ctx: Context, repo: Repo, dest: str) -> str:
    """origin when it is the recipe's repository, else the recipe's URL itself (a fork
    may not have the tag)."""
    url = ctx.target.url(repo.url)
    got = _git(ctx, dest, "remote", "get-url", "origin")
    same = {_norm(url), _norm(repo.url)}
    return "origin" if got.ok and _norm(got.stdout.strip()) in same else url


def _norm(url: str) -> str:
    return url[len("file://"):].rstrip("/") if url.startswith("file://") else url.rstrip("/")


def _dirty(ctx: Context, dest: str) -> bool:
    got = _git(ctx, dest, "status", "--porcelain", "--untracked-files=no")
    return bool(got.stdout.strip()) if got.ok else False


def _backup_ref(ctx: Context) -> str:
    return f"envdoctor-backup-{ctx.stamp}"


def _missing_files(repo: Repo, dest: str) -> list[str]:
    return [f for f in repo.required_files if not os.path.exists(os.path.join(dest, f))]


def _git(ctx: Context, dest: str, *args: str) -> Completed:
    return ctx.run([*_GIT, *args], cwd=dest, env=_env(ctx), timeout=60)


def _env(ctx: Context) -> dict[str, str]:
    return {**ctx.env, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}


def _is_clone(dest: str) -> bool:
    return os.path.isdir(dest) and os.path.exists(os.path.join(dest, ".git"))


def _empty_dir(dest: str) -> bool:
    return os.path.isdir(dest) and not os.path.islink(dest) and not os.listdir(dest)


def _repo(step: Step, ctx: Context) -> Repo:
    return ctx.recipe.repo(step.get("repo"))


def _dest(step: Step, ctx: Context) -> str:
    return ctx.path(_repo(step, ctx).dest)
