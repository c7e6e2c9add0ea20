"""Disk facts: free space where the recipe puts things (home), and the user's quota."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Optional, Tuple

from envdoctor import proc
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector

GB = 1024 ** 3


@dataclass(frozen=True)
class Usage:
    """Space on the filesystem of `path` (the nearest existing parent of the one asked for);
    only `error` when it cannot be measured."""

    path: str = ""
    total_gb: float = 0.0
    free_gb: float = 0.0
    used_percent: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class QuotaRow:
    """One filesystem of `quota -s`, its figures as printed (`12G`, `1024M`)."""

    filesystem: str
    used: str
    quota: str
    limit: str
    over: bool = False  # quota printed `*` after the usage
    free_gb: Optional[float] = None  # room left under the quota (or the limit), when both parse


@dataclass(frozen=True)
class Quota:
    """What the quota tool said."""

    tool: str
    rows: Tuple[QuotaRow, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class DiskFacts(Facts):
    """Free space and quotas where the course writes."""

    home: Usage
    quota: Optional[Quota] = None  # None: no quota tool on PATH (or quotas cannot be shown)
    quota_note: str = ""  # why quotas were not looked at


def usage(path: str) -> Usage:
    import shutil  # not psutil: envdoctor stays pure Python (one .pyz for every interpreter)

    probe = path
    while probe and not os.path.exists(probe):
        probe = os.path.dirname(probe)
    try:
        u = shutil.disk_usage(probe or "/")
    except OSError as exc:
        return Usage(error=exc.strerror or str(exc))
    # As df and psutil count it: the root-reserved blocks are neither used nor available.
    percent = round(100.0 * u.used / (u.used + u.free), 1) if u.used + u.free else 0.0
    return Usage(probe, round(u.total / GB, 2), round(u.free / GB, 2), percent)


# A filesystem as quota(1) names it: a device (/dev/sda1, /dev/mapper/home-lv) or, for an NFS
# home (rpc.rquotad on the server answers), `server:/export`.
_FILESYSTEM = re.compile(r"^(/|[\w.-]+:/)")


def parse_quota_s(text: str) -> list[QuotaRow]:
    """Rows of `quota -s` output: filesystem, used, quota, limit (human units, as printed).

    quota-tools prints a row as ` %7s%c %6s %7s %7s` (used, `*` when over, quota, limit,
    grace) after the filesystem, which goes on a line of its own when longer than 15
    characters; `0K` is "no limit".
    """
    rows = []
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        parts = line.split()
        if len(parts) == 1 and i + 1 < len(lines) and lines[i + 1].startswith(" "):
            parts = parts + lines[i + 1].split()  # long filesystem names wrap onto the next line
        if len(parts) >= 4 and _FILESYSTEM.match(parts[0]) and re.match(r"^\d", parts[1]):
            row = QuotaRow(parts[0], parts[1].rstrip("*"), parts[2], parts[3], over=parts[1].endswith("*"))
            rows.append(replace(row, free_gb=room_gb(row)))
    return rows


def room_gb(row: QuotaRow) -> float | None:
    """GB left under the row's quota (its hard limit when no quota is set), None when unknown."""
    used, limit = to_gb(row.used), to_gb(row.quota) or to_gb(row.limit)
    return round(limit - used, 2) if used is not None and limit else None


def to_gb(text: str) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTP]?)", text.strip().upper().rstrip("B"))
    if not m:
        return None
    scale = {"": 1 / 1024 ** 2, "K": 1 / 1024 ** 2, "M": 1 / 1024, "G": 1.0, "T": 1024.0, "P": 1024.0 ** 2}[m.group(2)]
    return float(m.group(1)) * scale


@collector("disk", DiskFacts)
def collect_disk(ctx: ProbeContext) -> DiskFacts:
    t = ctx.target
    home = usage(t.home)
    lacking = t.lacks("quotas")
    if lacking:
        return DiskFacts(home, quota_note=lacking)
    return DiskFacts(home, quota=read_quota(ctx.timeout))


def read_quota(timeout: float) -> Quota | None:
    """The user's quotas by `quota -s`; None when there is no quota tool."""
    quota = proc.which("quota")
    if not quota:
        return None
    done = proc.run([quota, "-s"], timeout=min(timeout, 3.0))
    if done.ok or done.stdout:
        return Quota("quota -s", tuple(parse_quota_s(done.stdout)))
    if done.timed_out:
        return Quota("quota -s", error="did not answer in time")
    return None
