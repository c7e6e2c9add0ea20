"""`conda-base`: conda does not activate its base env in every new login shell.

For the venv platforms (Cerebras, Graphcore, SambaNova): a personal Miniconda installed
for another system (the home is shared) activates `base` at every login, so after
`source venv/bin/activate` the prompt shows "(venv_cerebras_pt) (base)" and conda's
python and packages leak in. The documented cure is `conda config --set
auto_activate_base false`, which the user can undo; the conda install itself is theirs
and is left alone. Done when no conda is installed, or a new login shell has no conda
env active.
"""
from __future__ import annotations

import os

from envdoctor.recipe import Step
from envdoctor.steps import dotfiles
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line

# Where users' own conda installs live (the shared home: installed for another system).
PREFIXES = ("~/miniconda3", "~/anaconda3", "~/miniforge3", "~/mambaforge")


def _conda(ctx: Context) -> str | None:
    for prefix in PREFIXES:
        exe = os.path.join(ctx.path(prefix), "bin", "conda")
        if os.path.exists(exe):
            return exe
    return None


def _active_at_login(ctx: Context) -> str:
    got = dotfiles.shell(ctx, "login", 'printf "%s" "${CONDA_DEFAULT_ENV:-}"')
    return got.stdout.strip().rpartition("\n")[2]


def is_done(step: Step, ctx: Context) -> str | None:
    conda = _conda(ctx)
    if conda is None:
        return None
    active = _active_at_login(ctx)
    if active:
        return f"every login shell activates conda env '{active}' ({ctx.display(conda)})"
    return None


def plan(step: Step, ctx: Context) -> list[Action]:
    conda = _conda(ctx) or os.path.join(ctx.path(PREFIXES[0]), "bin", "conda")
    return [command([ctx.display(conda), "config", "--set", "auto_activate_base", "false"])]


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    conda = _conda(ctx)
    if conda is None:
        return
    done = ctx.run([conda, "config", "--set", "auto_activate_base", "false"], cwd=ctx.target.home)
    if not done.ok:
        raise fail(step, f"`conda config` failed: {last_line((done.stderr or done.stdout).splitlines())}",
                   "run `conda config --set auto_activate_base false` by hand")
