"""`conda-env`: `conda create -n NAME python=X -y` with the recipe's conda.

An env whose python is missing, broken or of another version is not done: it is moved
out of conda's envs directory (kept as a backup) and created again.
"""
from __future__ import annotations

import os

from envdoctor.recipe import Step
from envdoctor.steps import envs
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line, note, topmost_missing


def is_done(step: Step, ctx: Context) -> str | None:
    if not os.path.exists(envs.conda_exe(ctx)):
        return f"conda is not installed yet ({ctx.display(envs.conda_exe(ctx))})"
    problem = envs.python_problem(ctx)
    if problem:
        return problem
    if not os.path.isdir(os.path.join(envs.env_dir(ctx), "conda-meta")):
        return f"{ctx.display(envs.env_dir(ctx))} is not a conda env (no conda-meta)"
    return None


def creates(step: Step, ctx: Context) -> list[str]:
    top = topmost_missing(envs.env_dir(ctx))
    return [top] if top else []


def plan(step: Step, ctx: Context) -> list[Action]:
    directory = envs.env_dir(ctx)
    actions = []
    if os.path.lexists(directory):
        actions.append(note(f"{ctx.display(directory)} is not usable ({is_done(step, ctx)}); "
                            f"it is kept, moved to {ctx.display(_backup(ctx))}"))
        actions.append(command(["mv", ctx.display(directory), ctx.display(_backup(ctx))]))
    actions.append(command(_argv(ctx, shown=True)))
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    directory = envs.env_dir(ctx)
    if os.path.lexists(directory):
        backup = _backup(ctx)
        os.makedirs(os.path.dirname(backup), exist_ok=True)
        os.rename(directory, backup)
    ctx.track(topmost_missing(directory) or directory)
    progress.update(f"creating conda env {ctx.recipe.environment.name}")
    rc, tail = ctx.run_long(_argv(ctx, shown=False), progress, cwd=ctx.target.home, timeout=1200)
    envs.forget(ctx)
    if rc != 0:
        raise fail(step, f"`{command(_argv(ctx, shown=True)).text}` exited {rc}: {last_line(tail)}",
                   "the half-made env was removed; fix the cause and run setup again")


def _argv(ctx: Context, *, shown: bool) -> list[str]:
    env = ctx.recipe.environment
    conda = "conda" if shown else envs.conda_exe(ctx)
    return [conda, "create", "-n", env.name, f"python={env.python}", "-y"]


def _backup(ctx: Context) -> str:
    # Outside envs/: conda would list a backup there as an env of its own.
    base = os.path.join(envs.conda_prefix(ctx), "envs-backup", ctx.recipe.environment.name)
    return ctx.backup_name(base)
