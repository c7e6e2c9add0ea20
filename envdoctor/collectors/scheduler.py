"""Scheduler facts: are we inside a job? (command locations come from the login shell).

The variables that mark a job are the scheduler layer's (`envdoctor.schedulers`), so a
scheduler added there is recognised here too.
"""
from __future__ import annotations

from typing import Any

from envdoctor.probe import ProbeContext, collector
from envdoctor.schedulers import SCHEDULERS

JOB_VARS = tuple(v for s in SCHEDULERS.values() for v in s.job_vars)


@collector("scheduler")
def collect_scheduler(ctx: ProbeContext) -> dict[str, Any]:
    env = ctx.target.current_env()
    return {"kind": ctx.recipe.scheduler.kind, "in_job": {k: env[k] for k in JOB_VARS if k in env}}
