"""Shell startup files as bash really reads them (shared by shell-init and env-vars).

An ssh login starts an interactive LOGIN shell: bash reads the first of ~/.bash_profile,
~/.bash_login, ~/.profile, and nothing else; ~/.bashrc only when that file sources it. A
PBS job is a non-interactive login shell: a ~/.bashrc that starts with an
interactive-only guard (`case $- in *i*) ;; *) return;; esac`) returns before anything
below it, which is why conda is "not found" in batch jobs.
"""
from __future__ import annotations

import os
import re

from envdoctor import proc
from envdoctor.proc import Completed
from envdoctor.steps.base import Action, Context, read_text, unified_diff, write_file

LOGIN_FILES = (".bash_profile", ".bash_login", ".profile")
SOURCE_BEGIN = "# >>> envdoctor: login shells read ~/.bashrc >>>"
SOURCE_END = "# <<< envdoctor: login shells read ~/.bashrc <<<"
SOURCE_BLOCK = f"{SOURCE_BEGIN}\nif [ -f ~/.bashrc ]; then\n    . ~/.bashrc\nfi\n{SOURCE_END}\n"

_SOURCES_BASHRC = re.compile(r"^[^#\n]*(?:\.|source)\s+[\"']?(?:~|\$HOME|\$\{HOME\}|[\w/.-]*)/\.bashrc\b", re.M)
# The common spellings of "stop here unless interactive" (RHEL, Debian, Ubuntu, ALCF docs).
_GUARDS = (
    re.compile(r"^\s*case\s+\"?\$-\"?\s+in\b[^\n]*(?:\n[^\n]*){0,3}?\breturn\b", re.M),
    re.compile(r"^\s*\[\[?\s*\"?\$-\"?\s*!?=+\s*\*i\*\s*\]\]?\s*(?:&&|\|\|)\s*return\b", re.M),
    re.compile(r"^\s*\[\[?\s*-z\s+\"?\$\{?PS1\}?\"?\s*\]\]?\s*&&\s*return\b", re.M),
    re.compile(r"^\s*if\s+\[\[?\s*-z\s+\"?\$\{?PS1\}?\"?\s*\]\]?\s*;\s*then\s*\n?\s*return\b", re.M),
    re.compile(r"^\s*\[\[?\s*\"?\$-\"?\s*!=\s*\*i\*\s*\]\]?\s*&&\s*return\b", re.M),
)


def home_file(ctx: Context, name: str) -> str:
    return os.path.join(ctx.target.home, name)


def login_file(ctx: Context) -> str:
    """The file a login shell reads (the first that exists), ~/.bash_profile when none does."""
    for name in LOGIN_FILES:
        path = home_file(ctx, name)
        if os.path.exists(path):
            return path
    return home_file(ctx, ".bash_profile")


def login_reads_bashrc(ctx: Context) -> bool:
    text = read_text(login_file(ctx))
    return bool(text and _SOURCES_BASHRC.search(text))


def login_fix(ctx: Context) -> tuple[str, str, str] | None:
    """(path, old text or "", new text) that makes the login file source ~/.bashrc, or None."""
    if login_reads_bashrc(ctx):
        return None
    path = login_file(ctx)
    old = read_text(path)
    base = old or ""
    if base and not base.endswith("\n"):
        base += "\n"
    return path, old or "", base + ("\n" if base else "") + SOURCE_BLOCK


def login_fix_actions(ctx: Context) -> list[Action]:
    fix = login_fix(ctx)
    if fix is None:
        return []
    path, old, new = fix
    shown = ctx.display(path)
    return [Action("note", f"login shells read {shown}, which does not source ~/.bashrc: add the lines that do"),
            Action("diff", unified_diff(old if os.path.exists(path) else None, new, shown), shown)]


def apply_login_fix(ctx: Context) -> None:
    fix = login_fix(ctx)
    if fix is not None:
        write_file(ctx, fix[0], fix[2])


def guard_line(text: str) -> int | None:
    """0-based line number of the first interactive-only guard, or None."""
    starts = [m.start() for g in _GUARDS for m in g.finditer(text)]
    return text.count("\n", 0, min(starts)) if starts else None


def shell(ctx: Context, mode: str, script: str) -> Completed:
    """Run `script` in a fresh shell of the target's user started as `mode` starts it."""
    return ctx.run(proc.bash_argv(mode, script), env=ctx.target.login_env(), cwd=ctx.target.home, timeout=30)
