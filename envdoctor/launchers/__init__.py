"""Launchers: how a reference run starts on each platform (`launcher:` in a recipe's run).

Every module has the same small interface, the `Launcher` protocol (see `base`):
`prepare(ctx) -> Launch` (the exact commands, shown before anything starts),
`start(launch, ctx) -> Job`, and the Job's `lines()`, `wait()`, `cancel()`.

`LAUNCHERS` is the one list of launcher names: a recipe's `launcher:` is validated against
it when the recipe loads. The modules are imported on first use (loading a recipe, or
`check`, never needs them).
"""
from __future__ import annotations

import importlib
from importlib.util import find_spec
from typing import TYPE_CHECKING, Mapping, Protocol, cast

from envdoctor.errors import UsageError, closest

if TYPE_CHECKING:
    from envdoctor.launchers.base import Job, Launch, RunContext

# launcher name -> module (imported by `get`, each checked against `Launcher`)
LAUNCHERS: Mapping[str, str] = {
    "direct": "envdoctor.launchers.direct",
    "slurm": "envdoctor.launchers.slurm",
    "pbs": "envdoctor.launchers.pbs",
    "cerebras": "envdoctor.launchers.cerebras",
    "sambanova": "envdoctor.launchers.sambanova",
}


class Launcher(Protocol):
    """The interface of a launcher module."""

    NAME: str

    def prepare(self, ctx: RunContext) -> Launch: ...

    def start(self, launch: Launch, ctx: RunContext) -> Job: ...


if TYPE_CHECKING:
    # The modules are imported lazily by name (no launcher is needed to load a recipe or to
    # check), so mypy checks each registered module against the protocol here; a test keeps
    # this tuple and LAUNCHERS naming the same modules.
    from envdoctor.launchers import cerebras, direct, pbs, sambanova, slurm

    CHECKED: tuple[Launcher, ...] = (direct, slurm, pbs, cerebras, sambanova)


def names() -> tuple[str, ...]:
    return tuple(LAUNCHERS)


def missing_module(name: str) -> str:
    """'' when `name`'s registered module exists, else what is wrong (checked when a recipe loads)."""
    if name not in LAUNCHERS:
        return f"unknown launcher {name!r}: {closest(name, sorted(LAUNCHERS))}"
    return "" if find_spec(LAUNCHERS[name]) is not None else f"the launcher {name!r} is registered but {LAUNCHERS[name]} is missing"


def get(name: str) -> Launcher:
    if name not in LAUNCHERS:
        raise UsageError(f"unknown launcher {name!r}: {closest(name, sorted(LAUNCHERS))}")
    module = importlib.import_module(LAUNCHERS[name])
    for attr in ("prepare", "start"):
        if not callable(getattr(module, attr, None)):  # a half-written launcher module fails here, by name
            raise TypeError(f"launcher module {LAUNCHERS[name]} has no {attr}()")
    return cast("Launcher", module)
