"""The interface every setup-step kind implements, and the helpers they share.

A step kind is a module with three functions (see `StepKind`):

- `is_done(step, ctx) -> str | None`: None when the live state already matches the
  recipe, else one line saying why not;
- `plan(step, ctx) -> list[Action]`: what `apply` would do, as data: the exact shell
  commands a person would type (in the course's spelling, `~/...`, `/software/...`) and
  unified diffs of every file it would write;
- `apply(step, ctx, progress) -> None`: do it, raising `StepFailed` with one line on failure.

and optionally `creates(step, ctx) -> list[str]`: the paths `apply` will create from
nothing (a venv, a clone, a conda prefix). The engine removes those, and only those,
when the step fails or when a run was killed while making them.

Steps never start processes or write files directly: they go through `Context.run`,
`Context.run_long` and `write_file`, which add timeouts, backups, atomic renames and the
bookkeeping that makes an interrupted setup safe to run again.
"""
from __future__ import annotations

import datetime
import difflib
import itertools
import os
import re
import shlex
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

from envdoctor import proc
from envdoctor.errors import StepFailed
from envdoctor.recipe import Recipe, Step
from envdoctor.targets import Target

BACKUP_TAG = "envdoctor-backup"
TMP_TAG = "envdoctor-tmp"
LONG_TIMEOUT = 1800.0  # installs and clones; a real pip install of torch takes minutes


@dataclass(frozen=True)
class Action:
    """One thing a step would do. kind: "command" (text is a shell command line),
    "diff" (text is a unified diff of `path`) or "note" (text is advice for a person)."""

    kind: str
    text: str
    path: str = ""

    def to_dict(self) -> dict[str, str]:
        data = {"kind": self.kind, "text": self.text}
        if self.path:
            data["path"] = self.path
        return data


def command(argv_shown: Sequence[str], cwd_shown: str = "") -> Action:
    line = shell_join(argv_shown)
    return Action("command", f"cd {shell_join([cwd_shown])} && {line}" if cwd_shown else line)


def note(text: str) -> Action:
    return Action("note", text)


class Progress(Protocol):
    """A live status line for long operations (clones, installs)."""

    def update(self, text: str) -> None: ...


class NoProgress:
    def update(self, text: str) -> None:
        pass


