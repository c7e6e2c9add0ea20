"""Facts about a target, collected once, concurrently, and round-tripped through JSON.

A collector is a function of a `ProbeContext` that returns its typed facts (a frozen
`envdoctor.facts.Facts` dataclass); it may start processes (through `proc`, with timeouts)
and read files. Checks never do: they are pure functions of the collected `Probe`, and
read a collector's facts with `probe.of(Kind)`. Collectors register with
`@collector("name", Kind)` in modules under `envdoctor.collectors`, listed in
COLLECTOR_MODULES; a missing module is an ImportError, never a silently absent collector.
"""
from __future__ import annotations

import importlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Type, TypeVar

from envdoctor import proc
from envdoctor.facts import Facts
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
    "envdoctor.collectors.session",
    "envdoctor.collectors.provenance",
    "envdoctor.collectors.interpreters",
    "envdoctor.collectors.conda",
    "envdoctor.collectors.pip_config",
    "envdoctor.collectors.tool_config",
    "envdoctor.collectors.dotfiles",
    "envdoctor.collectors.system",
)


@dataclass(frozen=True)
class ProbeContext:
    """What the collectors are asked about: the target, the recipe and how far to look."""

    target: Target
    recipe: Recipe
    offline: bool = False
    deep: bool = False  # also run the shortest reference run (collector "deep_run")
    timeout: float = proc.PROBE_TIMEOUT  # per external command / network request
    # Facts only views read, slow to gather: each shell's Python versions and the course's
    # activate command tried (`check --in-job` compares them with the job's), each clone's
    # `git describe` and `git status` (snapshot). No check reads them, so `check` skips them.
    details: bool = False


Collector = Callable[[ProbeContext], Any]
K = TypeVar("K", bound=Facts)
_COLLECTORS: dict[str, Collector] = {}
_KINDS: Dict[str, Type[Facts]] = {}  # collector name -> its facts type
_NAMES: Dict[Type[Facts], str] = {}


class MissingFacts(RuntimeError):
    """A collector crashed (or did not run), so the checks that need its facts cannot decide."""


def collector(name: str, kind: Optional[Type[Facts]] = None) -> Callable[[Collector], Collector]:
    """Register a fact collector under `name`; its facts (of type `kind`) are probe.of(kind)."""

    def register(fn: Collector) -> Collector:
        if name in _COLLECTORS and _COLLECTORS[name] is not fn:
            raise ValueError(f"duplicate collector {name!r}")
        _COLLECTORS[name] = fn
        if kind is not None:
            _KINDS[name], _NAMES[kind] = kind, name
        return fn

    return register


def collectors() -> dict[str, Collector]:
    for mod in COLLECTOR_MODULES:
        importlib.import_module(mod)
    return dict(_COLLECTORS)


def names_of(wanted: Iterable[Type[Facts]]) -> tuple[str, ...]:
    """The collectors that produce the facts types `wanted` (a facts type is defined in its
    collector's module, so they are registered already; the others are imported only if not)."""
    wanted = tuple(wanted)
    if any(k not in _NAMES for k in wanted):
        collectors()
    missing = [k.__name__ for k in wanted if k not in _NAMES]
    if missing:
        raise TypeError(f"no collector registered for {', '.join(missing)}")
    return tuple(_NAMES[k] for k in wanted)


def kinds() -> Dict[str, Type[Facts]]:
    """Each collector's facts type (after the collector modules are imported)."""
    collectors()
    return dict(_KINDS)


@dataclass(frozen=True)
class Probe:
    """The facts of one target, collected once; checks and views read them."""

    target: str
    platform: str
    release: str
    facts: Mapping[str, Any]
    timings_ms: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)  # collector -> what went wrong
    duration_ms: int = 0

    def of(self, kind: Type[K]) -> K:
        """The typed facts of the collector registered with `kind`; MissingFacts when it
        crashed or did not run (the check becomes an `error` result that says which)."""
        name = _NAMES.get(kind, "")
        value = self.facts.get(name)
        if not isinstance(value, kind):
            raise MissingFacts(f"the {name or kind.__name__!r} facts could not be collected: "
                               f"{self.errors.get(name, 'no facts')}")
        return value

    def facts_json(self) -> Dict[str, Any]:
        return {k: v.to_json() if isinstance(v, Facts) else v for k, v in self.facts.items()}

    def to_json(self) -> str:
        return json.dumps({"schema": PROBE_SCHEMA, "target": self.target, "platform": self.platform,
                           "release": self.release, "facts": self.facts_json(), "timings_ms": self.timings_ms,
                           "errors": self.errors, "duration_ms": self.duration_ms}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Probe:
        """A recorded probe, its facts loaded back into their types (FactsError when they
        do not fit: a probe of another envdoctor version)."""
        data = json.loads(text)
        if data.get("schema") != PROBE_SCHEMA:
            raise ValueError(f"not an envdoctor probe: {data.get('schema')!r}")
        types = kinds()
        facts = {k: types[k].from_json(v) if k in types and v is not None else v for k, v in data["facts"].items()}
        return cls(data["target"], data["platform"], data["release"], facts, data.get("timings_ms", {}),
                   data.get("errors", {}), data.get("duration_ms", 0))


def collect(ctx: ProbeContext, only: tuple[str, ...] = ()) -> Probe:
    """Run every collector (or `only` these) concurrently; a crash is recorded, not raised."""
    # `only` names registered collectors (check's: their modules are imported with the checks'
    # facts types), so the snapshot's collectors are not even imported for a check.
    known = _COLLECTORS if only and all(k in _COLLECTORS for k in only) else collectors()
    chosen = {k: v for k, v in known.items() if not only or k in only}
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
