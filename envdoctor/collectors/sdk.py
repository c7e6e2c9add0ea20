"""SDK facts: the recipe's `sdk` commands (popc --version, cszoo --help, import groqflow, ...).

Every command runs in the environment a fresh login shell reaches (the login shell the
`shells` collector starts anyway: one login per probe), because that is where a student
types them; a command with `in_env` runs with the recipe's environment activated on top
(its bin first on PATH, VIRTUAL_ENV / CONDA_PREFIX set). All commands start at once.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from envdoctor import proc
from envdoctor.collectors.host import redact_url
from envdoctor.collectors.shells import login_environment
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import SdkCommand

MAX_OUTPUT = 4000


@dataclass(frozen=True)
class SdkResult:
    """One recipe `sdk` command as it ran (or why it did not: `skipped`)."""

    id: str
    argv: Tuple[str, ...]
    in_env: bool
    skipped: str = ""
    returncode: Optional[int] = None  # None: it did not run
    timed_out: bool = False
    not_found: bool = False
    duration_ms: int = 0
    output: str = ""  # stdout then stderr, URL credentials redacted, the last MAX_OUTPUT characters


@dataclass(frozen=True)
class SdkFacts(Facts):
    """What each vendor tool command answered."""

    commands: Dict[str, SdkResult] = field(default_factory=dict)  # command id -> its result


def activated(ctx: ProbeContext, env: dict[str, str]) -> dict[str, str] | None:
    """`env` with the recipe's environment activated (as `activate` does); None if it is missing."""
    r_env = ctx.recipe.environment
    if not r_env.path:
        return dict(env)
    path = ctx.target.path(r_env.path)
    if not os.path.isfile(os.path.join(path, "bin", "python")):
        return None
    out = dict(env)
    out["PATH"] = os.path.join(path, "bin") + (":" + env["PATH"] if env.get("PATH") else "")
    if r_env.kind == "conda":
        out.update(CONDA_PREFIX=path, CONDA_DEFAULT_ENV=r_env.name)
    else:
        out["VIRTUAL_ENV"] = path
    out.pop("PYTHONHOME", None)
    return out


def run_sdk(ctx: ProbeContext, cmd: SdkCommand, login: dict[str, str]) -> SdkResult:
    env = activated(ctx, login) if cmd.in_env else login
    if env is None:
        return SdkResult(cmd.id, cmd.argv, cmd.in_env,
                         skipped=f"the environment {ctx.recipe.environment.path} does not exist")
    t = ctx.target
    exe = proc.which(cmd.argv[0], path=env.get("PATH", "")) if "/" not in cmd.argv[0] else cmd.argv[0]
    if not exe:
        return SdkResult(cmd.id, cmd.argv, cmd.in_env, returncode=127, not_found=True,
                         output=f"{cmd.argv[0]}: command not found")
    # A neutral cwd: from ~ a clone like ~/groqflow would be imported as a namespace package.
    done = proc.run([exe, *cmd.argv[1:]], env=env, cwd="/", timeout=max(ctx.timeout, 10.0))
    out = (done.stdout + ("\n" if done.stdout and done.stderr else "") + done.stderr)
    out = redact_url(out)
    out = t.unmap_text(out)
    return SdkResult(cmd.id, cmd.argv, cmd.in_env, returncode=done.returncode, timed_out=done.timed_out,
                     not_found=done.missing, duration_ms=done.duration_ms, output=out[-MAX_OUTPUT:])


@collector("sdk", SdkFacts)
def collect_sdk(ctx: ProbeContext) -> SdkFacts:
    cmds = ctx.recipe.sdk
    if not cmds:
        return SdkFacts()
    login = login_environment(ctx)
    if login is None:
        return SdkFacts({c.id: SdkResult(c.id, c.argv, c.in_env,
                                         skipped="a login shell did not start (see shell.startup-files)")
                         for c in cmds})
    with ThreadPoolExecutor(max_workers=len(cmds)) as pool:
        results = list(pool.map(lambda c: run_sdk(ctx, c, login), cmds))
    return SdkFacts({r.id: r for r in results})
