"""The scheduler protocol and its value types (`Site`, `JobSpec`, `Submission`, `JobState`,
`TestSubmit`): what `schedulers.pbs` and `schedulers.slurm` implement, below the registry in
`envdoctor.schedulers` that imports them."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Protocol, Sequence

from envdoctor import proc

if TYPE_CHECKING:
    from envdoctor.targets import Target

QUERY_TIMEOUT = 30.0  # seconds for squeue / qstat / sinfo / scancel ...
SUBMIT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Site:
    """Where scheduler commands run: the target (a simulated node has its own stand-ins under
    `/opt/<kind>/bin`) and the environment they get (SLURM_CONF, PATH, ...)."""

    target: Target | None = None
    env: Mapping[str, str] | None = None  # None: envdoctor's own environment

    def find(self, sub: str, name: str) -> str | None:
        """The command `name` of scheduler `sub` ("slurm", "pbs"), or None when there is none."""
        own = self.target.path(f"/opt/{sub}/bin/{name}") if self.target is not None else ""
        preferred = self.target.own_command(f"/opt/{sub}/bin/{name}") if self.target is not None else None
        if preferred:  # the target's own stand-in (a simulated node's) comes before PATH
            return preferred
        if self.env is not None:
            path = self.env.get("PATH")
        else:
            path = self.target.process_env().get("PATH") if self.target is not None else None
        found = proc.which(name, path)
        if found:
            return found
        return own if own and os.access(own, os.X_OK) else None

    def tool(self, sub: str, name: str) -> str:
        """Like `find`, but the bare name when nothing is found (the error then names it)."""
        return self.find(sub, name) or name

    def run(self, argv: Sequence[str], *, cwd: str | None = None, timeout: float = QUERY_TIMEOUT) -> proc.Completed:
        return proc.run(list(argv), cwd=cwd, env=self.env, timeout=timeout)


@dataclass(frozen=True)
class JobSpec:
    """A short batch job, in words every scheduler understands; `job_args` spells it."""

    name: str
    minutes: int
    output: str
    error: str
    workdir: str = ""  # Slurm: --chdir; PBS starts jobs in the home (the script cds itself)
    partition: str = ""  # Slurm partition / PBS queue; "" for the default
    node: str = ""  # one named node; "" for wherever the scheduler puts it


@dataclass(frozen=True)
class Submission:
    job_id: str  # "" when the scheduler refused or printed no id
    completed: proc.Completed

    @property
    def ok(self) -> bool:
        return bool(self.job_id)

    @property
    def problem(self) -> str:
        """Why there is no job: the scheduler's own words, else what was printed."""
        if self.completed.ok and not self.job_id:
            return f"no job id in the answer of `{self.completed.command}`: {self.completed.stdout.strip()[:200]!r}"
        return self.completed.stderr.strip() or self.completed.stdout.strip() or self.completed.describe()


@dataclass(frozen=True)
class JobState:
    """A job as the scheduler sees it. `active` is None when the scheduler could not be asked
    (a transient error: callers keep waiting, bounded by their own timeout)."""

    active: bool | None
    state: str = ""  # the scheduler's own word (RUNNING, R, F, ...)


@dataclass(frozen=True)
class TestSubmit:
    """The answer of a submission that runs nothing (`sbatch --test-only`, PBS: the queue)."""

    ok: bool
    message: str  # the scheduler's last line
    completed: proc.Completed | None = None
    timed_out: bool = False


class Scheduler(Protocol):
    """What envdoctor asks of a batch scheduler. Implementations: `slurm.Slurm`, `pbs.Pbs`."""

    name: str  # the recipe's `scheduler.kind`
    submit_command: str  # sbatch / qsub, as a user types it
    job_vars: tuple[str, ...]  # environment variables set inside a job

    def parse_job_id(self, stdout: str) -> str: ...

    def job_args(self, spec: JobSpec) -> list[str]: ...

    def submit(self, site: Site, args: Sequence[str], *, cwd: str | None = None) -> Submission: ...

    def state(self, site: Site, job_id: str) -> JobState: ...

    def exit_status(self, site: Site, job_id: str) -> int | None: ...

    def cancel(self, site: Site, job_id: str) -> None: ...

    def partitions(self, site: Site) -> list[str]: ...

    def nodes(self, site: Site, partition: str = "") -> list[str]: ...

    def reason(self, site: Site, job_id: str) -> str: ...

    def test_submit(self, site: Site, *, user: str = "", gid: int | None = None, partition: str = "",
                    timeout: float = 15.0) -> TestSubmit: ...
