"""Scheduler facts: are we inside a job? (command locations come from the login shell)."""
from __future__ import annotations

from typing import Any

from envdoctor.probe import ProbeContext, collector

JOB_VARS = ("SLURM_JOB_ID", "SLURM_JOBID", "PBS_JOBID", "PBS_ENVIRONMENT")


@collector("scheduler")
def collect_scheduler(ctx: ProbeContext) -> dict[str, Any]:
    env = ctx.target.current_env()
    return {"kind": ctx.recipe.scheduler.kind, "in_job": {k: env[k] for k in JOB_VARS if k in env}}
