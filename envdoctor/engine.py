"""The setup engine: is_done → plan (data) → confirm → apply → is_done again.

Safety, in one place:
- one setup per target at a time: `~/.envdoctor/setup.lock` (fcntl.flock; the holder's pid
  and command are written into it so that a second setup can say who holds it);
- a journal (`~/.envdoctor/setup-journal.json`) lists what the running step is creating
  from nothing (a venv, a clone, a temp file). A step that fails or is interrupted removes
  those paths, and only those; after a `kill -9`, the next setup removes them first. So
  an interrupted setup, run again, converges, and a user's file is never deleted;
- file writes are atomic and keep a backup (see steps.base.write_file);
- commands run as argv lists (recipe values never reach a shell), and die with envdoctor.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import os
import shlex
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, Iterator, Sequence

from envdoctor.errors import StepFailed, UsageError
from envdoctor.recipe import Recipe, Step
from envdoctor.steps import envs, module
from envdoctor.steps.base import Action, Context, remove_tree
from envdoctor.targets import Target

PLAN_SCHEMA = "envdoctor/setup-plan@1"
STATE_DIR = ".envdoctor"
LONG_KINDS = ("conda-install", "conda-env", "venv", "pip", "git")


@dataclass
class StepPlan:
    step: Step
    why: str | None  # None: already done
    actions: list[Action] = field(default_factory=list)
    applied: bool = False

    @property
    def done(self) -> bool:
        return self.why is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.step.id, "kind": self.step.kind, "title": self.step.get("title", ""),
            "status": "applied" if self.applied else ("done" if self.done else "todo"),
            "why": self.why or "",
            "commands": [a.text for a in self.actions if a.kind == "command"],
            "diffs": [{"path": a.path, "diff": a.text} for a in self.actions if a.kind == "diff"],
            "notes": [a.text for a in self.actions if a.kind == "note"],
        }


@dataclass
class Plan:
    recipe: Recipe
    target: Target
    steps: list[StepPlan]
    preamble: list[Action] = field(default_factory=list)  # e.g. the proxy export on a real node

    @property
    def todo(self) -> list[StepPlan]:
        return [s for s in self.steps if not s.done]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": PLAN_SCHEMA, "platform": self.recipe.platform, "release": self.recipe.release,
                "target": self.target.name, "host": self.target.hostname,
                "preamble": [a.text for a in self.preamble], "steps": [s.to_dict() for s in self.steps]}


# --- context and plan -------------------------------------------------------

def make_context(recipe: Recipe, target: Target, yes: bool = False) -> Context:
    env = target.process_env()
    if _needs_proxy(recipe, target, env):
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            env[name] = recipe.proxy
    return Context(recipe, target, env, yes=yes)


def _needs_proxy(recipe: Recipe, target: Target, env: dict[str, str]) -> bool:
    """On a real testbed node outbound traffic needs the ALCF proxy (and only there)."""
    if target.lacks("network") or not recipe.proxy or env.get("HTTPS_PROXY") or env.get("https_proxy"):
        return False
    return target.node_role(recipe.hosts.login, recipe.hosts.run) != "other"


def make_plan(ctx: Context, steps: Sequence[Step] | None = None) -> Plan:
    chosen = list(ctx.recipe.steps if steps is None else steps)
    envs.inspect(ctx)  # several steps ask about the env: one python process, before the threads
    # Planning only reads, so every step's is_done runs at once (a no-op setup is their sum otherwise).
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(chosen)))) as pool:
        whys = list(pool.map(lambda s: module(s.kind).is_done(s, ctx), chosen))
    whys = _knock_on(ctx.recipe, chosen, whys)
    plans = [StepPlan(step, why, module(step.kind).plan(step, ctx) if why is not None else _advice(step, ctx))
             for step, why in zip(chosen, whys)]
    preamble = []
    if ctx.env.get("HTTPS_PROXY") and not ctx.target.lacks("network") and any(not p.done for p in plans):
        preamble.append(Action("command", f"export HTTPS_PROXY={ctx.env['HTTPS_PROXY']} https_proxy={ctx.env['HTTPS_PROXY']}"))
    return Plan(ctx.recipe, ctx.target, plans, preamble)


def _advice(step: Step, ctx: Context) -> list[Action]:
    """Notes a done step still has for people (shell-init: the batch-job snippet)."""
    advice = getattr(module(step.kind), "advice", None)
    return list(advice(step, ctx)) if advice else []


def _knock_on(recipe: Recipe, steps: list[Step], whys: list[str | None]) -> list[str | None]:
    """Steps that are done now but will not be once an earlier step has run: packages of
    an env that is made again, edits inside a clone that moves to another ref."""
    whys = list(whys)
    for i, (step, why) in enumerate(zip(steps, whys)):
        if why is None:
            continue
        for j in range(i + 1, len(steps)):
            later = steps[j]
            if whys[j] is not None:
                continue
            if step.kind in ("venv", "conda-env") and later.kind == "pip":
                whys[j] = f"the env is made again by step {step.id}, so its packages are installed again"
            elif step.kind == "git" and later.kind == "edit" and any(
                    e.name == later.get("edit") and e.repo == step.get("repo") for e in recipe.edits):
                whys[j] = f"the clone changes in step {step.id}, so the edit is checked again after it"
    return whys


# --- rendering ---------------------------------------------------------------

def render(plan: Plan, style: Any, title: str = "setup") -> str:
    """The plan for people: one line per step, then its commands and coloured diffs."""
    head = style.bold(f"envdoctor {title} {plan.recipe.platform} {plan.recipe.release}")
    lines = [head + style.dim(f"  on {plan.target.describe()}")]
    for action in plan.preamble:
        lines.append("      " + style.paint(f"$ {action.text}", "36"))
    for sp in plan.steps:
        label = f"{sp.step.id}" + (f" ({sp.step.get('title')})" if sp.step.get("title") else "")
        if sp.done:
            lines.append(f"{style.paint('[✓]' if style.unicode else '[ok]', '32')} {label}{style.dim('  done')}")
            for action in sp.actions:
                lines.extend(_action_lines(action, style))
            continue
        lines.append(f"{style.paint('[ ]' if style.unicode else '[  ]', '33')} {style.bold(label)}")
        lines.append(style.dim(f"    why: {sp.why}"))
        for action in sp.actions:
            lines.extend(_action_lines(action, style))
    todo = len(plan.todo)
    lines.append("")
    lines.append(style.paint("nothing to do: every step is done", "32") if not todo
                 else f"{todo} of {len(plan.steps)} steps to apply")
    return "\n".join(lines) + "\n"


def _action_lines(action: Action, style: Any) -> list[str]:
    if action.kind == "command":
        return ["      " + style.paint(f"$ {action.text}", "36")]
    if action.kind == "note":
        first, *rest = action.text.splitlines() or [""]
        return [style.paint(f"    note: {first}", "33")] + [f"    {line}" for line in rest]
    colours = {"+": "32", "-": "31", "@": "36"}
    out = []
    for line in action.text.rstrip("\n").splitlines():
        code = "1" if line.startswith(("+++", "---")) else colours.get(line[:1], "")
        out.append("      " + style.paint(line, code))
    return out


# --- confirmation ------------------------------------------------------------

def confirm(plan: Plan, yes: bool, stdin: IO[str] | None = None, out: IO[str] | None = None) -> None:
    """Ask once before changing anything; refuse (exit 2) when nobody can answer."""
    if yes or not plan.todo:
        return
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    if not (hasattr(stdin, "isatty") and stdin.isatty()):
        raise UsageError(f"setup would apply {len(plan.todo)} steps and standard input is not a terminal; "
                         "rerun with --yes to apply them, or --plan to only show them")
    out.write(f"Apply {'this step' if len(plan.todo) == 1 else f'these {len(plan.todo)} steps'}? [y/N] ")
    out.flush()
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise StepFailed("nothing was changed (you answered no)")


# --- lock and journal ----------------------------------------------------------

def state_dir(target: Target) -> str:
    return os.path.join(target.home, STATE_DIR)


@contextmanager
def locked(target: Target) -> Iterator[None]:
    """Hold the target's setup lock; a second setup on the same target exits 2 at once."""
    directory = state_dir(target)
    try:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(os.path.join(directory, "setup.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StepFailed(f"cannot create the setup lock in {target.unmap(directory)}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
            raise UsageError(f"another envdoctor setup is running on {target.describe()} ({holder}); "
                             f"wait for it to finish, then run setup again") from None
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {stamp}: {' '.join(sys.argv[:4])}".encode(), 0)
        yield
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the flock; a killed process releases it too


class Journal:
    """What the running step is creating, on disk, so that a killed setup can be undone."""

    def __init__(self, target: Target) -> None:
        self.path = os.path.join(state_dir(target), "setup-journal.json")
        self.step = ""
        self.paths: list[str] = []

    def begin(self, step: Step, paths: Sequence[str]) -> None:
        self.step, self.paths = step.id, []
        for p in paths:
            self.add(p)
        self._save()

    def add(self, path: str) -> None:
        if path not in self.paths:
            self.paths.append(path)
            self._save()

    def _save(self) -> None:
        tmp = self.path + ".tmp"
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"pid": os.getpid(), "step": self.step, "paths": self.paths}, fh)
        os.replace(tmp, self.path)

    def undo(self) -> list[str]:
        """Remove what the step created; the list of what was there to remove."""
        removed = [p for p in reversed(self.paths) if os.path.lexists(p)]
        for p in removed:
            remove_tree(p)
        self.clear()
        return removed

    def clear(self) -> None:
        self.step, self.paths = "", []
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def recover(self, target: Target, out: IO[str]) -> None:
        """Undo the half-made result of a setup that was killed in the middle of a step."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            data = {}
        self.step, self.paths = str(data.get("step", "")), [str(p) for p in data.get("paths", [])]
        step = self.step
        removed = self.undo()
        if removed:
            shown = ", ".join(target.unmap(p) for p in removed)
            out.write(f"a previous setup was interrupted during step {step}; removed what it had half made: {shown}\n")


# --- progress ------------------------------------------------------------------

class Spinner:
    """A live line on a terminal: step, elapsed seconds, the command's latest output.
    Off a terminal it stays silent (the step's start and end lines say enough)."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, label: str, stream: IO[str]) -> None:
        self.label, self.stream = label, stream
        self.text = ""
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True) if self.live else None

    def update(self, text: str) -> None:
        self.text = text

    def __enter__(self) -> Spinner:
        if self._thread:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _spin(self) -> None:
        i = 0
        width = 100
        while not self._stop.wait(0.1):
            elapsed = time.monotonic() - self.started
            line = f"{self.FRAMES[i % len(self.FRAMES)]} {self.label} {elapsed:5.0f}s  {self.text}"
            self.stream.write("\r\033[K" + line[:width])
            self.stream.flush()
            i += 1


