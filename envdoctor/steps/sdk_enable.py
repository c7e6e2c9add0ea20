"""`sdk-enable`: the vendor SDK is enabled in every new login shell.

On the Graphcore nodes the Poplar SDK is enabled by the system at login; when it is not
(another SDK's profile, a node set up differently), the course's cure is to source the
SDK's `enable` script. Done when a fresh login shell has the step's `variable` set (the
enable script exports POPLAR_SDK_ENABLED); otherwise the `source` line goes into the
envdoctor block of ~/.bashrc (diff first), above an interactive-only guard. The script's
path is single-quoted and must fit on one line; `variable` must be a variable name (it is
read in a login shell): anything else is refused with exit 2.
"""
from __future__ import annotations

import shlex

from envdoctor import files
from envdoctor.errors import UsageError
from envdoctor.recipe import Step
from envdoctor.steps import dotfiles
from envdoctor.steps.base import Action, Context, Progress, fail
from envdoctor.steps.env_vars import NAME, update_block


def _checked(step: Step, ctx: Context) -> tuple[str, str]:
    """(variable, script path on this node), refused with one line when unsafe."""
    variable, script = step.get("variable"), ctx.path(step.get("script"))
    if not NAME.fullmatch(variable):
        raise UsageError(f"{ctx.recipe.path}: steps: {step.id}: variable {variable!r} is not a shell variable name; "
                         "use letters, digits and _")
    bad = files.bad_char(script)
    if bad:
        raise UsageError(f"{ctx.recipe.path}: steps: {step.id}: script on this node contains {bad}; "
                         "use a path without line breaks or control characters")
    return variable, script


def _enabled_at_login(step: Step, ctx: Context) -> bool:
    variable, _ = _checked(step, ctx)
    got = dotfiles.shell(ctx, "login", f'printf "%s" "${{{variable}:-}}"')
    return bool(got.stdout.strip().rpartition("\n")[2])


def _new_bashrc(step: Step, ctx: Context) -> tuple[str, str | None, str]:
    path = dotfiles.home_file(ctx, ".bashrc")
    old = dotfiles.read(path)
    _, script = _checked(step, ctx)
    return path, old, update_block(old or "", [f"source {shlex.quote(script)}"])


def is_done(step: Step, ctx: Context) -> str | None:
    if _enabled_at_login(step, ctx):
        return None
    return f"a new login shell does not enable the SDK (${step.get('variable')} is unset)"


def plan(step: Step, ctx: Context) -> list[Action]:
    path, old, new = _new_bashrc(step, ctx)
    actions = dotfiles.edit_actions(ctx, path, old, new) if new != (old or "") else []
    return actions + dotfiles.login_fix_actions(ctx)


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    path, old, new = _new_bashrc(step, ctx)
    if new != (old or ""):
        dotfiles.write(ctx, path, new)
    dotfiles.apply_login_fix(ctx)
    if not _enabled_at_login(step, ctx):
        raise fail(step, f"sourcing {ctx.display(ctx.path(step.get('script')))} did not set ${step.get('variable')}",
                   "check that the SDK is installed at that path, then source its enable script by hand")
