"""Drift: the user is on a host, or has an environment, from an older state of the guide.

Each platform's current recipe lists what the ALCF guide changed under `extra.drift`
(`hosts` globs of retired or renamed hosts, `paths` globs of environments built for older
releases; `what`, `since` (the date of the guide's change, from its git history), `now`
(what the guide says today) and the `source`). `check` tells what changed, since when, and
what to do now: a warning, never a failure (the old state may still work for a while).
"""
from __future__ import annotations

import fnmatch

from envdoctor.checks import Outcome, check, ok, skip, warn
from envdoctor.collectors.drift import DriftEntry, DriftFacts, entries
from envdoctor.collectors.host import HostFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (DriftFacts, HostFacts)


def _entries(recipe: Recipe, kind: str) -> list[DriftEntry]:
    """The entries that have `kind` ("hosts" or "paths") to look for."""
    return [e for e in entries(recipe.platform) if getattr(e, kind)]


def _sources(entry: DriftEntry) -> list[str]:
    return ["source: " + s for s in entry.sources]


def _told(entry: DriftEntry, found: str) -> tuple[str, str]:
    why = f"{found}: {entry.what} (the ALCF guide changed this on {entry.since})."
    return why, f"what the guide says now: {entry.now}"


@check("drift.host", "host", "not on a host the guide has retired or renamed",
       applies=lambda r: bool(_entries(r, "hosts")))
def drift_host(probe: Probe, recipe: Recipe) -> Outcome:
    hostname = probe.of(HostFacts).hostname
    name = hostname.lower()
    for entry in _entries(recipe, "hosts"):
        if any(fnmatch.fnmatch(name, p.lower()) or fnmatch.fnmatch(name.split(".")[0], p.lower())
               for p in entry.hosts):
            why, fix = _told(entry, f"{hostname} is an old host name")
            return warn(why, fix, evidence=[f"hostname {hostname} matches {', '.join(entry.hosts)}",
                                            *_sources(entry)])
    return ok(f"{hostname} is not among the renamed or retired hosts")


@check("drift.release", "venv", "no environment built for an older release",
       applies=lambda r: bool(_entries(r, "paths")))
def drift_release(probe: Probe, recipe: Recipe) -> Outcome:
    found = probe.of(DriftFacts)
    active = found.active_env
    for entry in _entries(recipe, "paths"):
        hits = found.paths.get(entry.id, ())
        if not hits:
            continue
        in_use = active in hits
        which = active if in_use else ", ".join(hits)
        why, fix = _told(entry, f"{which} is {entry.what}" + (" and it is the active one" if in_use else ""))
        current = entry.current_env
        if recipe.environment.path != current:
            return skip(f"you are checking the {recipe.release} recipe on purpose; the guide's current release is "
                        f"{entry.current_release} ({current})", *hits)
        return warn(why, fix + f"; `envdoctor setup {recipe.platform}` builds {current}",
                    [f"envdoctor setup {recipe.platform}"], [*hits, *_sources(entry)])
    return ok("no environment of an older release found")
