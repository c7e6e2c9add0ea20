"""What every launcher shares: the run context, the job script, and the Job handle.

A launcher module offers the same small interface:

    prepare(ctx: RunContext) -> Launch    the exact commands, the job script, files written
    start(launch: Launch, ctx) -> Job     submit / start it
    Job.lines() -> Iterator[str]          the job's output as it grows, until it ends
    Job.wait() -> int                     its exit status
    Job.cancel() -> None                  cancel it (Ctrl-C, timeout)

The job always runs with the recipe's environment activated (venv `bin/activate`, or the
conda init block then `conda activate`, as a PBS job script must), in the run's workdir,
with `target.process_env()`; it writes its exit status next to its log, so that the
status is known whatever the scheduler can tell.
"""
from __future__ import annotations

import functools
import os
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from envdoctor.errors import StepFailed
from envdoctor.recipe import Recipe, Run
from envdoctor.schedulers import Site
from envdoctor.targets import Target

POLL = 0.2  # seconds between scheduler polls (squeue/qstat)


@dataclass
class RunContext:
    recipe: Recipe
    run: Run
    target: Target
    params: dict[str, Any]  # effective value of every parameter
    explicit: dict[str, Any]  # the ones given with --set
    run_dir: Path  # per-run directory in the records store (scripts, config copy, outputs)
    run_id: str = ""

    @property
    def workdir(self) -> str:
        return self.target.path(self.run.workdir)

    def show(self, path: str) -> str:
        return self.target.unmap(path)


@dataclass
class Launch:
    launcher: str
    display: list[str]  # the exact commands, as a user would type them
    argv: tuple[str, ...]  # what envdoctor starts
    cwd: str
    env: dict[str, str]
    script: Path
    status_file: Path
    files: list[Path] = field(default_factory=list)  # written for this run (config copy, ...)
    info: dict[str, Any] = field(default_factory=dict)


