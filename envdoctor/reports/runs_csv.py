"""Runs as CSV: one row per run, every parameter and metric in its own column."""
from __future__ import annotations

import csv
import io
from typing import Sequence

from envdoctor.runs import RunRecord

FIXED = ("id", "platform", "release", "example", "target", "launcher", "status", "exit_status", "start", "end",
         "duration_s", "job_id", "log")


def render(records: Sequence[RunRecord]) -> str:
    params: list[str] = []
    metrics: list[str] = []
    for r in records:
        params += [k for k in r.params if k not in params]
        metrics += [k for k in r.metrics if k not in metrics]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(FIXED) + [f"param:{p}" for p in params] + [f"metric:{m}" for m in metrics])
    for r in records:
        data = r.to_dict()
        writer.writerow([("" if data[k] is None else data[k]) for k in FIXED]
                        + [r.params.get(p, "") for p in params] + [r.metrics.get(m, "") for m in metrics])
    return buf.getvalue()
