"""Scheduler facts: are we inside a job? (command locations come from the login shell).

The variables that mark a job are the scheduler layer's (`envdoctor.schedulers`), so a
scheduler added there is recognised here too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.schedulers import SCHEDULERS

JOB_VARS = tuple(v for s in SCHEDULERS.values() for v in s.job_vars)


@dataclass(frozen=True)
class SchedulerFacts(Facts):
    """The recipe's scheduler and the job the current shell runs in, if any."""

    kind: str  # the recipe's scheduler (slurm, pbs, none)
    in_job: Dict[str, str] = field(default_factory=dict)  # the job variables of the current shell


@collector("scheduler", SchedulerFacts)
def collect_scheduler(ctx: ProbeContext) -> SchedulerFacts:
    env = ctx.target.current_env() or {}  # no current shell but the login shell: never in a job
    return SchedulerFacts(ctx.recipe.scheduler.kind, {k: env[k] for k in JOB_VARS if k in env})
