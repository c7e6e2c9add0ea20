"""`conda-env`: `conda create -n NAME python=X -y` with the recipe's conda.

An env whose python is missing, broken or of another version is not done: it is moved
out of conda's envs directory (kept as a backup) and created again.
"""
from __future__ import annotations

import os

from envdoctor.recipe import Step
from envdoctor.steps import envs
from envdoctor.steps.base import Action, Context, Progress, command


def is_done(step: Step, ctx: Context) -> str | None:
    if not os.path.exists(envs.conda_exe(ctx)):
        return f"conda is not installed yet ({ctx.display(envs.conda_exe(ctx))})"
    problem = envs.python_problem(ctx)
    if problem:
        return problem
    if not os.path.isdir(os.path.join(envs.env_dir(ctx), "conda-meta")):
        return f"{ctx.display(envs.env_dir(ctx))} is not a conda env (no conda-meta)"
    return None


creates = envs.creates


def plan(step: Step, ctx: Context) -> list[Action]:
    return [*envs.set_aside_plan(step, ctx, is_done(step, ctx), _backup(ctx)), command(_argv(ctx, shown=True))]


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    envs.build(step, ctx, progress, backup=_backup(ctx), argv=_argv(ctx, shown=False), shown=_argv(ctx, shown=True),
               what=f"conda env {ctx.recipe.environment.name}", timeout=1200)


def _argv(ctx: Context, *, shown: bool) -> list[str]:
    env = ctx.recipe.environment
    conda = "conda" if shown else envs.conda_exe(ctx)
    return [conda, "create", "-n", env.name, f"python={env.python}", "-y"]


def _backup(ctx: Context) -> str:
    # Outside envs/: conda would list a backup there as an env of its own.
    base = os.path.join(envs.conda_prefix(ctx), "envs-backup", ctx.recipe.environment.name)
    return ctx.backup_name(base)
