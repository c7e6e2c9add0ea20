"""`env-vars`: `export NAME=value` lines for the variables a run needs (proxy, SDK).

The lines live in one marked block (`# >>> envdoctor >>>` ... `# <<< envdoctor <<<`) of
the variable's file (default ~/.bashrc); a second step writing the same file adds its
lines to the same block. Values are templated from the target and always shell-quoted,
so a recipe value like `$(...)` is written as text, never run. A new block goes above an
interactive-only guard, so that batch jobs see the variables too. When the file is
~/.bashrc, the login shell's file must source it (see dotfiles).
"""
from __future__ import annotations

import os
import re
import shlex

from envdoctor.recipe import Step, Variable
from envdoctor.steps import dotfiles
from envdoctor.steps.base import Action, Context, Progress, read_text, template, unified_diff, write_file

BEGIN = "# >>> envdoctor >>>"
END = "# <<< envdoctor <<<"
HEADER = "# written by `envdoctor setup`; edit the values here or remove the whole block"
_EXPORT = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_SOURCE = re.compile(r"^(?:source|\.)\s+(\S+)\s*$")


def is_done(step: Step, ctx: Context) -> str | None:
    for path, variables in _by_file(step, ctx).items():
        text = read_text(path) or ""
        if not _exported(ctx, text, variables):
            names = ", ".join(n for v in variables for n in v.names())
            return f"{ctx.display(path)} does not export {names} with the recipe's values"
        if _is_bashrc(ctx, path) and not dotfiles.login_reads_bashrc(ctx):
            return f"login shells do not read ~/.bashrc ({ctx.display(dotfiles.login_file(ctx))} does not source it)"
    return None


def plan(step: Step, ctx: Context) -> list[Action]:
    actions: list[Action] = []
    bashrc_used = False
    for path, variables in _by_file(step, ctx).items():
        old = read_text(path)
        new = _updated(ctx, old or "", variables)
        if new != (old or "") and not _exported(ctx, old or "", variables):
            shown = ctx.display(path)
            actions.append(Action("diff", unified_diff(old, new, shown), shown))
        bashrc_used |= _is_bashrc(ctx, path)
    if bashrc_used:
        actions += dotfiles.login_fix_actions(ctx)
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    bashrc_used = False
    for path, variables in _by_file(step, ctx).items():
        old = read_text(path) or ""
        new = _updated(ctx, old, variables)
        if new != old and not _exported(ctx, old, variables):
            write_file(ctx, path, new)
        bashrc_used |= _is_bashrc(ctx, path)
    if bashrc_used:
        dotfiles.apply_login_fix(ctx)


def export_lines(ctx: Context, variable: Variable) -> list[str]:
    value = template(ctx, variable.value)
    return [f"export {name}={shlex.quote(value)}" for name in variable.names()]


def _updated(ctx: Context, text: str, variables: list[Variable]) -> str:
    """`text` with the block holding the variables' lines (other lines of the block kept)."""
    return update_block(text, {line.split("=", 1)[0][len("export "):]: line
                               for v in variables for line in export_lines(ctx, v)})


def update_block(text: str, wanted: dict[str, str]) -> str:
    """`text` whose envdoctor block holds the `wanted` lines (key -> line, keys as `_name`
    gives them); other lines of the block are kept. A new block goes above an
    interactive-only guard, so that batch jobs read it too."""
    lines = text.splitlines(keepends=False)
    try:
        begin, end = lines.index(BEGIN), lines.index(END)
    except ValueError:
        begin = end = -1
    if 0 <= begin < end:
        body = lines[begin + 1:end]
        present = {_name(ln): ln for ln in body if _name(ln)}
        if all(present.get(k) == v for k, v in wanted.items()):
            return text
        lines[begin + 1:end] = [ln for ln in body if _name(ln) not in wanted] + list(wanted.values())
        return "\n".join(lines) + "\n"
    block = [BEGIN, HEADER, *wanted.values(), END]
    guard = dotfiles.guard_line(text)
    if guard is not None:
        lines[guard:guard] = [*block, ""]
    else:
        if lines and lines[-1].strip():
            lines.append("")
        lines += block
    return "\n".join(lines) + "\n"


def _exported(ctx: Context, text: str, variables: list[Variable]) -> bool:
    """Every name's last `export NAME=...` in the file (in our block or the user's own
    lines) gives the recipe's value: then there is nothing to write."""
    last: dict[str, str] = {}
    for line in text.splitlines():
        match = _EXPORT.match(line.strip())
        if match:
            try:
                words = shlex.split(match.group(2), comments=True)
            except ValueError:
                words = []
            last[match.group(1)] = words[0] if len(words) == 1 else "\0"
    return all(last.get(name) == template(ctx, v.value) for v in variables for name in v.names())


def _name(line: str) -> str:
    """The key of a block line: the variable of an export, `source FILE` of a source line."""
    match = _EXPORT.match(line)
    if match:
        return match.group(1)
    match = _SOURCE.match(line)
    return f"source {match.group(1).strip(chr(39) + chr(34))}" if match else ""


def _by_file(step: Step, ctx: Context) -> dict[str, list[Variable]]:
    names = step.get("variables", [])
    out: dict[str, list[Variable]] = {}
    for v in ctx.recipe.variables:
        if v.name in names:
            out.setdefault(ctx.path(v.file), []).append(v)
    return out


def _is_bashrc(ctx: Context, path: str) -> bool:
    return os.path.realpath(path) == os.path.realpath(dotfiles.home_file(ctx, ".bashrc"))
