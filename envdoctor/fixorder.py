"""The order in which to follow a report's fixes: what a fix depends on comes first.

Checks are reported by area, but their fixes depend on each other across areas: a conda
env's `pip install -e ~/groqflow` needs the clone, a clone needs the proxy, `conda create`
needs conda initialised. `next_steps` puts the problems in dependency order and drops
commands an earlier fix already gave (conda.installed and conda.shell-init both install
Miniconda), so the list can be typed from top to bottom.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # results imports this module to order a report's next steps
    from envdoctor.results import CheckResult

# First match wins: an exact id or an area prefix ending in ".".
DEPENDENCY_ORDER = (
    "host.", "shell.", "network.", "disk.", "sdk.",
    "conda.installed", "conda.shell-init", "conda.base",
    "repo.", "python.", "venv.", "conda.",
    "packages.user-site", "packages.", "config.", "scheduler.", "run.",
)


@dataclass(frozen=True)
class NextStep:
    """One fix in the order fixes depend on each other."""

    check_id: str
    title: str
    commands: tuple[str, ...]


def rank(check_id: str) -> int:
    for i, key in enumerate(DEPENDENCY_ORDER):
        if check_id == key or (key.endswith(".") and check_id.startswith(key)):
            return i
    return len(DEPENDENCY_ORDER)


def next_steps(results: Iterable[CheckResult]) -> list[NextStep]:
    """Problems with commands, in dependency order, each command given once."""
    problems = [r for r in results if r.status.is_problem and r.commands]
    problems.sort(key=lambda r: rank(r.id))  # stable: report order within one rank
    seen: set[str] = set()
    steps = []
    for r in problems:
        fresh = tuple(c for c in r.commands if c.startswith("#") or c not in seen)
        seen.update(fresh)
        if any(not c.startswith("#") for c in fresh):
            steps.append(NextStep(r.id, r.title, fresh))
    return steps
