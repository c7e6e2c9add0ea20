"""What the runs renderers share: which parameters differ, which metrics to show, formats."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from envdoctor.metrics import INFO
from envdoctor.runs import RunRecord

# Shown first, in this order, when present; the rest follow alphabetically.
PREFERRED = ("samples_per_sec", "throughput", "accuracy", "spearman", "e2e_latency_ms", "e2e_ips",
             "onchip_latency_ms", "onchip_ips", "loss", "eval_loss", "global_rate", "rate", "train_seconds",
             "duration_seconds", "train_loop_seconds", "steps", "epochs", "samples")


@dataclass(frozen=True)
class Table:
    runs: tuple[RunRecord, ...]
    varying: tuple[str, ...]  # parameters whose values differ between the runs
    common: tuple[tuple[str, Any], ...]  # parameters with one value across the runs
    metrics: tuple[str, ...]


def build(records: Sequence[RunRecord]) -> Table:
    names: list[str] = []
    for r in records:
        names += [k for k in r.params if k not in names]
    varying, common = [], []
    for name in names:
        values = {repr(r.params.get(name)) for r in records}
        if len(values) > 1:
            varying.append(name)
        else:
            common.append((name, records[0].params.get(name) if records else None))
    keys: list[str] = []
    for r in records:
        for p in r.performance:
            if p["metric"] not in keys:
                keys.append(p["metric"])
    # A metric that only echoes a parameter (Graphcore's `epochs`) is shown once, as the parameter.
    present = {k for r in records for k in r.metrics} - set(names)
    keys = [k for k in keys if k in present]
    keys += [k for k in PREFERRED if k in present and k not in keys]
    keys += sorted(present - set(keys))
    return Table(tuple(records), tuple(varying), tuple(common), tuple(keys))


def sections(records: Sequence[RunRecord]) -> list[tuple[RunRecord, ...]]:
    """Runs grouped by what can be compared (platform, example, release), first seen first."""
    groups: dict[tuple[str, str, str], list[RunRecord]] = {}
    for r in records:
        groups.setdefault((r.platform, r.example, r.release), []).append(r)
    return [tuple(g) for g in groups.values()]


def section_title(runs: Sequence[RunRecord]) -> str:
    first = runs[0]
    return f"{first.platform} {first.example} ({first.release})"


def varies(table: Table, metric: str) -> bool:
    """True when the metric takes more than one value over the runs (worth a chart)."""
    return len({r.metrics.get(metric) for r in table.runs if r.metrics.get(metric) is not None}) > 1


def metric_header(metric: str) -> str:
    """`label [unit]`, from metrics.INFO (the metric's key when it has no entry)."""
    name, unit, _ = INFO.get(metric, (metric.replace("_", " "), "", 0))
    return f"{name} [{unit}]" if unit else name


def when(iso: str) -> str:
    """A record's ISO time as `YYYY-MM-DD HH:MM:SS` (— when unknown)."""
    return iso[:19].replace("T", " ") if iso else "—"


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}" if abs(value) < 1e3 else f"{value:.1f}"
    return str(value)


def label(rec: RunRecord, varying: Sequence[str]) -> str:
    """How a run is named in charts: its differing parameters, else its id."""
    if varying:
        return ", ".join(f"{k}={fmt(rec.params.get(k))}" for k in varying)
    return rec.id


def header(table: Table, *, with_platform: bool) -> list[str]:
    cols = ["run"] + (["platform", "example"] if with_platform else []) + list(table.varying)
    return cols + ["status", "start", "end", "wall time [s]"] + [metric_header(m) for m in table.metrics]


def row(rec: RunRecord, table: Table, *, with_platform: bool) -> list[str]:
    cells = [rec.id] + ([rec.platform, rec.example] if with_platform else [])
    cells += [fmt(rec.params.get(k)) for k in table.varying]
    cells += [rec.status, when(rec.start), when(rec.end), fmt(rec.duration_s)]
    cells += [fmt(rec.metrics.get(k)) for k in table.metrics]
    return cells


def is_numeric_column(cells: Sequence[str]) -> bool:
    """Right-align a column whose every known cell is a number."""
    known = [c for c in cells if c != "—"]
    try:
        return bool(known) and all(float(c) == float(c) for c in known)
    except ValueError:
        return False


def mixed(records: Sequence[RunRecord]) -> bool:
    return len({(r.platform, r.example) for r in records}) > 1
