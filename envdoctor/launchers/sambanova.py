"""The SambaNova SN30 launcher: the course's `./BertLarge.sh <log folder>` flow.

The 2024 course's script compiles (unless the PEF exists) and then submits its own run job
(`sbatch ... BertLarge_run.sh $1`); `$1` names the log folder. Both scripts write their
output, the `Duration:` line included, into `.out` files, not to the terminal or to the
Slurm output (ai-science-training-series 07_AITestbeds/Sambanova/bert @ eb9a410d):

    <workdir>/<run id>/BertLarge.out       the compile and the `Submitted batch job N` line
    ~/BertLarge/<run id>/BertLarge.out     the run job's output (its cwd is ~/BertLarge)

So the launcher runs the script here (the log folder is the run id, so the files are known
in advance), streams the compile `.out` as it grows, takes the Slurm job id from it, then
follows the run's `.out` while `squeue` lists the job. Ctrl-C stops the script and
`scancel`s the run job.
"""
from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Iterator

from envdoctor import proc
from envdoctor.launchers.base import (
    FileFollower,
    Job,
    Launch,
    RunContext,
    job_commands,
    shown_prelude,
    sleep_poll,
    write_script,
)
from envdoctor.launchers.direct import job_command
from envdoctor.schedulers import Site
from envdoctor.schedulers.slurm import Slurm

NAME = "sambanova"
MODEL = "BertLarge"
_SUBMITTED = re.compile(r"Submitted batch job (\d+)")
FINISH_GRACE = 5.0
SLURM = Slurm()


def outputs(ctx: RunContext) -> tuple[Path, Path]:
    """(compile .out, run .out) for this run's log folder (the run id)."""
    return (Path(ctx.workdir) / ctx.run_id / f"{MODEL}.out",
            Path(ctx.target.path(f"~/{MODEL}")) / ctx.run_id / f"{MODEL}.out")


def prepare(ctx: RunContext) -> Launch:
    argv = job_command(ctx)
    script, status = write_script(ctx, "job.sh", job_commands(ctx, argv))
    compile_out, run_out = outputs(ctx)
    display = shown_prelude(ctx) + [shlex.join(a) for a in job_commands(ctx, argv)]
    display.append(f"# it compiles, then submits its run job itself; envdoctor follows {ctx.show(str(compile_out))} "
                   f"and then {ctx.show(str(run_out))}")
    return Launch(NAME, display, ("bash", str(script)), ctx.workdir, ctx.target.process_env(), script, status,
                  info={"compile_out": str(compile_out), "run_out": str(run_out),
                        "stdout": str(ctx.run_dir / "script.out")})


class ScriptJob(Job):
    def __init__(self, launch: Launch, ctx: RunContext) -> None:
        self.launch, self.ctx, self.env = launch, ctx, launch.env
        self.stdout_fh = open(launch.info["stdout"], "w", encoding="utf-8")
        self.script = proc.stream(launch.argv, cwd=launch.cwd, env=self.env, stdout=self.stdout_fh)
        self.job_id = f"pid {self.script.popen.pid}"
        self.slurm_id = ""
        self.script_rc: int | None = None

    def queued(self) -> bool:
        # The run job is the script's own: only a definite "listed" keeps envdoctor following it.
        return SLURM.state(Site(self.ctx.target, self.env), self.slurm_id).active is True

    def lines(self) -> Iterator[str]:
        stdout = FileFollower(Path(self.launch.info["stdout"]))
        compile_out = FileFollower(Path(self.launch.info["compile_out"]))
        started = time.monotonic()
        try:
            while self.script.poll() is None:
                yield from self._scan(stdout.read() + compile_out.read())
                sleep_poll(started)
            self.script_rc = self.script.wait()
            yield from self._scan(stdout.rest() + compile_out.rest())
        finally:
            stdout.close()
            compile_out.close()
            self.stdout_fh.close()
        if self.slurm_id and not self.cancelled:
            yield from self._follow_run()

    def _scan(self, lines: list[str]) -> Iterator[str]:
        for line in lines:
            m = _SUBMITTED.search(line)
            if m and not self.slurm_id:
                self.slurm_id = self.job_id = m.group(1)
            yield line

    def _follow_run(self) -> Iterator[str]:
        yield f"--- run job {self.slurm_id}: {self.ctx.show(self.launch.info['run_out'])} ---\n"
        run_out = FileFollower(Path(self.launch.info["run_out"]))
        started = time.monotonic()
        try:
            while self.queued() and not self.cancelled:
                yield from run_out.read()
                sleep_poll(started)
            deadline = time.monotonic() + FINISH_GRACE
            while not self._ended() and time.monotonic() < deadline and not self.cancelled:
                yield from run_out.read()
                time.sleep(0.05)
            yield from run_out.rest()
        finally:
            run_out.close()

    def _ended(self) -> bool:
        try:
            text = Path(self.launch.info["run_out"]).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        return "Duration:" in text or "does not exist, exiting" in text

    def wait(self) -> int:
        rc = self.script_rc if self.script_rc is not None else self.script.wait()
        if rc != 0:
            return rc
        if not self.slurm_id:
            return 1  # the script never submitted its run job
        try:
            text = Path(self.launch.info["run_out"]).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 1
        # BertLarge_run.sh runs under `set -e`: its Duration: line is written only when every command succeeded.
        return 0 if re.search(r"^Duration:\s+\d+", text, re.M) else 1

    def cancel(self) -> None:
        self.cancelled = True
        self.script.terminate(grace=3.0)
        if self.slurm_id:
            SLURM.cancel(Site(self.ctx.target, self.env), self.slurm_id)


def start(launch: Launch, ctx: RunContext) -> Job:
    return ScriptJob(launch, ctx)
