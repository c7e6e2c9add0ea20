"""Reporters are pure renderers: data in, text out. Callers decide where text goes."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Style:
    """How a terminal wants its output: colour (NO_COLOR, non-TTY) and marks (UTF-8 or not)."""

    color: bool = False
    unicode: bool = True

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color and code else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")


def style_for(stream: TextIO | None = None) -> Style:
    stream = stream or sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    color = tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    if os.environ.get("FORCE_COLOR") and "NO_COLOR" not in os.environ:
        color = True
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return Style(color=color, unicode=encoding in ("utf8", "utf_8"))


MARKS = {"ok": ("✓", "ok"), "warn": ("!", "!!"), "fail": ("✗", "XX"), "skip": ("-", "--"), "error": ("‼", "EE")}
COLORS = {"ok": "32", "warn": "33", "fail": "31", "skip": "2", "error": "35"}


def mark(status: str, style: Style) -> str:
    uni, ascii_ = MARKS[status]
    return style.paint(f"[{uni if style.unicode else ascii_}]", COLORS[status])
