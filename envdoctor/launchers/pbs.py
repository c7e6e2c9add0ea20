"""The PBS launcher (GroqRack): `qsub` of a job script, `qstat` polling, the .o/.e files.

PBS runs the job in a non-interactive shell, where a guarded ~/.bashrc does not run, so
the job script carries the conda init block and `conda activate <env>` itself, as the
course's job script does. On GroqRack jobs are submitted from the GroqRack nodes only:
on a login node the launcher refuses, with the hop to take first.
"""
from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Iterator

from envdoctor import proc
from envdoctor.errors import StepFailed
from envdoctor.launchers.base import (
    FileFollower,
    Job,
    Launch,
    RunContext,
    find_tool,
    job_commands,
    read_status,
    shown_prelude,
    sleep_poll,
    write_script,
)
from envdoctor.launchers.direct import job_command
from envdoctor.schedulers import Site
from envdoctor.schedulers.pbs import Pbs

PBS = Pbs()

NAME = "pbs"
FINISH_GRACE = 10.0


def submit_rule(ctx: RunContext) -> None:
    recipe, target = ctx.recipe, ctx.target
    if recipe.scheduler.submit_from != "run":
        return
    if target.node_role(recipe.hosts.login, recipe.hosts.run) == "login":
        hop = f"`{recipe.hosts.next_hop}` first" if recipe.hosts.next_hop else "log in to a compute node first"
        raise StepFailed(f"{target.hostname} is a login node: {recipe.platform} jobs are submitted from the "
                         f"{', '.join(recipe.hosts.run) or 'run'} nodes only (qsub is not supported on login nodes); "
                         f"{hop}")


def prepare(ctx: RunContext) -> Launch:
    submit_rule(ctx)
    argv = job_command(ctx)
    name = f"run_{ctx.run.name.replace('-', '_')}.sh"
    script, status = write_script(ctx, name, job_commands(ctx, argv))
    qsub = find_tool(ctx.target, "qsub", "pbs")
    submit = [qsub, *ctx.run.scheduler_flags, str(script)]
    display = [f"# {ctx.show(str(script))} (conda init block, then) runs:"]
    display += [f"#   {c}" for c in shown_prelude(ctx) + [shlex.join(a) for a in job_commands(ctx, argv)]]
    display.append(shlex.join(["qsub", *ctx.run.scheduler_flags, ctx.show(str(script))]))
    return Launch(NAME, display, tuple(submit), str(ctx.run_dir), ctx.target.process_env(), script, status)


class PbsJob(Job):
    def __init__(self, launch: Launch, ctx: RunContext) -> None:
        self.launch, self.ctx, self.env = launch, ctx, launch.env
        self.site = Site(ctx.target, self.env)
        done = proc.run(launch.argv, cwd=launch.cwd, env=self.env, timeout=60)
        if not done.ok:
            raise StepFailed(f"qsub refused the job: {done.describe()}")
        self.job_id = PBS.parse_job_id(done.stdout)
        if not self.job_id:
            raise StepFailed(f"qsub printed no job id: {done.stdout.strip()[:200]!r}")
        seq = PBS.sequence(self.job_id)
        base = Path(launch.cwd) / launch.script.name
        self.out_file = Path(f"{base}.o{seq}")
        self.err_file = Path(f"{base}.e{seq}")

    def queued(self) -> bool:
        return PBS.state(self.site, self.job_id).active is not False  # unknown: keep following

    def lines(self) -> Iterator[str]:
        out = FileFollower(self.out_file)
        started = time.monotonic()
        try:
            while self.queued():
                yield from out.read()
                sleep_poll(started)
            deadline = time.monotonic() + FINISH_GRACE
            while not self.out_file.exists() and time.monotonic() < deadline and not self.cancelled:
                time.sleep(0.05)  # PBS copies the output back when the job ends
            yield from out.rest()
        finally:
            out.close()
        try:
            err = self.err_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            err = ""
        if err.strip():
            yield f"--- {self.err_file.name} ---\n"
            yield from err.splitlines(keepends=True)

    def wait(self) -> int:
        status = read_status(self.launch.status_file)
        if status is not None:
            return status
        code = PBS.exit_status(self.site, self.job_id)
        return 1 if code is None else code

    def cancel(self) -> None:
        self.cancelled = True
        PBS.cancel(self.site, self.job_id)


def start(launch: Launch, ctx: RunContext) -> Job:
    return PbsJob(launch, ctx)
