"""The Slurm launcher: `sbatch --parsable` of the job script, then follow it until it ends.

The output file is read as it grows (and streamed); `squeue -h -j ID` is polled every
0.2 s; Ctrl-C cancels with `scancel`. The exit status comes from the job script itself
(it records it), else from `scontrol show job` or `sacct -c`. On a simulated node the
node's `/opt/slurm/bin` commands are used: they go to a real Slurm when one answers.
"""
from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Iterator

from envdoctor import proc
from envdoctor.errors import StepFailed
from envdoctor.launchers.base import (FileFollower, Job, Launch, RunContext, find_tool, read_status,
                                      job_commands, scheduler_params, shown_prelude, sleep_poll, write_script)
from envdoctor.launchers.direct import job_command

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
        done = proc.run(launch.argv, cwd=launch.cwd, env=self.env, timeout=60)
        if not done.ok:
            raise StepFailed(f"sbatch refused the job: {done.describe()}")
        self.job_id = done.stdout.strip().splitlines()[-1].split(";")[0].strip() if done.stdout.strip() else ""
        if not self.job_id.isdigit():
            raise StepFailed(f"sbatch printed no job id: {done.stdout.strip()[:200]!r}")
        self.output = Path(launch.info["output"].replace("%j", self.job_id))
        self.state = ""

    def _tool(self, name: str) -> str:
        return find_tool(self.ctx.target, name, "slurm")

    def queued(self) -> bool:
        r = proc.run([self._tool("squeue"), "-h", "-j", self.job_id, "-o", "%T"], env=self.env, timeout=30)
        if r.ok:
            self.state = r.stdout.strip().splitlines()[0] if r.stdout.strip() else self.state
            return bool(r.stdout.strip())
        return "Invalid job id" not in r.stderr and not r.missing and r.returncode != 1

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
        """(JobState, exit code) from scontrol, else sacct -c; (\"\", 1) when neither knows."""
        r = proc.run([self._tool("scontrol"), "show", "job", self.job_id], env=self.env, timeout=30)
        m = re.search(r"JobState=(\S+).*?ExitCode=(\d+):(\d+)", r.stdout, re.S) if r.ok else None
        if m:
            return m.group(1), int(m.group(2)) or (128 + int(m.group(3)) if int(m.group(3)) else 0)
        r = proc.run([self._tool("sacct"), "-c", "-n", "-P", "-j", self.job_id, "-o", "State,ExitCode"],
                     env=self.env, timeout=30)
        for line in r.stdout.splitlines() if r.ok else []:
            state, _, code = line.partition("|")
            if state:
                return state.split()[0], int(code.split(":")[0] or 1)
        return "", 1

    def cancel(self) -> None:
        self.cancelled = True
        proc.run([self._tool("scancel"), self.job_id], env=self.env, timeout=30)


def start(launch: Launch, ctx: RunContext) -> Job:
    return SlurmJob(launch, ctx)
