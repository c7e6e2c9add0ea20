"""Schedulers: Slurm and PBS behind one small protocol, used by the launchers, `check
--in-job`, `class accounts` and the scheduler collector.

Everything a caller needs to know about a batch scheduler is decided here, once: where its
commands are (`Site.tool`: the simulated node's `/opt/<kind>/bin` stand-ins first, then
PATH), what a submission printed (`parse_job_id`), whether a job is still in the queue
(`state`: PBS completion is F, X for subjobs, and C on older PBS / TORQUE), its exit status,
cancelling it, the partitions or queues and nodes, and a submission that asks the
scheduler without running anything (`test_submit`).

    SCHEDULERS["slurm"].submit(site, argv_tail, cwd=...) -> Submission
"""
from __future__ import annotations

from typing import Dict

from envdoctor.errors import UsageError, closest
from envdoctor.schedulers.base import (
    QUERY_TIMEOUT,
    SUBMIT_TIMEOUT,
    JobSpec,
    JobState,
    Scheduler,
    Site,
    Submission,
    TestSubmit,
)
from envdoctor.schedulers.pbs import Pbs
from envdoctor.schedulers.slurm import Slurm

__all__ = ["QUERY_TIMEOUT", "SCHEDULERS", "SUBMIT_TIMEOUT", "JobSpec", "JobState", "Scheduler", "Site", "Submission",
           "TestSubmit", "get"]

SCHEDULERS: Dict[str, Scheduler] = {"slurm": Slurm(), "pbs": Pbs()}


def get(kind: str) -> Scheduler:
    if kind not in SCHEDULERS:
        raise UsageError(f"unknown scheduler {kind!r}: {closest(kind, sorted(SCHEDULERS))}")
    return SCHEDULERS[kind]
