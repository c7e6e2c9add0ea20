"""The fault knowledge base: from log text to known faults, their causes and fixes.

Public API (used by `envdoctor explain` and by `envdoctor run` when a job fails):

    explain_text(lines, platform=None, source_name=None) -> list[Finding]
    explain_file(path, platform=None) -> list[Finding]        # streams; UsageError on bad input
    explain_stream(binary_or_text_stream, platform=None, source_name=None) -> list[Finding]
    render_findings(findings, style, source="") -> str        # terminal text
    findings_json(findings) -> dict                            # the envdoctor/explain@1 object

Findings come best first; an empty list means nothing known was recognised (not an error).
Known-harmless messages are findings with `harmless=True` and are never shown as the cause.
"""
from __future__ import annotations

import os
from typing import IO, Any, Iterable

from envdoctor.errors import UsageError, closest
from envdoctor.knowledge.kb import KnowledgeBase, default, platforms
from envdoctor.knowledge.matcher import BLOCK, Finding, Matcher
from envdoctor.knowledge.render import render
from envdoctor.reports import Style

__all__ = ["Finding", "platforms", "explain_text", "explain_file", "explain_stream", "render_findings",
           "findings_json", "check_platform", "SCHEMA"]

SCHEMA = "envdoctor/explain@1"
SNIFF = 8192


def check_platform(platform: str | None) -> str | None:
    if platform is None:
        return None
    name = platform.strip().lower()
    known = platforms()
    if name not in known:
        raise UsageError(f"unknown platform {platform!r}; {closest(name, known)}")
    return name


def _matcher(platform: str | None, source_name: str | None, kb: KnowledgeBase | None) -> Matcher:
    return Matcher(kb or default(), check_platform(platform), source_name)


def explain_text(lines: Iterable[str], platform: str | None = None, source_name: str | None = None,
                 kb: KnowledgeBase | None = None) -> list[Finding]:
    """Explain log lines (with or without their newlines); buffered into blocks, never all at once.
    A single string is taken as the whole text, not as a sequence of one-character lines."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    m = _matcher(platform, source_name, kb)
    buf: list[str] = []
    size = 0
    for line in lines:
        if line.endswith("\n"):
            line = line[:-1]
        buf.append(line)
        size += len(line) + 1
        if size >= BLOCK:
            m.feed(("\n".join(buf) + "\n").encode("utf-8", "replace"))
            buf, size = [], 0
    if buf:
        m.feed(("\n".join(buf) + "\n").encode("utf-8", "replace"))
    return m.finish()


def explain_stream(stream: IO[Any], platform: str | None = None, source_name: str | None = None,
                   kb: KnowledgeBase | None = None, sniff: bool = True) -> list[Finding]:
    """Explain a binary (or text) stream in blocks. Binary content (NUL bytes) is refused."""
    m = _matcher(platform, source_name, kb)
    raw = getattr(stream, "buffer", stream)
    first = True
    while True:
        chunk = raw.read(BLOCK)
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "replace")
        if first and sniff and b"\x00" in chunk[:SNIFF]:
            raise UsageError(f"{source_name or 'input'} is a binary file, not a log; nothing to explain")
        first = False
        m.feed(chunk)
    return m.finish()


def explain_file(path: str | os.PathLike[str], platform: str | None = None,
                 kb: KnowledgeBase | None = None) -> list[Finding]:
    """Explain a log file, streamed. Missing, directory, unreadable or binary -> UsageError."""
    name = os.fspath(path)
    check_platform(platform)
    if os.path.isdir(name):
        raise UsageError(f"{name} is a directory; give a log file (or - for standard input)")
    try:
        fh = open(name, "rb")
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read ({exc.strerror or exc})") from None
    try:
        with fh:
            return explain_stream(fh, platform, name, kb)
    except OSError as exc:
        raise UsageError(f"{name}: cannot read ({exc.strerror or exc})") from None


def findings_json(findings: Iterable[Finding]) -> dict[str, Any]:
    from envdoctor.reports.json_report import stamp  # lazy: only `explain --json` needs it

    return stamp({"schema": SCHEMA, "findings": [f.to_dict() for f in findings]})


def render_findings(findings: list[Finding], style: Style | None = None, source: str = "") -> str:
    return render(findings, style or Style(), source)