# --- apply -----------------------------------------------------------------------

def recover(target: Target, out: IO[str]) -> None:
    """Undo what a killed setup had half made (call with the lock held, before planning)."""
    Journal(target).recover(target, out)


def interrupted_setup(target: Target) -> str:
    """The step a killed setup was in ("" when none), for plans made without the lock."""
    try:
        with open(Journal(target).path, encoding="utf-8") as fh:
            return str(json.load(fh).get("step", "")) or "?"
    except (OSError, ValueError):
        return ""


def apply(plan: Plan, ctx: Context, out: IO[str] | None = None, err: IO[str] | None = None) -> None:
    """Apply the plan's missing steps in order (caller holds the lock and has called
    `recover`). Each step is
    checked again before (an earlier step may have done it) and after (fail loudly if
    still not done). A failing or interrupted step removes what it had created."""
    out = out or sys.stdout
    err = err or sys.stderr
    journal = Journal(ctx.target)
    todo = plan.todo
    n = 0
    for sp in plan.steps:
        kind = module(sp.step.kind)
        if sp.done:
            # Done when planned; an earlier step may have undone it (safety net behind _knock_on).
            ctx.cache.clear()
            why = kind.is_done(sp.step, ctx) if n else None
            if why is None:
                continue
            out.write(f"==> {sp.step.id}: needed again after the steps above ({why})\n")
            _apply_one(sp.step, kind, ctx, journal, err)
            sp.applied = True
            continue
        n += 1
        ctx.cache.clear()
        if kind.is_done(sp.step, ctx) is None:
            sp.applied = True
            out.write(f"==> [{n}/{len(todo)}] {sp.step.id}: already done\n")
            continue
        out.write(f"==> [{n}/{len(todo)}] {sp.step.id}" + (f": {sp.step.get('title')}" if sp.step.get("title") else "") + "\n")
        out.flush()
        started = time.monotonic()
        try:
            _apply_one(sp.step, kind, ctx, journal, err)
        except KeyboardInterrupt:
            before = {1: "no step before it had run", 2: "the step before it is done"}.get(
                n, f"the {n - 1} steps before it are done")
            err.write(f"envdoctor: setup stopped at step {n} of {len(todo)} ({sp.step.id}); {before}. "
                      f"Run `{_same_command()}` again to resume from this step.\n")
            raise
        sp.applied = True
        out.write(f"    done in {time.monotonic() - started:.1f} s\n")
        out.flush()


