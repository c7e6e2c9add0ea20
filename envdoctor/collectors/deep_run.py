"""Collector `deep_run` (only with `check --deep`): the shortest reference run, really run.

The run goes through the same launcher and records as `envdoctor run` (its record is
saved, noted as a deep check); its facts feed the `run.reference` check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Recipe, Run

DEEP_TIMEOUT = 900.0  # a deep check never waits longer than this for its run


@dataclass(frozen=True)
class Sanity:
    """A line a reference run's log must contain, and whether it did."""

    pattern: str  # a line the run's log must contain
    ok: bool


@dataclass(frozen=True)
class Performance:
    """A reference run's figure against its reference."""

    metric: str
    value: Optional[float]  # None: the log never printed it
    reference: float
    ratio: Optional[float]


@dataclass(frozen=True)
class DeepRunFacts(Facts):
    """The run record of the shortest reference run (`run` None: the recipe has none)."""

    run: Optional[str] = None
    id: str = ""
    status: str = ""  # ok, failed, error, timeout, cancelled (envdoctor.runs)
    exit_status: Optional[int] = None
    duration_s: Optional[float] = None
    metrics: Dict[str, float] = field(default_factory=dict)
    sanity: Tuple[Sanity, ...] = ()
    performance: Tuple[Performance, ...] = ()
    log: str = ""
    log_tail: Tuple[str, ...] = ()  # its last 10 lines
    job_id: str = ""
    note: str = ""


def shortest(recipe: Recipe) -> Run | None:
    """The reference run with the smallest time limit (the first on a tie)."""
    return min(recipe.runs, key=lambda r: r.timeout) if recipe.runs else None


@collector("deep_run", DeepRunFacts)
def deep_run(ctx: ProbeContext) -> DeepRunFacts | None:
    if not ctx.deep:
        return None
    ref = shortest(ctx.recipe)
    if ref is None:
        return DeepRunFacts()
    from envdoctor.runner import execute  # lazy: the runner, launchers and parsers: check --deep only

    rec = execute(ctx.recipe, ctx.target, ref, {}, echo=None, stream=False,
                  timeout=min(ref.timeout, DEEP_TIMEOUT), note="envdoctor check --deep").record
    return DeepRunFacts(
        run=ref.name, id=rec.id, status=rec.status, exit_status=rec.exit_status, duration_s=rec.duration_s,
        metrics={k: float(v) for k, v in rec.metrics.items()},
        sanity=tuple(Sanity(str(s["pattern"]), bool(s["ok"])) for s in rec.sanity),
        performance=tuple(Performance(str(p["metric"]), _number(p["value"]), float(p["reference"]),
                                      _number(p["ratio"])) for p in rec.performance),
        log=rec.log, log_tail=tuple(rec.log_tail[-10:]), job_id=rec.job_id, note=rec.note)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
