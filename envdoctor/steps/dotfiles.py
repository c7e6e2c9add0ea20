"""Shell startup files as bash really reads them (shared by shell-init, env-vars,
sdk-enable and edit), and how envdoctor edits them.

An ssh login starts an interactive LOGIN shell: bash reads the first of ~/.bash_profile,
~/.bash_login, ~/.profile, and nothing else; ~/.bashrc only when that file sources it. A
PBS job is a non-interactive login shell: a ~/.bashrc that starts with an
interactive-only guard (`case $- in *i*) ;; *) return;; esac`) returns before anything
below it, which is why conda is "not found" in batch jobs.

Edits change only the lines envdoctor owns (its marked blocks); every other byte stays as
the user wrote it: lines end only at "\n" (as for bash), bytes that are not UTF-8 are kept,
a Windows (CRLF) file gets CRLF lines, the file keeps its mode and owner, a symlinked
dotfile is edited at its target and a hard-linked one in place, so that the links stay
one file. A backup is taken before every write, and the plan shows the diff first.
"""
from __future__ import annotations

import difflib
import os

from envdoctor import files, proc
from envdoctor.errors import StepFailed
from envdoctor.proc import Completed
from envdoctor.startup_text import analyse_text
from envdoctor.steps import base
from envdoctor.steps.base import Action, Context, note

LOGIN_FILES = (".bash_profile", ".bash_login", ".profile")
SOURCE_BEGIN = "# >>> envdoctor: login shells read ~/.bashrc >>>"
SOURCE_END = "# <<< envdoctor: login shells read ~/.bashrc <<<"
SOURCE_LINES = (SOURCE_BEGIN, "if [ -f ~/.bashrc ]; then", "    . ~/.bashrc", "fi", SOURCE_END)

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
    text = read(login_file(ctx))
    return bool(text and analyse_text(text).sources_bashrc)


def login_fix(ctx: Context) -> tuple[str, str, str] | None:
    """(path, old text or "", new text) that makes the login file source ~/.bashrc, or None."""
    if login_reads_bashrc(ctx):
        return None
    path = login_file(ctx)
    old = read(path) or ""
    return path, old, insert(old, render(SOURCE_LINES, files.newline_of(old)), None)


def login_fix_actions(ctx: Context) -> list[Action]:
    fix = login_fix(ctx)
    if fix is None:
        return []
    path, old, new = fix
    shown = ctx.display(path)
    return [note(f"login shells read {shown}, which does not source ~/.bashrc: add the lines that do"),
            *edit_actions(ctx, path, old if os.path.lexists(path) else None, new)]


def apply_login_fix(ctx: Context) -> None:
    fix = login_fix(ctx)
    if fix is not None:
        write(ctx, fix[0], fix[2])


def guard_line(text: str) -> int | None:
    """0-based line number of the first interactive-only guard (as check reads it), or None."""
    guards = analyse_text(text).guards
    return guards[0].line - 1 if guards else None


def shell(ctx: Context, mode: str, script: str) -> Completed:
    """Run `script` in a fresh shell of the target's user started as `mode` starts it."""
    return ctx.run(proc.bash_argv(mode, script), env=ctx.target.login_env(), cwd=ctx.target.home, timeout=30)


# --- reading, showing and writing a dotfile ----------------------------------------

def read(path: str) -> str | None:
    """The file's text (bytes that are not UTF-8 kept as surrogate escapes), None when absent."""
    try:
        with open(path, "rb") as fh:
            return files.decode(fh.read())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StepFailed(f"cannot read {path}: {exc.strerror or exc}") from None


def bare(line: str) -> str:
    """A line without its line ending ("\n" or "\r\n")."""
    line = line[:-1] if line.endswith("\n") else line
    return line[:-1] if line.endswith("\r") else line


def render(lines: tuple[str, ...] | list[str], nl: str) -> str:
    """envdoctor's own lines in the file's line-ending style. bash reads a \r as part of
    the line, so in a CRLF file each command line ends in ` #`: the \r is then a comment."""
    crlf = nl == "\r\n"
    return "".join(line + (" #" if crlf and line.strip() and not line.lstrip().startswith("#") else "") + nl
                   for line in lines)


def find_blocks(lines: list[str], begin: str, end: str) -> list[tuple[int, int]]:
    """(first, last) line index of each `begin` ... `end` block; a `begin` with no `end`
    after it (or followed by another `begin`) is not a block and stays as it is."""
    found: list[tuple[int, int]] = []
    start = None
    for index, line in enumerate(lines):
        text = bare(line).strip(" \t")
        if text == begin:
            start = index
        elif text == end and start is not None:
            found.append((start, index))
            start = None
    return found


