"""Checks: pure functions of a probe and a recipe, registered with stable ids.

A check module defines functions decorated with `@check(...)`; each returns an `Outcome`.
The runner turns an exception into an `error` result and cuts a check that hangs, so one
bad check never stops the others. The check modules are imported by name in `modules()`, in
report order: a missing or misspelt module is an ImportError, never a report that is
silently missing its checks.
"""
from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Iterable, Sequence

from envdoctor.facts import Facts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe
from envdoctor.results import CATEGORIES, CheckResult, Status

ID_RE = re.compile(r"[a-z]+(\.[a-z0-9]+(-[a-z0-9]+)*)+")
CHECK_TIMEOUT = 5.0


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; the registry turns it into a CheckResult."""

    status: Status
    why: str = ""
    fix: str = ""
    commands: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    step: str = ""  # overrides the check's step kind when this outcome is repaired by another


def ok(*evidence: str) -> Outcome:
    return Outcome(Status.OK, evidence=tuple(evidence))


def skip(why: str, *evidence: str) -> Outcome:
    return Outcome(Status.SKIP, why=why, evidence=tuple(evidence))


def fail(why: str, fix: str, commands: Sequence[str] = (), evidence: Sequence[str] = (), step: str = "") -> Outcome:
    return Outcome(Status.FAIL, why, fix, tuple(commands), tuple(evidence), step)


def warn(why: str, fix: str, commands: Sequence[str] = (), evidence: Sequence[str] = (), step: str = "") -> Outcome:
    return Outcome(Status.WARN, why, fix, tuple(commands), tuple(evidence), step)


CheckFn = Callable[[Probe, Recipe], Outcome]


@dataclass(frozen=True)
class Check:
    """A registered check: its id, category, function and the step that repairs it."""

    id: str
    category: str
    title: str
    fn: CheckFn
    applies: Callable[[Recipe], bool]
    step: str  # step kind whose apply repairs a failure ("" when none)
    deep: bool = False  # runs only with `check --deep`


_REGISTRY: dict[str, Check] = {}


def check(id: str, category: str, title: str, *, applies: Callable[[Recipe], bool] = lambda r: True,
          step: str = "", deep: bool = False) -> Callable[[CheckFn], CheckFn]:
    """Register a check. Ids are stable, lower-case and dotted by area (`conda.shell-init`)."""
    if not ID_RE.fullmatch(id):
        raise ValueError(f"check id {id!r} must look like area.words-joined-by-dashes")
    if category not in CATEGORIES:
        raise ValueError(f"check {id}: unknown category {category!r}")

    def register(fn: CheckFn) -> CheckFn:
        if id in _REGISTRY:
            raise ValueError(f"duplicate check id {id!r}")
        _REGISTRY[id] = Check(id, category, title, fn, applies, step, deep)
        return fn

    return register


def modules() -> tuple[ModuleType, ...]:
    """The check modules, in report order. Imported here (they import this module's `check`);
    each is a name, so a missing or misspelt module fails loudly."""
    from envdoctor.checks import (  # lazy: the check modules import this package's `check`: filled on first use
        conda,
        config,
        disk,
        drift,
        host,
        inference,
        network,
        packages,
        python,
        repo,
        run,
        scheduler,
        sdk,
        shell,
    )

    return (host, shell, conda, python, packages, repo, config, network, disk, scheduler, sdk, inference, run, drift)


def registry() -> dict[str, Check]:
    """All checks, in report order (module order, then definition order)."""
    rank = {m.__name__: i for i, m in enumerate(modules())}
    ordered = sorted(_REGISTRY.values(), key=lambda c: rank.get(c.fn.__module__, len(rank)))  # stable
    return {c.id: c for c in ordered}


def select(recipe: Recipe, only: Iterable[str] = (), skip_ids: Iterable[str] = (), deep: bool = False) -> list[Check]:
    """The checks that apply to `recipe`, filtered by --only/--skip (ids or area prefixes)."""
    only, skip_ids = tuple(only), tuple(skip_ids)

    def matches(c: Check, patterns: tuple[str, ...]) -> bool:
        return any(c.id == p or c.id.startswith(p.rstrip(".") + ".") for p in patterns)

    chosen = []
    for c in registry().values():
        if (only and not matches(c, only)) or matches(c, skip_ids) or (c.deep and not deep):
            continue
        if c.applies(recipe):
            chosen.append(c)
    return chosen


def needed_facts(chosen: Iterable[Check]) -> tuple[type[Facts], ...]:
    """The facts types `chosen` read: each check module's FACTS (a module without it is an
    error: `check` would not know what to collect for it)."""
    kinds: dict[type[Facts], None] = {}
    for c in chosen:
        declared = getattr(sys.modules[c.fn.__module__], "FACTS", None)
        if declared is None:
            raise TypeError(f"check module {c.fn.__module__} declares no FACTS (the facts types its checks read)")
        kinds.update(dict.fromkeys(declared))
    return tuple(kinds)


def unknown_ids(patterns: Iterable[str]) -> list[str]:
    ids = registry()
    return [p for p in patterns if p not in ids and not any(i.startswith(p.rstrip(".") + ".") for i in ids)]


def run_one(c: Check, probe: Probe, recipe: Recipe, timeout: float = CHECK_TIMEOUT) -> CheckResult:
    box: list[Outcome | BaseException] = []

    def target() -> None:
        try:
            box.append(c.fn(probe, recipe))
        except BaseException as exc:  # noqa: BLE001 - becomes an `error` result
            box.append(exc)

    t0 = time.monotonic()
    # A daemon thread, so that a check stuck forever cannot keep the process alive.
    worker = threading.Thread(target=target, daemon=True, name=f"check {c.id}")
    worker.start()
    worker.join(timeout)
    ms = int((time.monotonic() - t0) * 1000)
    if not box:
        return CheckResult(c.id, c.category, c.title, Status.ERROR, why=f"the check did not finish in {timeout:g} s",
                           fix="report this to the envdoctor developers; the other checks still ran", duration_ms=ms)
    got = box[0]
    if isinstance(got, BaseException):
        return CheckResult(c.id, c.category, c.title, Status.ERROR,
                           why=f"the check crashed: {type(got).__name__}: {got}",
                           fix="report this to the envdoctor developers; the other checks still ran", duration_ms=ms)
    step = (got.step or c.step) if got.status in (Status.FAIL, Status.WARN) else ""
    return CheckResult(c.id, c.category, c.title, got.status, got.why, got.fix, got.commands, got.evidence, ms, step)


def run_all(checks: Sequence[Check], probe: Probe, recipe: Recipe) -> list[CheckResult]:
    return [run_one(c, probe, recipe) for c in checks]
