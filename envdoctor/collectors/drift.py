"""Drift facts: what on this account belongs to an older state of the guide.

The platform's current recipe lists, under `extra.drift`, what the ALCF guide changed (host
renames, releases) with the date and its source; this collector finds the leftovers of the
older state that exist here: directories matching an entry's `paths` globs (an env built for
an older release) other than the current recipe's own environment.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector


@dataclass(frozen=True)
class DriftFacts(Facts):
    # drift entry id -> the leftover directories found (recipe spelling: `~/...`)
    paths: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    active_env: str = ""  # $VIRTUAL_ENV of the shell envdoctor runs in (real machine only)


def entries(platform: str) -> list[dict[str, Any]]:
    """The drift entries of `platform`'s current (default) recipe."""
    from envdoctor.recipe import catalog

    try:
        current = catalog().get(platform)
    except Exception:  # noqa: BLE001 - a platform without a default recipe has no drift to tell
        return []
    drift = current.extra.get("drift") if isinstance(current.extra, dict) else None
    return [dict(e, current_release=current.release, current_env=current.environment.path)
            for e in drift or [] if isinstance(e, dict)]


@collector("drift", DriftFacts)
def collect_drift(ctx: ProbeContext) -> DriftFacts:
    t = ctx.target
    found: dict[str, tuple[str, ...]] = {}
    for entry in entries(ctx.recipe.platform):
        current = os.path.normpath(t.path(entry["current_env"]))
        hits = []
        for pattern in entry.get("paths") or []:
            for path in sorted(glob.glob(t.path(pattern))):
                if os.path.isdir(path) and os.path.normpath(path) != current:
                    hits.append(t.unmap(path))
        if hits:
            found[str(entry.get("id", ""))] = tuple(hits)
    active = os.environ.get("VIRTUAL_ENV", "") if not t.root else ""
    return DriftFacts(found, t.unmap(active) if active else "")