@dataclass
class Context:
    """What a step sees: the recipe, the target, and the engine's bookkeeping."""

    recipe: Recipe
    target: Target
    env: dict[str, str]  # environment for processes run on the target's behalf
    yes: bool = False  # the user agreed to the plan (incl. backing up local changes)
    stamp: str = field(default_factory=lambda: datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    track: Callable[[str], None] = lambda path: None  # engine hook: "this step created path"
    cache: dict[str, object] = field(default_factory=dict)  # per-run memo (installed dists ...)

    # --- paths --------------------------------------------------------
    def path(self, p: str) -> str:
        """The on-this-machine path of a recipe path."""
        return self.target.path(p)

    def display(self, p: str) -> str:
        """The course's spelling of a target path (`~/groqflow`, `/software/...`)."""
        return self.target.unmap(p)

    def backup_name(self, path: str) -> str:
        return f"{path}.{BACKUP_TAG}-{self.stamp}"

    # --- processes ----------------------------------------------------
    def run(self, argv: Sequence[str], *, cwd: str | None = None, env: Mapping[str, str] | None = None,
            timeout: float = 60.0) -> proc.Completed:
        return proc.run(argv, cwd=cwd, env=env if env is not None else self.env, timeout=timeout)

    def run_long(self, argv: Sequence[str], progress: Progress, *, cwd: str | None = None,
                 env: Mapping[str, str] | None = None, timeout: float = LONG_TIMEOUT) -> tuple[int, list[str]]:
        """Run with merged output streamed to `progress`; (returncode, last lines).
        A timeout kills the whole process group and returns 124."""
        streamed = proc.stream(argv, cwd=cwd, env=env if env is not None else self.env)
        timer = threading.Timer(timeout, streamed.terminate)
        timer.daemon = True
        timer.start()
        tail: list[str] = []
        started = time.monotonic()
        try:
            for line in streamed.lines():
                line = line.rstrip()
                if line:
                    tail = (tail + [line])[-20:]
                    progress.update(line)
            rc = streamed.wait()
        except BaseException:
            streamed.terminate(grace=2.0)
            raise
        finally:
            timer.cancel()
        if rc < 0 and time.monotonic() - started >= timeout:
            return 124, tail + [f"did not finish in {timeout:g} s"]
        return rc, tail


class StepKind(Protocol):
    """The interface of a step-kind module (see the module docstring)."""

    def is_done(self, step: Step, ctx: Context) -> str | None: ...

    def plan(self, step: Step, ctx: Context) -> list[Action]: ...

    def apply(self, step: Step, ctx: Context, progress: Progress) -> None: ...


# --- shell spelling ---------------------------------------------------------

_SAFE_TILDE = re.compile(r"~(/[A-Za-z0-9_@%+=:,./*-]*)?")


def shell_join(argv: Sequence[str]) -> str:
    """shlex.join, except that a leading `~/` stays unquoted (a person types it so and
    bash expands it) while everything after it is quoted as needed."""
    parts = []
    for arg in argv:
        if arg == "~" or (arg.startswith("~/") and _SAFE_TILDE.fullmatch(arg) and "*" not in arg):
            parts.append(arg)
        elif arg.startswith("~/"):
            parts.append("~/" + shlex.quote(arg[2:]))
        else:
            parts.append(shlex.quote(arg))
    return " ".join(parts)


def fail(step: Step, what: str, todo: str) -> StepFailed:
    """The one-line failure message every step uses: which step, what, what to do."""
    return StepFailed(f"setup step {step.id} failed: {what}; {todo}")


def last_line(lines: Sequence[str], default: str = "") -> str:
    """The line of a command's output that says what went wrong."""
    for line in reversed(lines):
        text = line.strip()
        if re.match(r"(ERROR|error|fatal|FATAL):", text) and "subprocess-exited-with-error" not in text:
            return text[:300]
    for line in reversed(lines):
        text = line.strip()
        if text and not text.startswith(("WARNING: You are using pip", "[notice]", "note:", "hint:")):
            return text[:300]
    return default


# --- files ------------------------------------------------------------------

def read_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StepFailed(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def unified_diff(old: str | None, new: str, shown_path: str) -> str:
    """A unified diff of a text file, from empty when it does not exist yet."""
    a = (old or "").splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile="/dev/null" if old is None else shown_path, tofile=shown_path)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def write_file(ctx: Context, path: str, content: str | bytes, mode: int | None = None) -> str | None:
    """Atomically replace `path` (a symlinked dotfile is written through to its target),
    after copying its old content to `PATH.envdoctor-backup-<time>`. Returns the backup's
    path, or None when the file did not exist. A crash at any point leaves either the old
    or the new file, never a half-written one."""
    real = os.path.realpath(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    backup = None
    try:
        if os.path.exists(real):
            if Path(real).read_bytes() == data:
                return None
            backup = _backup_copy(ctx, real)
            mode = mode if mode is not None else os.stat(real).st_mode & 0o7777
        _make_parents(ctx, os.path.dirname(real))
        tmp = _tmp_name(ctx, real)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode if mode is not None else 0o644)
            os.replace(tmp, real)
        except BaseException:
            with _suppress():
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise StepFailed(f"cannot write {ctx.display(path)}: {exc.strerror or exc}"
                         + ("; the disk is full, free some space and run setup again" if exc.errno == 28 else "")
                         + (f" (the old content is kept in {ctx.display(backup)})" if backup else "")) from None
    return backup


def _backup_copy(ctx: Context, real: str) -> str:
    """Copy (not move: the original stays in place until the atomic replace) to the backup
    name, itself written atomically so that a backup is never partial."""
    backup = ctx.backup_name(real)
    n = 1
    while os.path.exists(backup):
        backup = f"{ctx.backup_name(real)}.{n}"
        n += 1
    tmp = _tmp_name(ctx, real)
    try:
        shutil.copy2(real, tmp)
        os.replace(tmp, backup)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    return backup


def _tmp_name(ctx: Context, real: str) -> str:
    """A temporary name next to `real`, recorded in the journal BEFORE it exists, so that
    a kill at any instant leaves nothing the next setup does not remove."""
    tmp = os.path.join(os.path.dirname(real), f".{os.path.basename(real)}.{TMP_TAG}.{os.getpid()}.{next(_COUNTER)}")
    ctx.track(tmp)
    if os.path.lexists(tmp):
        os.unlink(tmp)
    return tmp


_COUNTER = itertools.count()


def _make_parents(ctx: Context, directory: str) -> None:
    top = topmost_missing(directory)
    if top:
        ctx.track(top)
        os.makedirs(directory, exist_ok=True)


def topmost_missing(path: str) -> str | None:
    """The highest ancestor of `path` (or path itself) that does not exist yet."""
    p = Path(path)
    if p.exists():
        return None
    top = p
    while not top.parent.exists() and top.parent != top:
        top = top.parent
    return str(top)


def move_aside(ctx: Context, path: str) -> str:
    """Rename `path` to its backup name (same directory: a rename, never a copy)."""
    backup = ctx.backup_name(path)
    n = 1
    while os.path.exists(backup):
        backup = f"{ctx.backup_name(path)}.{n}"
        n += 1
    try:
        os.rename(path, backup)
    except OSError as exc:
        raise StepFailed(f"cannot move {ctx.display(path)} aside: {exc.strerror or exc}") from None
    return backup


def remove_tree(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        return exc_type is not None and issubclass(exc_type, OSError)


# --- templated recipe values -------------------------------------------------

def template(ctx: Context, value: str) -> str:
    """A recipe value as it must be written on this target: `~` and the mapped roots
    (`/software`, `/opt`, ...) become their on-this-machine paths, `{home}` and `{user}`
    the target's home and user name."""
    value = value.replace("{home}", ctx.target.home).replace("{user}", ctx.target.user)
    if value.startswith("~") or value.startswith("/"):
        return ctx.path(value)
    return value
