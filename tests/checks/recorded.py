"""Recorded probes: tests/checks/probes/<platform>-<state>.json, made by scripts/record-probes
from real simulated nodes (fresh, ready, and each fault the builder injects on a ready node).

`load(name)` gives the probe (its facts loaded back into their types) and the recipe it was
recorded for; `results(name)` runs every check that applies, as `envdoctor check` does, in
milliseconds instead of the tens of seconds a node takes to build.

What each fault must trip is not written here: it is read from the end-to-end tables that
hold it for real nodes (tests/e2e/test_sim_checks.py EXPECT, tests/e2e/test_metis.py FAULTS),
so the recorded and the end-to-end tests cannot disagree about it.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Dict, List, NamedTuple, Optional, Tuple

from envdoctor.probe import Probe
from envdoctor.recipe import Recipe, catalog
from envdoctor.results import CheckResult, Status

PROBES = Path(__file__).with_name("probes")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "record-probes"
BASES = ("fresh", "ready")


class Expect(NamedTuple):
    """What a fault's recording must show: its check's status, and (when the end-to-end table
    has them for this platform) a command of the fix and a phrase of the why."""

    check: str
    status: Status
    command: Optional[str] = None
    phrase: Optional[str] = None


def names() -> List[str]:
    return sorted(p.stem for p in PROBES.glob("*.json"))


def split(name: str) -> Tuple[str, str]:
    """'groq-conda-missing' -> ('groq', 'conda-missing')."""
    platform, _, state = name.partition("-")
    return platform, state


@lru_cache(maxsize=None)
def load(name: str) -> Tuple[Probe, Recipe]:
    """The recorded probe `name` and the recipe it was recorded for."""
    probe = Probe.from_json((PROBES / f"{name}.json").read_text(encoding="utf-8"))
    return probe, catalog().get(probe.platform, probe.release)


def results(name: str) -> Dict[str, CheckResult]:
    """Every check that applies to the recipe, run on the recorded probe (not deep: recordings
    are made without --deep)."""
    from envdoctor.checks import run_all, select

    probe, recipe = load(name)
    return {r.id: r for r in run_all(select(recipe), probe, recipe)}


def recorder() -> ModuleType:
    """scripts/record-probes as a module (its states, and how it normalizes a probe)."""
    loader = importlib.machinery.SourceFileLoader("record_probes", str(SCRIPT))
    spec = importlib.util.spec_from_loader("record_probes", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@lru_cache(maxsize=None)
def _end_to_end() -> Dict[Tuple[str, str], Expect]:
    """(platform, fault) -> Expect, from the end-to-end tables."""
    from e2e.test_metis import FAULTS as METIS
    from e2e.test_sim_checks import EXPECT, GROUPS

    table = {(GROUPS[g][0], f): Expect(c, s, cmd, why) for (g, f), (c, s, cmd, why) in EXPECT.items()}
    table.update({("metis", f): Expect(c, Status(s), cmd) for f, (c, s, cmd, _) in METIS.items()})
    return table


def expected(platform: str, fault: str) -> Optional[Expect]:
    """What `fault` must trip on `platform`: the end-to-end table's row for this platform, or
    else the check and status it trips on every platform with the same kind of environment
    (the fix's spelling differs between platforms, so then only the check and the status)."""
    table = _end_to_end()
    if (platform, fault) in table:
        return table[(platform, fault)]
    kind = catalog().get(platform).environment.kind
    seen = {(e.check, e.status) for (p, f), e in table.items()
            if f == fault and catalog().get(p).environment.kind == kind}
    return Expect(*seen.pop()) if len(seen) == 1 else None


def comparable(text: str) -> object:
    """A recording without what depends on the recording machine's interpreters (paths the
    recorder spells /machine/...): what must match between two recordings of one state."""

    def mask(value: object) -> object:
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return "<machine>" if isinstance(value, str) and "/machine/" in value else value

    return mask(json.loads(text))


def differences(a: object, b: object, where: str = "") -> List[str]:
    """The dotted paths where two parsed recordings differ (what a stale recording lacks)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in (differences(a.get(k), b.get(k), f"{where}.{k}") if k in a and k in b else [f"{where}.{k}"])]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [where or "."]
