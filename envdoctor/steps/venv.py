"""`venv`: the recipe's virtual environment, made with the recipe's interpreter.

`creator: venv` is `<interpreter> -m venv DIR` (Cerebras); `creator: virtualenv` is
`virtualenv -p <interpreter> DIR` (Graphcore), run from envdoctor's own virtualenv
library with --no-download so it never reaches the network. A venv whose interpreter is
wrong or broken is not done: it is moved aside (kept as a backup) and made again.
"""
from __future__ import annotations

import os
import sys

from envdoctor.recipe import Step
from envdoctor.steps import envs
from envdoctor.steps.base import Action, Context, Progress, command, fail


def is_done(step: Step, ctx: Context) -> str | None:
    problem = envs.python_problem(ctx)
    if problem:
        return problem
    if _system_site(ctx) != ctx.recipe.environment.system_site_packages:
        want = "with" if ctx.recipe.environment.system_site_packages else "without"
        return f"{ctx.display(envs.env_dir(ctx))} must be made {want} --system-site-packages"
    return None


creates = envs.creates


def plan(step: Step, ctx: Context) -> list[Action]:
    directory = envs.env_dir(ctx)
    actions = envs.set_aside_plan(step, ctx, is_done(step, ctx), ctx.backup_name(directory))
    if not os.path.isdir(os.path.dirname(directory)):
        actions.append(command(["mkdir", "-p", ctx.display(os.path.dirname(directory))]))
    return [*actions, command(_argv(ctx, shown=True))]


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    interpreter = ctx.target.interpreter(ctx.recipe.environment.interpreter)
    if not os.path.exists(interpreter):
        raise fail(step, f"the recipe's interpreter {ctx.recipe.environment.interpreter} does not exist here",
                   "install it or use the node the course names")
    directory = envs.env_dir(ctx)
    envs.build(step, ctx, progress, backup=ctx.backup_name(directory), argv=_argv(ctx, shown=False),
               shown=_argv(ctx, shown=True), what=ctx.display(directory), timeout=600)


def _argv(ctx: Context, *, shown: bool) -> list[str]:
    env = ctx.recipe.environment
    directory = envs.env_dir(ctx)
    target_dir = ctx.display(directory) if shown else directory
    interpreter = env.interpreter if shown else ctx.target.interpreter(env.interpreter)
    site = ["--system-site-packages"] if env.system_site_packages else []
    if env.creator == "virtualenv":
        # The library, not whatever `virtualenv` is on PATH; never downloads seed wheels.
        head = ["virtualenv"] if shown else [sys.executable, "-m", "virtualenv"]
        opts = [] if shown else ["--no-download", "--no-periodic-update", "--quiet"]
        return [*head, *opts, *site, "-p", interpreter, target_dir]
    return [interpreter, "-m", "venv", *site, target_dir]


def _system_site(ctx: Context) -> bool:
    cfg = os.path.join(envs.env_dir(ctx), "pyvenv.cfg")
    try:
        with open(cfg, encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition("=")
                if key.strip() == "include-system-site-packages":
                    return value.strip().lower() == "true"
    except OSError:
        pass
    return False
