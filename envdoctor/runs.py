"""Run records: one JSON file per run (and its full log) in the user's data directory.

    $XDG_DATA_HOME/envdoctor/runs/<id>.json   (default ~/.local/share/envdoctor/runs/)
    $XDG_DATA_HOME/envdoctor/runs/<id>.log    the job's complete output
    $XDG_DATA_HOME/envdoctor/runs/<id>/       job script, config copy, scheduler files
"""
from __future__ import annotations

import datetime
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from envdoctor.errors import UsageError
from envdoctor.files import write_text_atomic
from envdoctor.redact import Redactor, redact_mapping

SCHEMA = "envdoctor/run@1"
STATUSES = ("ok", "failed", "cancelled", "timeout", "error")


def runs_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "envdoctor" / "runs"


def new_id(now: datetime.datetime | None = None) -> str:
    """Sortable and unique: 20261122-020815-3fa2."""
    now = now or datetime.datetime.now()
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass
class RunRecord:
    id: str
    platform: str
    release: str
    example: str
    title: str = ""
    kind: str = "training"
    launcher: str = ""
    target: str = "real"
    host: str = ""
    sim_root: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    set_params: list[str] = field(default_factory=list)  # the ones given with --set
    commands: list[str] = field(default_factory=list)
    start: str = ""
    end: str = ""
    duration_s: float | None = None
    job_id: str = ""
    exit_status: int | None = None
    status: str = "error"
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)  # {"loss": [each logged value, thinned]}
    events: list[str] = field(default_factory=list)
    sanity: list[dict[str, Any]] = field(default_factory=list)  # {"pattern", "ok"}
    performance: list[dict[str, Any]] = field(default_factory=list)  # {"metric", "value", "reference", "ratio"}
    log: str = ""
    log_tail: list[str] = field(default_factory=list)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def log_path(run_id: str) -> Path:
    return runs_dir() / f"{run_id}.log"


def work_dir(run_id: str) -> Path:
    path = runs_dir() / run_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def redact(record: RunRecord) -> RunRecord:
    """The record with every secret masked, IN PLACE (its log tail, commands, parameters and
    fingerprint quote the job's output and environment), and returned."""
    clean = RunRecord.from_dict(redact_mapping(record.to_dict()))
    # The tail as the stream it is: a private key block spans several of its lines.
    clean.log_tail = [t.rstrip("\n") for t in Redactor().lines(x + "\n" for x in record.log_tail)]
    for name in RunRecord.__dataclass_fields__:
        setattr(record, name, getattr(clean, name))
    return record


def save(record: RunRecord) -> Path:
    """Write the record, redacted first (in place: what `run` prints next is redacted too)."""
    redact(record)
    path = runs_dir() / f"{record.id}.json"
    write_text_atomic(path, json.dumps(record.to_dict(), indent=1, sort_keys=False) + "\n")
    return path


def load_all(platform: str | None = None) -> list[RunRecord]:
    """Every readable record, oldest first (an unreadable file is skipped, not fatal)."""
    out = []
    directory = runs_dir()
    if not directory.is_dir():
        return []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            # Redacted on the way in as well: a record written by an older envdoctor (or by
            # hand) must not carry a secret into `runs` output.
            rec = redact(RunRecord.from_dict(redact_mapping(data)))
            if platform is None or rec.platform == platform:
                out.append(rec)
    out.sort(key=lambda r: (r.start, r.id))
    return out


def select(ids: Iterable[str], platform: str | None = None) -> list[RunRecord]:
    """Records by id (a unique prefix is enough), in the order given."""
    every = load_all(platform)
    chosen = []
    for want in ids:
        hits = [r for r in every if r.id == want] or [r for r in every if r.id.startswith(want)]
        if not hits:
            raise UsageError(f"no recorded run {want!r}; `envdoctor runs list` shows them")
        if len(hits) > 1:
            raise UsageError(f"run id {want!r} is ambiguous ({', '.join(h.id for h in hits[:4])}); give more of it")
        chosen.append(hits[0])
    return chosen
