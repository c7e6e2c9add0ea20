"""PBS (PBS Professional / OpenPBS, as on the GroqRack): qsub, qstat, qdel, pbsnodes.

`qsub` prints the job id (`<seq>.<server>`, `<seq>[].<server>` for an array). A job has
left the queue when `qstat ID` no longer lists it as queued or running: it exits 153
("Unknown Job Id") or 35 ("Job has finished, use -x or -H") once the job is history, or it
shows the state column as a completion state. The completion states, decided here once
(OpenPBS doc/man1/qstat.1B, "The job's state", openpbs/openpbs@220865045c):

    F  Job is finished            (PBS Professional 13 and later, OpenPBS; shown with -x)
    X  Subjob has completed execution or has been deleted
    C  Job is completed           (TORQUE and PBS Professional before 18: the older servers;
                                   nextflow-io/nextflow#908 quotes the PBS Pro 18.2 guide's change)

The exit status is `Exit_status` of `qstat -x -f ID` (`exit_status` on TORQUE).

PBS has no test-only submission (`qsub` has no dry run, unlike `sbatch --test-only`).
The documented substitute, `test_submit`, asks `qstat -Qf QUEUE`: the queue exists, is
enabled and started, and its user ACL (when enabled) admits the user.
"""
from __future__ import annotations

import re
from typing import Sequence

from envdoctor.schedulers.base import SUBMIT_TIMEOUT, JobSpec, JobState, Site, Submission, TestSubmit

COMPLETED_STATES = frozenset({"F", "X", "C"})
GONE_CODES = frozenset({153, 35})  # qstat: Unknown Job Id; Job has finished (history needs -x)
_ID = re.compile(r"^\d+(\[\d*\])?(\.\S+)?$")
_EXIT = re.compile(r"^\s*exit_status\s*=\s*(-?\d+)", re.I | re.M)
_ATTR = re.compile(r"^\s+(\w+)\s*=\s*(.*)$")


class Pbs:
    name = "pbs"
    submit_command = "qsub"
    job_vars: tuple[str, ...] = ("PBS_JOBID", "PBS_ENVIRONMENT")

    def parse_job_id(self, stdout: str) -> str:
        lines = stdout.strip().splitlines()
        last = lines[-1].strip() if lines else ""
        return last if _ID.match(last) else ""

    @staticmethod
    def sequence(job_id: str) -> str:
        """`101.groq-r01-co` -> `101` (the .o<seq> / .e<seq> output files use it)."""
        m = re.match(r"^\d+", job_id)
        return m.group(0) if m else ""

    def job_args(self, spec: JobSpec) -> list[str]:
        select = "select=1" + (f":host={spec.node}" if spec.node else "")
        argv = ["-N", spec.name, "-l", select, "-l", f"walltime={spec.minutes // 60:02d}:{spec.minutes % 60:02d}:00",
                "-o", spec.output, "-e", spec.error]
        return argv + (["-q", spec.partition] if spec.partition else [])

    def submit(self, site: Site, args: Sequence[str], *, cwd: str | None = None) -> Submission:
        """`qsub ARGS` (args end with the script)."""
        done = site.run([site.tool("pbs", "qsub"), *args], cwd=cwd, timeout=SUBMIT_TIMEOUT)
        return Submission(self.parse_job_id(done.stdout) if done.ok else "", done)

    def state(self, site: Site, job_id: str) -> JobState:
        r = site.run([site.tool("pbs", "qstat"), job_id])
        if r.timed_out:
            return JobState(None)
        if not r.ok:
            return JobState(False)  # 153 / 35 (see GONE_CODES), or no qstat at all
        state = table_state(r.stdout, job_id)
        return JobState(bool(state) and state not in COMPLETED_STATES, state)

    def exit_status(self, site: Site, job_id: str) -> int | None:
        r = site.run([site.tool("pbs", "qstat"), "-x", "-f", job_id])
        m = _EXIT.search(r.stdout) if r.ok else None
        return int(m.group(1)) if m else None

    def cancel(self, site: Site, job_id: str) -> None:
        site.run([site.tool("pbs", "qdel"), job_id])

    def partitions(self, site: Site) -> list[str]:
        """Queue names, from `qstat -Q`."""
        r = site.run([site.tool("pbs", "qstat"), "-Q"])
        return queue_names(r.stdout) if r.ok else []

    def nodes(self, site: Site, partition: str = "") -> list[str]:
        """Node names, from `pbsnodes -a` (PBS has no node list per queue: `partition` is ignored)."""
        r = site.run([site.tool("pbs", "pbsnodes"), "-a"])
        return node_names(r.stdout) if r.ok else []

    def reason(self, site: Site, job_id: str) -> str:
        r = site.run([site.tool("pbs", "qstat"), "-f", job_id])
        m = re.search(r"^\s*comment\s*=\s*(.*)$", r.stdout, re.M) if r.ok else None
        return m.group(1).strip() if m else ""

    def test_submit(self, site: Site, *, user: str = "", gid: int | None = None, partition: str = "",
                    timeout: float = 15.0) -> TestSubmit:
        """The substitute for a test-only submission: `qstat -Qf QUEUE` (see the module's docstring)."""
        argv = [site.tool("pbs", "qstat"), "-Qf"] + ([partition] if partition else [])
        r = site.run(argv, timeout=timeout)
        if not r.ok:
            text = (r.stderr.strip() or r.stdout.strip() or r.describe()).splitlines()
            return TestSubmit(False, text[-1] if text else "", r, r.timed_out)
        ok, why = queue_admits(r.stdout, user)
        return TestSubmit(ok, why, r)


def table_state(stdout: str, job_id: str) -> str:
    """The S column of `qstat ID`'s default table for that job ("" if it is not listed)."""
    seq = Pbs.sequence(job_id) or job_id
    for line in stdout.splitlines():
        fields = line.split()
        if fields and (fields[0] == job_id or fields[0].split(".")[0] == seq) and len(fields) >= 5:
            return fields[-2]
    return ""


def queue_names(stdout: str) -> list[str]:
    """Rows of `qstat -Q` (header `Queue Max Tot Ena Str ...`, then a dashed line)."""
    names: list[str] = []
    rows = False
    for line in stdout.splitlines():
        if line.startswith("---"):
            rows = True
        elif rows and line.split():
            names.append(line.split()[0])
    return names


def node_names(stdout: str) -> list[str]:
    """`pbsnodes -a`: each node's name starts a line; its attributes are indented below."""
    return list(dict.fromkeys(line.strip() for line in stdout.splitlines() if line.strip() and not line[0].isspace()))


def queue_admits(stdout: str, user: str) -> tuple[bool, str]:
    """From `qstat -Qf QUEUE`: enabled, started, and the user ACL (when enabled) lists `user`."""
    attrs = {m.group(1).lower(): m.group(2).strip() for m in map(_ATTR.match, stdout.splitlines()) if m}
    name = next((ln.split(":", 1)[1].strip() for ln in stdout.splitlines() if ln.startswith("Queue:")), "the queue")
    if attrs.get("enabled", "").lower() != "true":
        return False, f"queue {name} is disabled (enabled = {attrs.get('enabled', 'unknown')})"
    if attrs.get("started", "").lower() != "true":
        return False, f"queue {name} is stopped (started = {attrs.get('started', 'unknown')})"
    if user and attrs.get("acl_user_enable", "").lower() == "true":
        allowed = [u.split("@")[0] for u in attrs.get("acl_users", "").split(",")]
        if user not in allowed:
            return False, f"{user} is not in the acl_users of queue {name}"
    return True, f"queue {name} is enabled and started"
