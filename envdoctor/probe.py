"""Facts about a target, collected once, concurrently, and round-tripped through JSON.

A collector is a function of a `ProbeContext` that returns JSON-able facts; it may start
processes (through `proc`, with timeouts) and read files. Checks never do: they are pure
functions of the collected `Probe`. Collectors register with `@collector("name")` in
modules under `envdoctor.collectors`, listed in COLLECTOR_MODULES.
"""
from __future__ import annotations

import importlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from envdoctor.recipe import Recipe
from envdoctor.targets import Target

PROBE_SCHEMA = "envdoctor/probe@1"
COLLECTOR_MODULES = (
    "envdoctor.collectors.host",
    "envdoctor.collectors.shells",
    "envdoctor.collectors.python_env",
    "envdoctor.collectors.repos",
    "envdoctor.collectors.configs",
    "envdoctor.collectors.network",
    "envdoctor.collectors.disk",
    "envdoctor.collectors.scheduler",
    "envdoctor.collectors.sdk",
    "envdoctor.collectors.inference",
    "envdoctor.collectors.deep_run",
    "envdoctor.collectors.drift",
)


@dataclass(frozen=True)
class ProbeContext:
    target: Target
    recipe: Recipe
    offline: bool = False
    deep: bool = False  # also run the shortest reference run (collector "deep_run")
    timeout: float = 5.0  # per external command / network request


Collector = Callable[[ProbeContext], Any]
_COLLECTORS: dict[str, Collector] = {}


def collector(name: str) -> Callable[[Collector], Collector]:
    """Register a fact collector under `name` (its facts appear as probe.facts[name])."""

    def register(fn: Collector) -> Collector:
        if name in _COLLECTORS and _COLLECTORS[name] is not fn:
            raise ValueError(f"duplicate collector {name!r}")
        _COLLECTORS[name] = fn
        return fn

    return register


def collectors() -> dict[str, Collector]:
    for mod in COLLECTOR_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
    return dict(_COLLECTORS)


@dataclass(frozen=True)
class Probe:
    target: str
    platform: str
    release: str
    facts: Mapping[str, Any]
    timings_ms: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)  # collector -> what went wrong
    duration_ms: int = 0

    def get(self, dotted: str, default: Any = None) -> Any:
        """facts['a']['b'] for 'a.b', or default when any part is missing."""
        value: Any = self.facts
        for part in dotted.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value

    def to_json(self) -> str:
        return json.dumps({"schema": PROBE_SCHEMA, "target": self.target, "platform": self.platform,
                           "release": self.release, "facts": self.facts, "timings_ms": self.timings_ms,
                           "errors": self.errors, "duration_ms": self.duration_ms}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Probe:
        data = json.loads(text)
        if data.get("schema") != PROBE_SCHEMA:
            raise ValueError(f"not an envdoctor probe: {data.get('schema')!r}")
        return cls(data["target"], data["platform"], data["release"], data["facts"], data.get("timings_ms", {}),
                   data.get("errors", {}), data.get("duration_ms", 0))


def collect(ctx: ProbeContext, only: tuple[str, ...] = ()) -> Probe:
    """Run every collector (or `only` these) concurrently; a crash is recorded, not raised."""
    chosen = {k: v for k, v in collectors().items() if not only or k in only}
    started = time.monotonic()
    facts: dict[str, Any] = {}
    timings: dict[str, int] = {}
    errors: dict[str, str] = {}

    def one(item: tuple[str, Collector]) -> tuple[str, Any, str, int]:
        name, fn = item
        t0 = time.monotonic()
        try:
            return name, fn(ctx), "", int((time.monotonic() - t0) * 1000)
        except Exception as exc:  # noqa: BLE001 - a collector crash becomes an `error` check result
            return name, None, f"{type(exc).__name__}: {exc}", int((time.monotonic() - t0) * 1000)

    with ThreadPoolExecutor(max_workers=max(1, min(16, len(chosen)))) as pool:
        for name, value, error, ms in pool.map(one, chosen.items()):
            facts[name] = value
            timings[name] = ms
            if error:
                errors[name] = error
    return Probe(ctx.target.name, ctx.recipe.platform, ctx.recipe.release, facts, timings, errors,
                 int((time.monotonic() - started) * 1000))
