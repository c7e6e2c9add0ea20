"""Disk facts: free space where the recipe puts things (home), and the user's quota."""
from __future__ import annotations

import os
import re
from typing import Any

from envdoctor import proc
from envdoctor.probe import ProbeContext, collector

GB = 1024 ** 3


def usage(path: str) -> dict[str, Any]:
    import shutil  # not psutil: envdoctor stays pure Python (one .pyz for every interpreter)

    probe = path
    while probe and not os.path.exists(probe):
        probe = os.path.dirname(probe)
    try:
        u = shutil.disk_usage(probe or "/")
    except OSError as exc:
        return {"error": exc.strerror or str(exc)}
    # As df and psutil count it: the root-reserved blocks are neither used nor available.
    percent = round(100.0 * u.used / (u.used + u.free), 1) if u.used + u.free else 0.0
    return {"path": probe, "total_gb": round(u.total / GB, 2), "free_gb": round(u.free / GB, 2),
            "used_percent": percent}


def parse_quota_s(text: str) -> list[dict[str, Any]]:
    """Rows of `quota -s` output: filesystem, used, quota, limit (human units, as printed)."""
    rows = []
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        parts = line.split()
        if len(parts) == 1 and i + 1 < len(lines) and lines[i + 1].startswith(" "):
            parts = parts + lines[i + 1].split()  # long filesystem names wrap onto the next line
        if len(parts) >= 4 and parts[0].startswith("/") and re.match(r"^\d", parts[1]):
            rows.append({"filesystem": parts[0], "used": parts[1].rstrip("*"), "quota": parts[2], "limit": parts[3],
                         "over": parts[1].endswith("*")})
    return rows


def to_gb(text: str) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTP]?)", text.strip().upper().rstrip("B"))
    if not m:
        return None
    scale = {"": 1 / 1024 ** 2, "K": 1 / 1024 ** 2, "M": 1 / 1024, "G": 1.0, "T": 1024.0, "P": 1024.0 ** 2}[m.group(2)]
    return float(m.group(1)) * scale


@collector("disk")
def collect_disk(ctx: ProbeContext) -> dict[str, Any]:
    t = ctx.target
    facts: dict[str, Any] = {"home": usage(t.home), "quota": None}
    if t.root:
        facts["quota_note"] = "quotas are not simulated"
        return facts
    quota = proc.which("quota")
    if quota:
        done = proc.run([quota, "-s"], timeout=min(ctx.timeout, 3.0))
        if done.ok or done.stdout:
            rows = parse_quota_s(done.stdout)
            for r in rows:
                used, limit = to_gb(r["used"]), to_gb(r["quota"]) or to_gb(r["limit"])
                r["free_gb"] = round(limit - used, 2) if used is not None and limit else None
            facts["quota"] = {"tool": "quota -s", "rows": rows}
        elif done.timed_out:
            facts["quota"] = {"tool": "quota -s", "error": "did not answer in time", "rows": []}
    return facts
