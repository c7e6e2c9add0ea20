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
from typing import Any, Dict, Mapping, Tuple

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import catalog


@dataclass(frozen=True)
class DriftFacts(Facts):
    """Leftovers of earlier releases and the environment active now."""

    # drift entry id -> the leftover directories found (recipe spelling: `~/...`)
    paths: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    active_env: str = ""  # $VIRTUAL_ENV of the shell envdoctor runs in (real machine only)


@dataclass(frozen=True)
class DriftEntry:
    """One change of the ALCF guide (a recipe's `extra.drift` entry), and where the current
    recipe builds its environment. Recipe data, not facts: checks read it beside the facts."""

    id: str
    what: str  # what changed
    since: str  # the date of the guide's change
    now: str  # what the guide says today
    sources: Tuple[str, ...] = ()
    hosts: Tuple[str, ...] = ()  # globs of the retired or renamed hosts
    paths: Tuple[str, ...] = ()  # globs of the environments built for older releases
    current_release: str = ""
    current_env: str = ""


def _strings(value: Any) -> Tuple[str, ...]:
    """A YAML string or list of strings, as a tuple."""
    return tuple(str(v) for v in (value if isinstance(value, list) else [value] if value else []))


def _entry(data: Mapping[str, Any], release: str, env: str) -> DriftEntry:
    return DriftEntry(str(data.get("id", "")), str(data.get("what", "")), str(data.get("since", "")),
                      str(data.get("now", "")), _strings(data.get("source")), _strings(data.get("hosts")),
                      _strings(data.get("paths")), release, env)


def entries(platform: str) -> list[DriftEntry]:
    """The drift entries of `platform`'s current (default) recipe."""
    try:
        current = catalog().get(platform)
    except Exception:  # noqa: BLE001 - a platform without a default recipe has no drift to tell
        return []
    drift = current.extra.get("drift") if isinstance(current.extra, dict) else None
    return [_entry(e, current.release, current.environment.path) for e in drift or [] if isinstance(e, dict)]


@collector("drift", DriftFacts)
def collect_drift(ctx: ProbeContext) -> DriftFacts:
    t = ctx.target
    found: dict[str, tuple[str, ...]] = {}
    for entry in entries(ctx.recipe.platform):
        current = os.path.normpath(t.path(entry.current_env))
        hits = []
        for pattern in entry.paths:
            for path in sorted(glob.glob(t.path(pattern))):
                if os.path.isdir(path) and os.path.normpath(path) != current:
                    hits.append(t.unmap(path))
        if hits:
            found[entry.id] = tuple(hits)
    active = t.current_env().get("VIRTUAL_ENV", "")  # a simulated node's user has no current shell
    return DriftFacts(found, t.unmap(active) if active else "")
