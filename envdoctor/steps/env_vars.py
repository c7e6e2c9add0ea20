"""`env-vars`: `export NAME=value` lines for the variables a run needs (proxy, SDK).

The lines live in one marked block (`# >>> envdoctor >>>` ... `# <<< envdoctor <<<`) of
the variable's file (default ~/.bashrc); a second step writing the same file adds its
lines to the same block. Values are templated from the target and always single-quoted
(shlex.quote: a `'` inside is written `'\''`), so a recipe value like `$(...)` is
written as text, never run; a value that cannot stay on one line (NUL, newline, other
control characters, line separators) is refused with exit 2, at recipe load and again
after templating. A new block goes above an interactive-only guard, so that batch jobs
see the variables too. When the file is ~/.bashrc, the login shell's file must source it
(see dotfiles).

The block is envdoctor's, so an update rewrites it whole: a block left broken by an
older envdoctor (a value split over two lines, copies appended on every run) is
replaced by one clean block, and every byte outside it stays as it was.
"""
from __future__ import annotations

import os
import re
import shlex

from envdoctor import files
from envdoctor.errors import UsageError
from envdoctor.recipe import Step, Variable
from envdoctor.steps import dotfiles
from envdoctor.steps.base import Action, Context, Progress, fail, note, template

BEGIN = "# >>> envdoctor >>>"
END = "# <<< envdoctor <<<"
HEADER = "# written by `envdoctor setup`; edit the values here or remove the whole block"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPORT = re.compile(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def is_done(step: Step, ctx: Context) -> str | None:
    for path, variables in _by_file(step, ctx).items():
        text = dotfiles.read(path) or ""
        _wanted(ctx, variables)  # a value unfit for a dotfile is refused before anything else
        broken = broken_lines(text)
        if broken:
            return (f"the envdoctor block of {ctx.display(path)} has {broken} broken line(s) "
                    "(left by an older envdoctor): it is written again whole")
        if not _exported(ctx, text, variables):
            later = _overridden(ctx, path, text, variables)
            if later:
                return later
            names = ", ".join(n for v in variables for n in v.names())
            return f"{ctx.display(path)} does not export {names} with the recipe's values"
        if _is_bashrc(ctx, path) and not dotfiles.login_reads_bashrc(ctx):
            return f"login shells do not read ~/.bashrc ({ctx.display(dotfiles.login_file(ctx))} does not source it)"
    return None


def plan(step: Step, ctx: Context) -> list[Action]:
    actions: list[Action] = []
    bashrc_used = False
    for path, variables in _by_file(step, ctx).items():
        old = dotfiles.read(path)
        new = _new_text(ctx, old or "", variables)
        later = _overridden(ctx, path, old or "", variables)
        if later:
            actions.append(note(f"{later}: remove or change that line, then run setup again"))
        if new is not None:
            broken = broken_lines(old or "")
            if broken:
                actions.append(note(f"the envdoctor block of {ctx.display(path)} has {broken} broken line(s) left by "
                                    "an older envdoctor (a value split over lines, or repeated copies): "
                                    "the whole block is replaced by a clean one"))
            actions += dotfiles.edit_actions(ctx, path, old, new)
        bashrc_used |= _is_bashrc(ctx, path)
    if bashrc_used:
        actions += dotfiles.login_fix_actions(ctx)
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    bashrc_used = False
    for path, variables in _by_file(step, ctx).items():
        old = dotfiles.read(path) or ""
        new = _new_text(ctx, old, variables)
        if new is not None:
            dotfiles.write(ctx, path, new)
        later = _overridden(ctx, path, new if new is not None else old, variables)
        if later:
            raise fail(step, later, "remove or change that line (it is yours: envdoctor leaves it), then run setup again")
        bashrc_used |= _is_bashrc(ctx, path)
    if bashrc_used:
        dotfiles.apply_login_fix(ctx)


def export_lines(ctx: Context, variable: Variable) -> list[str]:
    """The block's lines for `variable`; UsageError (exit 2) when its value, as
    templated for this target, cannot be written on one line."""
    value = template(ctx, variable.value)
    problem = files.shell_value_problem(variable.name, value)
    if problem:
        key, what = problem
        raise UsageError(f"{ctx.recipe.path}: variables: {variable.name}: {key} on this node {what}")
    return [f"export {name}={shlex.quote(value)}" for name in variable.names()]


def _wanted(ctx: Context, variables: list[Variable]) -> list[str]:
    return [line for v in variables for line in export_lines(ctx, v)]


def _new_text(ctx: Context, old: str, variables: list[Variable]) -> str | None:
    """The file's new text, or None when nothing needs writing (the values are exported
    already, by the block or by the user's own lines, and the block is not broken)."""
    new = update_block(old, _wanted(ctx, variables))
    if new == old or (not broken_lines(old) and _exported(ctx, old, variables)):
        return None
    return new


def update_block(text: str, wanted: list[str]) -> str:
    """`text` whose envdoctor block holds the `wanted` lines (one `export NAME=...` or
    `source FILE` each), in place of lines of the same name; other lines of the block
    are kept. A broken or repeated block is replaced by one clean block; a new block
    goes above an interactive-only guard, so that batch jobs read it too. Nothing
    outside the block changes."""
    nl = files.newline_of(text)
    blocks = dotfiles.find_blocks(files.split_lines(text), BEGIN, END)
    if not blocks:
        return dotfiles.insert(text, dotfiles.render([BEGIN, HEADER, *wanted, END], nl), dotfiles.guard_line(text))
    kept, _ = _statements(_body(text, blocks))
    block = dotfiles.render([BEGIN, HEADER], nl) + "".join(_merged(kept, wanted, nl)) + dotfiles.render([END], nl)
    return dotfiles.replace_blocks(text, blocks, block)


def broken_lines(text: str) -> int:
    """How many lines of the envdoctor block(s) bash would not read as envdoctor meant:
    lines of a quoted value split over lines, and every line of a repeated block."""
    lines = files.split_lines(text)
    blocks = dotfiles.find_blocks(lines, BEGIN, END)
    if not blocks:
        return 0
    _, dropped = _statements(_body(text, blocks[:1]))
    return dropped + sum(last - first + 1 for first, last in blocks[1:])


def _body(text: str, blocks: list[tuple[int, int]]) -> list[str]:
    lines = files.split_lines(text)
    return [line for first, last in blocks for line in lines[first + 1:last]]


def _statements(body: list[str]) -> tuple[list[str], int]:
    """The body's lines that bash reads as complete lines, and how many lines were left
    out because they belong to a quote or continuation spanning lines (only an older
    envdoctor wrote those: its values are single-quoted on one line now)."""
    kept: list[str] = []
    pending: list[str] = []
    dropped = 0
    for line in body:
        pending.append(line)
        if _unfinished("".join(pending)):
            continue
        if len(pending) == 1:
            kept.append(line)
        else:
            dropped += len(pending)
        pending = []
    return kept, dropped + len(pending)


def _unfinished(text: str) -> bool:
    """Whether bash would read on past the end of `text`: an open '...', "..." or $'...'
    quote, or a backslash before the last newline."""
    quote = ""
    word_start = True
    i = 0
    while i < len(text):
        c = text[i]
        if not quote:
            if c == "\\":
                if text[i + 1:] in ("", "\n", "\r\n"):
                    return True
                i += 2
                word_start = False
                continue
            if c == "#" and word_start:
                end = text.find("\n", i)
                if end < 0:
                    return False
                i = end
                continue
            if c in ("'", '"'):
                quote = c
            elif c == "$" and text[i + 1:i + 2] == "'":
                quote, i = "$'", i + 1
            word_start = c in " \t\n;&|()<>"
        elif c == "\\" and quote != "'":
            i += 1
        elif c == quote[-1]:
            quote = ""
        i += 1
    return bool(quote)


def _merged(kept: list[str], wanted: list[str], nl: str) -> list[str]:
    """The new block body: kept lines in order, a wanted line in place of the first line
    of its name, earlier repeats of any name dropped (bash used the last), the header
    and blank lines dropped (they are written again), new names at the end."""
    by_key = {_name(line): line for line in wanted}
    last = {_name(dotfiles.bare(line)): i for i, line in enumerate(kept)}
    out: list[str] = []
    placed: set[str] = set()
    for i, line in enumerate(kept):
        text = dotfiles.bare(line)
        key = _name(text)
        if text.strip(" \t") in ("", HEADER):
            continue
        if key in by_key:
            if key not in placed:
                out.append(dotfiles.render([by_key[key]], nl))
                placed.add(key)
        elif not key or last[key] == i:
            out.append(line if line.endswith("\n") else line + nl)
    return out + [dotfiles.render([line], nl) for key, line in by_key.items() if key not in placed]


def _exported(ctx: Context, text: str, variables: list[Variable]) -> bool:
    """Every name's last `export NAME=...` in the file (in our block or the user's own
    lines) gives the recipe's value: then there is nothing to write."""
    last: dict[str, str] = {}
    for line in files.split_lines(text):
        match = _EXPORT.match(line.rstrip("\n"))
        if match:
            words = _words(match.group(2))
            last[match.group(1)] = words[0] if len(words) == 1 else "\0"
    return all(last.get(name) == template(ctx, v.value) for v in variables for name in v.names())


def _overridden(ctx: Context, path: str, text: str, variables: list[Variable]) -> str | None:
    """"line N of FILE sets NAME again after envdoctor's block" when a user's own line
    below the block exports another value (bash keeps the last one)."""
    lines = files.split_lines(text)
    blocks = dotfiles.find_blocks(lines, BEGIN, END)
    if not blocks:
        return None
    wanted = {name: template(ctx, v.value) for v in variables for name in v.names()}
    seen: set[str] = set()
    for index in range(len(lines) - 1, blocks[0][1], -1):
        match = _EXPORT.match(lines[index].rstrip("\n"))
        name = match.group(1) if match else ""
        if match is None or name not in wanted or name in seen or any(first <= index <= last for first, last in blocks):
            continue
        seen.add(name)
        if _words(match.group(2)) != [wanted[name]]:
            return f"line {index + 1} of {ctx.display(path)} sets {name} again after envdoctor's block"
    return None


def _words(text: str) -> list[str]:
    """Shell words as bash splits them: only space and tab separate (a \\r is text)."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace, lexer.whitespace_split, lexer.commenters = " \t", True, "#"
    try:
        return list(lexer)
    except ValueError:
        return ["\0", "\0"]


def _name(line: str) -> str:
    """The key of a block line: the variable of an export, `source FILE` of a source line."""
    match = _EXPORT.match(line)
    if match:
        return match.group(1)
    words = _words(line)
    return f"source {words[1]}" if len(words) == 2 and words[0] in (".", "source") else ""


def _by_file(step: Step, ctx: Context) -> dict[str, list[Variable]]:
    names = step.get("variables", [])
    out: dict[str, list[Variable]] = {}
    for v in ctx.recipe.variables:
        if v.name in names:
            out.setdefault(ctx.path(v.file), []).append(v)
    return out


def _is_bashrc(ctx: Context, path: str) -> bool:
    return os.path.realpath(path) == os.path.realpath(dotfiles.home_file(ctx, ".bashrc"))
