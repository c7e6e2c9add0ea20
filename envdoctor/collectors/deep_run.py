"""Collector `deep_run` (only with `check --deep`): the shortest reference run, really run.

The run goes through the same launcher and records as `envdoctor run` (its record is
saved, noted as a deep check); its facts feed the `run.reference` check.
"""
from __future__ import annotations

from typing import Any

from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Recipe, Run

DEEP_TIMEOUT = 900.0  # a deep check never waits longer than this for its run


def shortest(recipe: Recipe) -> Run | None:
    """The reference run with the smallest time limit (the first on a tie)."""
    return min(recipe.runs, key=lambda r: r.timeout) if recipe.runs else None


@collector("deep_run")
def deep_run(ctx: ProbeContext) -> dict[str, Any] | None:
    if not ctx.deep:
        return None
    ref = shortest(ctx.recipe)
    if ref is None:
        return {"run": None}
    from envdoctor.runner import execute

    rec = execute(ctx.recipe, ctx.target, ref, {}, echo=None, stream=False,
                  timeout=min(ref.timeout, DEEP_TIMEOUT), note="envdoctor check --deep").record
    return {"run": ref.name, "id": rec.id, "status": rec.status, "exit_status": rec.exit_status,
            "duration_s": rec.duration_s, "metrics": rec.metrics, "sanity": rec.sanity,
            "performance": rec.performance, "log": rec.log, "log_tail": rec.log_tail[-10:], "job_id": rec.job_id,
            "note": rec.note}
