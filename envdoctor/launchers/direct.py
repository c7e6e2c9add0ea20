"""The direct launcher: the job script runs here, in the foreground, as a child process."""
from __future__ import annotations

import os
import shlex
from typing import Iterator

from envdoctor import proc
from envdoctor.launchers.base import (
    Job,
    Launch,
    RunContext,
    expand,
    job_commands,
    model_dir,
    param_flags,
    read_status,
    script_copy,
    shown_prelude,
    write_script,
)

NAME = "direct"


def job_command(ctx: RunContext, config: str = "") -> list[str]:
    values = {"home": ctx.target.home, "user": ctx.target.user, "workdir": ctx.workdir, "config": config,
              "model_dir": model_dir(ctx), "script": script_copy(ctx), "run_id": ctx.run_id}
    return expand(ctx.run.command, values) + param_flags(ctx)


def prepare(ctx: RunContext) -> Launch:
    argv = job_command(ctx)
    script, status = write_script(ctx, "job.sh", job_commands(ctx, argv))
    display = shown_prelude(ctx) + [shlex.join(a) for a in job_commands(ctx, argv)]
    return Launch(NAME, display, ("bash", str(script)), ctx.workdir, ctx.target.process_env(), script, status)


class DirectJob(Job):
    def __init__(self, launch: Launch) -> None:
        self.launch = launch
        self.proc = proc.stream(launch.argv, cwd=launch.cwd if _isdir(launch.cwd) else None, env=launch.env)
        self.job_id = f"pid {self.proc.popen.pid}"

    def lines(self) -> Iterator[str]:
        yield from self.proc.lines()

    def wait(self) -> int:
        rc = self.proc.wait()
        status = read_status(self.launch.status_file)
        return status if status is not None else rc

    def cancel(self) -> None:
        self.cancelled = True
        self.proc.terminate(grace=3.0)


def _isdir(path: str) -> bool:
    return os.path.isdir(path)


def start(launch: Launch, ctx: RunContext) -> Job:
    return DirectJob(launch)


def prepare_compile(ctx: RunContext) -> Launch | None:
    """The run's compile step (SambaNova: compile, then run), started here before the job."""
    if not ctx.run.compile_command:
        return None
    values = {"home": ctx.target.home, "user": ctx.target.user, "workdir": ctx.workdir, "config": ""}
    argv = expand(ctx.run.compile_command, values)
    script, status = write_script(ctx, "compile.sh", [argv])
    return Launch(NAME, [shlex.join(argv)], ("bash", str(script)), ctx.workdir, ctx.target.process_env(), script, status)
