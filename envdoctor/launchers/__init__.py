"""Launchers: how a reference run starts on each platform (`launcher:` in a recipe's run).

Every module has the same small interface (see `base`): `prepare(ctx) -> Launch` (the
exact commands, shown before anything starts), `start(launch, ctx) -> Job`, and the
Job's `lines()`, `wait()`, `cancel()`.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from envdoctor.errors import UsageError, closest

REGISTRY = {
    "direct": "envdoctor.launchers.direct",
    "slurm": "envdoctor.launchers.slurm",
    "pbs": "envdoctor.launchers.pbs",
    "cerebras": "envdoctor.launchers.cerebras",
    "sambanova": "envdoctor.launchers.sambanova",
}


def get(name: str) -> ModuleType:
    if name not in REGISTRY:
        raise UsageError(f"unknown launcher {name!r}: {closest(name, sorted(REGISTRY))}")
    return importlib.import_module(REGISTRY[name])
