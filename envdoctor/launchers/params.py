"""`--set KEY=VALUE`: validated against a run's parameters before anything is submitted."""
from __future__ import annotations

import math
from typing import Any, Iterable

from envdoctor.errors import UsageError, closest
from envdoctor.recipe import Param, Run

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def convert(p: Param, text: str) -> Any:
    """The typed value of `text` for parameter `p`, or a UsageError saying what is wrong."""
    text = text.strip()
    try:
        if p.type == "int":
            value: Any = int(text, 10)
        elif p.type == "float":
            value = float(text)
        elif p.type == "bool":
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError
            value = text.lower() in _TRUE
        else:
            value = text
    except ValueError:
        kind = {"int": "an integer", "float": "a number", "bool": "true or false"}[p.type]
        raise UsageError(f"{p.name} must be {kind}, got {text!r}") from None
    if p.type == "float" and not math.isfinite(value):  # nan passes every comparison
        raise UsageError(f"{p.name} must be a finite number, got {text!r}")
    if p.type in ("int", "float"):
        if p.min is not None and value < p.min:
            raise UsageError(f"{p.name}={text} is below the minimum {_num(p.min)}")
        if p.max is not None and value > p.max:
            raise UsageError(f"{p.name}={text} is above the maximum {_num(p.max)}")
    if p.choices and str(value) not in p.choices:
        raise UsageError(f"{p.name}={text} is not one of {', '.join(p.choices)}")
    return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_sets(run: Run, sets: Iterable[str]) -> dict[str, Any]:
    """{name: typed value} for the `--set` options; unknown names list the valid ones."""
    chosen: dict[str, Any] = {}
    names = [p.name for p in run.params]
    for item in sets:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        match = next((p for p in run.params if p.name == key or p.name == key.replace("-", "_")), None)
        if match is None:
            valid = ", ".join(names) if names else "none"
            hint = closest(key, names) if names else ""
            raise UsageError(f"{run.name} has no parameter {key!r}" + (f" ({hint})" if hint.startswith("did") else "")
                             + f"; valid parameters: {valid}")
        if match.name in chosen:
            raise UsageError(f"--set {match.name} is given twice; give each parameter once")
        chosen[match.name] = convert(match, text)
    return chosen


def describe(run: Run) -> list[str]:
    """One line per parameter: name, type, default, range, what it maps to."""
    lines = []
    for p in run.params:
        rng = ""
        if p.choices:
            rng = " one of " + "/".join(p.choices)
        elif p.min is not None or p.max is not None:
            rng = f" in [{_num(p.min) if p.min is not None else ''}, {_num(p.max) if p.max is not None else ''}]"
        to = p.flag or (f"config {p.config_key}" if p.config_key else "") or (f"${p.env}" if p.env else "") \
            or (f"the script (a per-run copy): {p.script}" if p.script else "") \
            or f"scheduler {p.scheduler_flag}"
        lines.append(f"{p.name} ({p.type}, default {p.default}{rng}) -> {to}")
    return lines
