"""The Slurm launcher: `sbatch --parsable` of the job script, then follow it until it ends.

The output file is read as it grows (and streamed); the job's state is polled every
0.2 s and Ctrl-C cancels it, through `envdoctor.schedulers.slurm` (squeue, scancel). The
exit status comes from the job script itself (it records it), else from the scheduler
layer (`scontrol show job`, `sacct -c`). On a simulated node the
node's `/opt/slurm/bin` commands are used: they go to a real Slurm when one answers.
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
    scheduler_params,
    shown_prelude,
    sleep_poll,
    write_script,
)
from envdoctor.launchers.direct import job_command
from envdoctor.schedulers import Site
from envdoctor.schedulers.slurm import Slurm

SLURM = Slurm()

NAME = "slurm"
FINISH_GRACE = 5.0  # seconds to wait for the output file to be complete after the job left the queue


def prepare(ctx: RunContext) -> Launch:
    argv = job_command(ctx)
    script, status = write_script(ctx, "job.sh", job_commands(ctx, argv))
    sbatch = find_tool(ctx.target, "sbatch", "slurm")
    output = ctx.run_dir / "slurm-%j.out"
    submit = [sbatch, "--parsable", f"--job-name=envdoctor-{ctx.run.name}", f"--output={output}",
              *ctx.run.scheduler_flags, *scheduler_params(ctx), str(script)]
    shown_submit = ["sbatch", "--parsable", f"--job-name=envdoctor-{ctx.run.name}",
                    f"--output={ctx.show(str(output))}", *ctx.run.scheduler_flags, *scheduler_params(ctx),
                    ctx.show(str(script))]
    display = [f"# {ctx.show(str(script))} runs:"] + [f"#   {c}" for c in shown_prelude(ctx)
                                                      + [shlex.join(a) for a in job_commands(ctx, argv)]]
    display.append(shlex.join(shown_submit))
    return Launch(NAME, display, tuple(submit), str(ctx.run_dir), ctx.target.process_env(), script, status,
                  info={"output": str(output)})


class SlurmJob(Job):
    def __init__(self, launch: Launch, ctx: RunContext) -> None:
        self.launch, self.ctx = launch, ctx
        self.env = launch.env
        self.site = Site(ctx.target, self.env)
        # launch.argv is the shown `sbatch --parsable ...` with the node's sbatch: run it as is.
        done = proc.run(launch.argv, cwd=launch.cwd, env=self.env, timeout=60)
        if not done.ok:
            raise StepFailed(f"sbatch refused the job: {done.describe()}")
        self.job_id = SLURM.parse_job_id(done.stdout)
        if not self.job_id:
            raise StepFailed(f"sbatch printed no job id: {done.stdout.strip()[:200]!r}")
        self.output = Path(launch.info["output"].replace("%j", self.job_id))
        self.state = ""

    def queued(self) -> bool:
        now = SLURM.state(self.site, self.job_id)
        self.state = now.state or self.state
        return now.active is not False  # unknown (a transient error): keep following

    def lines(self) -> Iterator[str]:
        follower = FileFollower(self.output)
        started = time.monotonic()
        try:
            while self.queued():
                yield from follower.read()
                sleep_poll(started)
            # The job has left the queue; its output may still be flushing.
            deadline = time.monotonic() + FINISH_GRACE
            while read_status(self.launch.status_file) is None and time.monotonic() < deadline and not self.cancelled:
                yield from follower.read()
                time.sleep(0.05)
            yield from follower.rest()
        finally:
            follower.close()

    def wait(self) -> int:
        status = read_status(self.launch.status_file)
        if status is not None:
            return status
        state, code = self.final_state()
        self.state = state or self.state
        return code

    def final_state(self) -> tuple[str, int]:
        """(JobState, exit code) as the scheduler layer reads them; (\"\", 1) when Slurm does not know."""
        state, code = SLURM.final(self.site, self.job_id)
        return state, 1 if code is None else code

    def cancel(self) -> None:
        self.cancelled = True
        SLURM.cancel(self.site, self.job_id)


def start(launch: Launch, ctx: RunContext) -> Job:
    return SlurmJob(launch, ctx)
