"""Metric parsers, one per platform log format (`metrics:` in a recipe's run).

    parse_file("cerebras", path) -> Metrics      parse_text("groq", text) -> Metrics
    new("graphcore") -> a Parser to `feed(line)` while a job streams, then `finish()`

Every parser reads in one streaming pass with bounded memory, tolerates interleaved
ranks, partial (cut) logs and noise; a log without metrics gives an empty Metrics.
"""
from __future__ import annotations

import importlib
import os
from importlib.util import find_spec
from typing import TYPE_CHECKING, Iterable

from envdoctor.errors import UsageError, closest
from envdoctor.metrics.base import Metrics, Parser, feed_stream, read_chunks

_MODULES = {
    "cerebras": ("envdoctor.metrics.cerebras", "CerebrasParser"),
    "graphcore": ("envdoctor.metrics.graphcore", "GraphcoreParser"),
    "sambanova": ("envdoctor.metrics.sambanova", "SambanovaParser"),
    "groq": ("envdoctor.metrics.groq", "GroqParser"),
    "metis": ("envdoctor.metrics.metis", "MetisParser"),
}

if TYPE_CHECKING:
    # Imported by name on first use (loading a recipe needs no parser); mypy checks here that
    # each registered class exists and is a Parser, and a test keeps this tuple and _MODULES equal.
    from envdoctor.metrics.cerebras import CerebrasParser
    from envdoctor.metrics.graphcore import GraphcoreParser
    from envdoctor.metrics.groq import GroqParser
    from envdoctor.metrics.metis import MetisParser
    from envdoctor.metrics.sambanova import SambanovaParser

    CHECKED: tuple[type[Parser], ...] = (CerebrasParser, GraphcoreParser, SambanovaParser, GroqParser, MetisParser)

# How to show and compare each metric: (label, unit, +1 when higher is better, -1 lower, 0 neutral).
INFO: dict[str, tuple[str, str, int]] = {
    "samples_per_sec": ("throughput", "samples/s", 1),
    "total_samples_per_sec": ("total throughput (all instances)", "samples/s", 1),
    "instances": ("data-parallel instances", "", 0),
    "throughput": ("throughput", "samples/s", 1),
    "global_rate": ("global rate", "samples/s", 1),
    "rate": ("rate", "samples/s", 1),
    "accuracy": ("accuracy", "", 1),
    "spearman": ("Spearman correlation", "", 1),
    "e2e_ips": ("end-to-end IPS", "inf/s", 1),
    "onchip_ips": ("on-chip IPS", "inf/s", 1),
    "e2e_latency_ms": ("end-to-end latency", "ms", -1),
    "onchip_latency_ms": ("on-chip latency", "ms", -1),
    "loss": ("loss", "", -1),
    "eval_loss": ("eval loss", "", -1),
    "train_seconds": ("training time", "s", -1),
    "duration_seconds": ("duration in the log", "s", -1),
    "train_loop_seconds": ("train loop time", "s", -1),
    "compile_seconds": ("compile time", "s", -1),
    "tokens_per_sec": ("tokens/s", "tokens/s", 1),
    "latency_s": ("latency per request", "s", -1),
    "completion_tokens": ("completion tokens", "", 0),
    "requests": ("requests", "", 0),
}


def names() -> list[str]:
    return sorted(_MODULES)


def missing_module(name: str) -> str:
    """'' when `name`'s registered module exists, else what is wrong (checked when a recipe loads:
    a registered parser whose module is gone must not pass validation and fail mid-run)."""
    module = _MODULES[name][0] if name in _MODULES else ""
    if not module:
        return f"unknown metrics parser {name!r}: {closest(name, names())}"
    return "" if find_spec(module) is not None else f"the metrics parser {name!r} is registered but {module} is missing"


def new(name: str) -> Parser:
    if name not in _MODULES:
        raise UsageError(f"unknown metrics parser {name!r}: {closest(name, names())}")
    module, cls = _MODULES[name]
    return getattr(importlib.import_module(module), cls)()


def parse_lines(name: str, lines: Iterable[str]) -> Metrics:
    parser = new(name)
    for line in lines:
        parser.feed(line)
    return parser.finish()


def parse_text(name: str, text: str) -> Metrics:
    return feed_stream(new(name), [text])


def parse_file(name: str, path: str | os.PathLike[str]) -> Metrics:
    """Parse a log file of any size in one pass (1 MiB chunks, lines capped)."""
    with open(path, "rb") as fh:
        return feed_stream(new(name), read_chunks(fh))


__all__ = ["INFO", "Metrics", "Parser", "names", "new", "parse_file", "parse_lines", "parse_text"]
