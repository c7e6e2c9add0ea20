"""Slurm: sbatch, squeue, scontrol / sacct, scancel, sinfo, and `sbatch --test-only`.

`sbatch --parsable` prints `<id>` or `<id>;<cluster>`; without it, `Submitted batch job <id>`.
A job has left the queue when `squeue -h -j ID` prints nothing (or says "Invalid job id"
once the controller has forgotten it). Its exit status comes from `scontrol show job`
(`ExitCode=<code>:<signal>`, kept for MinJobAge seconds), else from `sacct -c` (the job
completion log). `sbatch --test-only` asks the controller whether and when the job would start,
without submitting it (it prints "Job <id> to start at <time> ..." on stderr).
"""
from __future__ import annotations

import re
from typing import Sequence

from envdoctor.schedulers.base import SUBMIT_TIMEOUT, JobSpec, JobState, Site, Submission, TestSubmit

_ID = re.compile(r"^\d+$")
_EXIT = re.compile(r"JobState=(\S+).*?ExitCode=(\d+):(\d+)", re.S)


class Slurm:
    name = "slurm"
    submit_command = "sbatch"
    job_vars: tuple[str, ...] = ("SLURM_JOB_ID", "SLURM_JOBID")

    def parse_job_id(self, stdout: str) -> str:
        """The id in sbatch's last line (`123`, `123;cluster`, `Submitted batch job 123`); "" if none."""
        lines = stdout.strip().splitlines()
        words = lines[-1].split(";")[0].split() if lines else []
        return words[-1] if words and _ID.match(words[-1]) else ""

    def job_args(self, spec: JobSpec) -> list[str]:
        argv = ["-J", spec.name, "-t", str(spec.minutes), "-o", spec.output, "-e", spec.error]
        argv += ["--chdir", spec.workdir] if spec.workdir else []
        return argv + (["-p", spec.partition] if spec.partition else []) + (["-w", spec.node] if spec.node else [])

    def submit(self, site: Site, args: Sequence[str], *, cwd: str | None = None) -> Submission:
        """`sbatch --parsable ARGS` (args end with the script)."""
        done = site.run([site.tool("slurm", "sbatch"), "--parsable", *args], cwd=cwd, timeout=SUBMIT_TIMEOUT)
        return Submission(self.parse_job_id(done.stdout) if done.ok else "", done)

    def state(self, site: Site, job_id: str) -> JobState:
        r = site.run([site.tool("slurm", "squeue"), "-h", "-j", job_id, "-o", "%T"])
        if r.ok:
            words = r.stdout.split()
            return JobState(bool(words), words[0] if words else "")
        if "Invalid job id" in r.stderr or r.missing or r.returncode == 1:
            return JobState(False)  # the controller no longer knows it: it has ended
        return JobState(None)

    def final(self, site: Site, job_id: str) -> tuple[str, int | None]:
        """(JobState, exit code) from scontrol, else sacct; ("", None) when neither knows.
        A job killed by a signal gets 128 + the signal, as a shell reports it."""
        r = site.run([site.tool("slurm", "scontrol"), "show", "job", job_id])
        m = _EXIT.search(r.stdout) if r.ok else None
        if m:
            code, sig = int(m.group(2)), int(m.group(3))
            return m.group(1), code or (128 + sig if sig else 0)
        r = site.run([site.tool("slurm", "sacct"), "-c", "-n", "-P", "-j", job_id, "-o", "State,ExitCode"])
        for line in r.stdout.splitlines() if r.ok else []:
            state, _, exit_code = line.partition("|")
            if state:
                return state.split()[0], int(exit_code.split(":")[0] or 1)
        return "", None

    def exit_status(self, site: Site, job_id: str) -> int | None:
        return self.final(site, job_id)[1]

    def cancel(self, site: Site, job_id: str) -> None:
        site.run([site.tool("slurm", "scancel"), job_id])

    def partitions(self, site: Site) -> list[str]:
        """Partition names (the default one loses sinfo's `*`)."""
        r = site.run([site.tool("slurm", "sinfo"), "-h", "-o", "%R"])
        return list(dict.fromkeys(p.strip().rstrip("*") for p in r.stdout.split())) if r.ok else []

    def nodes(self, site: Site, partition: str = "") -> list[str]:
        argv = [site.tool("slurm", "sinfo"), "-N", "-h", "-o", "%N"] + (["-p", partition] if partition else [])
        r = site.run(argv)
        return list(dict.fromkeys(n.strip() for n in r.stdout.split() if n.strip())) if r.ok else []

    def reason(self, site: Site, job_id: str) -> str:
        """Why a job waits (`PENDING Resources`), for a timeout message."""
        r = site.run([site.tool("slurm", "squeue"), "-h", "-j", job_id, "-o", "%T %r"])
        return r.stdout.strip()

    def test_submit(self, site: Site, *, user: str = "", gid: int | None = None, partition: str = "",
                    timeout: float = 15.0) -> TestSubmit:
        """`sbatch --test-only` of a one-second job; `partition` may be `reservation=NAME`.
        Asking for another user (`--uid`) needs root."""
        argv = [site.tool("slurm", "sbatch"), "--test-only"]
        argv += [f"--uid={user}"] if user else []
        argv += [f"--gid={gid}"] if gid is not None else []
        argv += ["-J", "envdoctor-account-check", "-t", "1", "-o", "/dev/null"]
        if partition.startswith("reservation="):
            argv.append(f"--reservation={partition.split('=', 1)[1]}")
        elif partition:
            argv += ["-p", partition]
        argv += ["--wrap", "true"]
        r = site.run(argv, cwd="/", timeout=timeout)
        text = (r.stderr.strip() or r.stdout.strip()).splitlines()
        return TestSubmit(r.ok and "to start at" in (r.stderr + r.stdout), text[-1] if text else "", r, r.timed_out)