def _same_command() -> str:
    """The command line the user typed (to resume an interrupted setup with)."""
    return "envdoctor " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _apply_one(step: Step, kind: Any, ctx: Context, journal: Journal, err: IO[str]) -> None:
    creates = getattr(kind, "creates", None)
    fresh = [p for p in (creates(step, ctx) if creates else []) if not os.path.lexists(p)]
    journal.begin(step, fresh)
    ctx.track = journal.add
    try:
        with Spinner(step.id, err) as progress:
            kind.apply(step, ctx, progress)
        ctx.cache.clear()
        why = kind.is_done(step, ctx)
        if why is not None:
            raise StepFailed(f"setup step {step.id} ran but is still not done ({why}); "
                             "this is a bug in envdoctor or its recipe, please report it")
    except BaseException as exc:
        removed = journal.undo()
        if removed and not isinstance(exc, StepFailed):
            err.write(f"envdoctor: step {step.id} was interrupted; removed what it had half made: "
                      f"{', '.join(ctx.display(p) for p in removed)}\n")
        if isinstance(exc, OSError):
            raise StepFailed(f"setup step {step.id} failed: {exc.strerror or exc}"
                             + ("; the disk is full: free some space and run setup again" if exc.errno == 28 else "")) from None
        raise
    finally:
        ctx.track = lambda path: None
    journal.clear()