class Job:
    """A started job. Subclasses fill in lines/wait/cancel."""

    job_id: str = ""
    cancelled: bool = False

    def lines(self) -> Iterator[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def wait(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def cancel(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


# --- the job script -------------------------------------------------------------

def activation(recipe: Recipe, target: Target) -> list[str]:
    """Shell lines that activate the recipe's environment in a non-interactive shell."""
    env = recipe.environment
    if env.kind == "conda" and env.conda is not None:
        prefix = target.path(env.conda.prefix)
        q = shlex.quote
        return [
            "# >>> conda initialize >>>",
            f"__conda_setup=\"$({q(prefix + '/bin/conda')} 'shell.bash' 'hook' 2> /dev/null)\"",
            "if [ $? -eq 0 ]; then",
            "    eval \"$__conda_setup\"",
            "else",
            f"    if [ -f {q(prefix + '/etc/profile.d/conda.sh')} ]; then",
            f"        . {q(prefix + '/etc/profile.d/conda.sh')}",
            "    else",
            f"        export PATH={q(prefix + '/bin')}:\"$PATH\"",
            "    fi",
            "fi",
            "unset __conda_setup",
            "# <<< conda initialize <<<",
            f"conda activate {q(env.name)}",
        ]
    if env.path:
        activate = target.path(env.path) + "/bin/activate"
        if env.kind == "system":  # a shared env the vendor may not ship on every node
            return [f"if [ -f {shlex.quote(activate)} ]; then source {shlex.quote(activate)}; fi"]
        return [f"source {shlex.quote(activate)}"]
    return []


def expand(template: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Fill `{config}`, `{home}`, `{user}`, ... in an argv template (unknown braces stay)."""
    out = []
    for arg in template:
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        out.append(arg)
    return out


def param_flags(ctx: RunContext) -> list[str]:
    """Command-line flags for the parameters given with --set (the script's defaults otherwise)."""
    argv: list[str] = []
    for p in ctx.run.params:
        if p.flag and p.name in ctx.explicit:
            value = ctx.explicit[p.name]
            if p.type == "bool":
                argv += [p.flag] if value else []
            else:
                argv += [p.flag, str(value)]
    return argv


def scheduler_params(ctx: RunContext) -> list[str]:
    """Scheduler flags of the parameters (always: the course's command passes them all)."""
    argv: list[str] = []
    for p in ctx.run.params:
        if p.scheduler_flag and ctx.params.get(p.name) is not None:
            argv += [p.scheduler_flag, str(ctx.params[p.name])]
    return argv


def env_params(ctx: RunContext) -> dict[str, str]:
    env = {k: v for k, v in ctx.run.env}
    for p in ctx.run.params:
        if p.env and ctx.params.get(p.name) is not None:
            env[p.env] = str(ctx.params[p.name]).lower() if p.type == "bool" else str(ctx.params[p.name])
    env.update(ctx.target.workload_env())  # on a simulated node: lets its vendor scripts find /opt
    return env


def model_dir(ctx: RunContext) -> str:
    """A fresh model directory per run, relative to the workdir: the model zoo reloads the last
    checkpoint of a non-empty --model_dir (autoload_last_checkpoint), so reusing one would resume
    an earlier run; the guide deletes $MODEL_DIR first, envdoctor never deletes the user's."""
    name = ctx.run.name.replace("-", "_")
    return f"model_dir_{name}_{ctx.run_id}" if ctx.run_id else f"model_dir_{name}"


def script_copy(ctx: RunContext) -> str:
    """`{script}` of the run's command: the script itself (relative, as the course types it),
    or, when a parameter that lives in the script is set, a per-run COPY with that constant
    changed (the user's clone is never edited). A constant the script no longer has is an error."""
    run = ctx.run
    edits = [p for p in run.params if p.script and p.name in ctx.explicit]
    if not run.script or not edits:
        return run.script
    source = Path(ctx.workdir) / run.script
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise StepFailed(f"cannot read {ctx.show(str(source))}: {exc.strerror or exc}; "
                         f"`envdoctor setup {ctx.recipe.platform}` clones it") from None
    for p in edits:
        rx = re.compile(p.script)
        if not rx.search(text):
            raise StepFailed(f"{ctx.show(str(source))} no longer sets {p.name} (no match for {p.script!r}); "
                             f"edit a copy of the script by hand, or run without --set {p.name}")
        value = str(ctx.explicit[p.name])
        text = rx.sub(functools.partial(_with_group1, value=value), text)
    dest = ctx.run_dir / source.name
    dest.write_text(text, encoding="utf-8")
    return str(dest)


def _with_group1(m: re.Match[str], value: str) -> str:
    """The match's text with its first group replaced by `value` (the parameter's new setting)."""
    whole, at = m.group(0), m.start(0)
    return whole[:m.start(1) - at] + value + whole[m.end(1) - at:]


def job_commands(ctx: RunContext, argv: list[str]) -> list[list[str]]:
    """The run's preparation commands (as the course's job script has them), then the job."""
    return [list(a) for a in getattr(ctx.run, "prepare", ())] + [argv]


def write_script(ctx: RunContext, name: str, commands: Sequence[Sequence[str]], *, header: Sequence[str] = ()) -> tuple[Path, Path]:
    """The job script: activate, cd, export, run each command; record the exit status."""
    script = ctx.run_dir / name
    status = ctx.run_dir / (name + ".status")
    q = shlex.quote
    lines = ["#!/bin/bash", *header,
             f"# envdoctor run {ctx.recipe.platform} {ctx.run.name} ({ctx.run_id})",
             *activation(ctx.recipe, ctx.target),
             f"cd {q(ctx.workdir)} || {{ echo 1 > {q(str(status))}; exit 1; }}"]
    lines += [f"export {k}={q(v)}" for k, v in env_params(ctx).items()]
    for argv in commands[:-1]:
        lines.append(f"{shlex.join(argv)} || {{ rc=$?; echo $rc > {q(str(status))}; exit $rc; }}")
    lines += [shlex.join(commands[-1]), "rc=$?", f"echo $rc > {q(str(status))}", "exit $rc"]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(script, 0o755)
    status.unlink(missing_ok=True)
    return script, status


def shown_prelude(ctx: RunContext) -> list[str]:
    """The commands a user types before the job command (for display)."""
    env = ctx.recipe.environment
    shown = []
    if env.activate:
        shown.append(env.activate)
    shown.append(f"cd {shell_path(ctx.show(ctx.workdir))}")
    shown += [f"export {k}={shlex.quote(v)}" for k, v in env_params(ctx).items() if k != "ENVDOCTOR_SIM_ROOT"]
    return shown


def shell_path(path: str) -> str:
    """A path as a person would type it: quoted for bash, but a leading `~/` left bare so
    that bash still expands it (`cd ~/'my runs'`)."""
    if path == "~":
        return path
    if path.startswith("~/"):
        return "~/" + shlex.quote(path[2:])
    return shlex.quote(path)


def read_status(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def find_tool(target: Target, name: str, sub: str) -> str:
    """A node's command: its own (`/opt/<sub>/bin`, mapped on a sim node) or PATH (one lookup,
    `envdoctor.schedulers.Site.tool`, for scheduler and vendor commands alike)."""
    return Site(target).tool(sub, name)


class FileFollower:
    """Reads a file that another process is writing, line by line as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Any = None
        self._partial = ""

    def read(self) -> list[str]:
        if self._fh is None:
            try:
                self._fh = open(self.path, encoding="utf-8", errors="replace", newline="")
            except OSError:
                return []
        data = self._fh.read()
        if not data:
            return []
        text = self._partial + data
        parts = text.split("\n")
        self._partial = parts.pop()
        return [p + "\n" for p in parts]

    def rest(self) -> list[str]:
        lines = self.read()
        if self._partial:
            lines.append(self._partial)
            self._partial = ""
        return lines

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def sleep_poll(started: float) -> None:
    """Poll quickly at first (short jobs), then every POLL seconds."""
    time.sleep(0.05 if time.monotonic() - started < 1.0 else POLL)