def insert(text: str, block: str, above: int | None) -> str:
    """`text` with `block` (whole lines) put above line `above` (0-based), or at the end
    after a blank line. Only a last line without a line ending gets one. A CRLF file gets
    no blank line: bash would run its lone \r as a command."""
    nl = files.newline_of(text)
    blank = "" if nl == "\r\n" else nl
    if above is not None:
        lines = files.split_lines(text)
        return "".join(lines[:above]) + block + blank + "".join(lines[above:])
    if text and not text.endswith("\n"):
        text += nl
    if text and bare(files.split_lines(text)[-1]).strip(" \t"):
        text += blank
    return text + block


def replace_blocks(text: str, blocks: list[tuple[int, int]], block: str) -> str:
    """`text` with the first of `blocks` replaced by `block` and the other copies removed."""
    lines = files.split_lines(text)
    out = lines[:blocks[0][0]] + [block]
    for (_, last), following in zip(blocks, blocks[1:] + [(len(lines), 0)]):
        out += lines[last + 1:following[0]]
    return "".join(out)


def diff(old: str | None, new: str, shown_path: str) -> str:
    """A unified diff with lines split only at "\n" (as bash splits them), control
    characters and separators shown as escapes, and the \r of CRLF lines left out."""
    a, b = files.split_lines(old or ""), files.split_lines(new)
    out = []
    for index, line in enumerate(difflib.unified_diff(a, b, fromfile="/dev/null" if old is None else shown_path,
                                                      tofile=shown_path)):
        if index < 2 or line.startswith("@@"):
            out.append(line)
            continue
        ends = line.endswith("\n")
        out.append(line[0] + files.shown(bare(line[1:])) + "\n" + ("" if ends else "\\ No newline at end of file\n"))
    return "".join(out)


def edit_actions(ctx: Context, path: str, old: str | None, new: str) -> list[Action]:
    """What a plan shows before `path` is edited: how it will be written, then the diff."""
    shown = ctx.display(path)
    return [*write_notes(ctx, path, new), Action("diff", diff(old, new, shown), shown)]


def write_notes(ctx: Context, path: str, new: str) -> list[Action]:
    shown = ctx.display(path)
    notes = []
    real = os.path.realpath(path)
    if os.path.islink(path):
        notes.append(note(f"{shown} is a symbolic link to {ctx.display(real)}: that file is edited (the link stays)"))
    try:
        links = os.stat(real).st_nlink
    except OSError:
        links = 1
    if links > 1:
        notes.append(note(f"{shown} has {links} hard links: it is rewritten in place after the backup "
                          "(not replaced by a new file), so that every link keeps seeing the same file"))
    if files.newline_of(new) == "\r\n":
        notes.append(note(f"{shown} has Windows (CRLF) line endings: envdoctor writes its lines with CRLF too, "
                          f"each command ending in ` #` so that bash ignores the carriage return "
                          f"(your own lines keep theirs; `dos2unix {shown}` would remove them)"))
    return notes


def write(ctx: Context, path: str, text: str | bytes) -> str | None:
    """Write `text` to `path` (at its target when `path` is a symlink): backup first
    (`PATH.envdoctor-backup-<time>`), then an atomic rename that keeps mode and owner,
    or, for a hard-linked file (or one whose owner a new file could not keep), an
    in-place rewrite. Returns the backup's path, None when there was no file or no change."""
    real = os.path.realpath(path)
    data = files.encode(text) if isinstance(text, str) else text
    backup = None
    try:
        try:
            like: os.stat_result | None = os.stat(real)
        except FileNotFoundError:
            like = None
        if like is None:
            base._make_parents(ctx, os.path.dirname(real))
            files.write_replacing(real, base._tmp_name(ctx, real), data, None)
            return None
        with open(real, "rb") as fh:
            if fh.read() == data:
                return None
        backup = base._backup_copy(ctx, real)
        if like.st_nlink > 1 or not files.write_replacing(real, base._tmp_name(ctx, real), data, like):
            files.write_in_place(real, data)
    except OSError as exc:
        raise StepFailed(f"cannot write {ctx.display(path)}: {exc.strerror or exc}"
                         + ("; the disk is full, free some space and run setup again" if exc.errno == 28 else "")
                         + (f" (the old content is kept in {ctx.display(backup)})" if backup else "")) from None
    return backup
