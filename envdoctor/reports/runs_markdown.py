"""Runs as Markdown (ready for a homework submission): one section per example, one column
per quantity with its unit, numbers right-aligned (GitHub-flavoured tables)."""
from __future__ import annotations

from typing import Sequence

from envdoctor.reports.runs_common import build, fmt, header, is_numeric_column, row, section_title, sections
from envdoctor.runs import RunRecord


def _esc(cell: str) -> str:
    return cell.replace("|", "\\|")


def _table(runs: Sequence[RunRecord]) -> list[str]:
    table = build(runs)
    cols = header(table, with_platform=False)
    body = [row(rec, table, with_platform=False) for rec in runs]
    align = ["---:" if is_numeric_column([b[i] for b in body]) else "---" for i in range(len(cols))]
    lines = []
    if table.common:
        lines += ["Same in every run: " + ", ".join(f"`{k}={fmt(v)}`" for k, v in table.common), ""]
    lines.append("| " + " | ".join(_esc(c) for c in cols) + " |")
    lines.append("| " + " | ".join(align) + " |")
    lines += ["| " + " | ".join(_esc(c) for c in b) + " |" for b in body]
    return lines


def render(records: Sequence[RunRecord], title: str = "") -> str:
    lines: list[str] = []
    if title:
        lines += [f"## {title}", ""]
    where = {r.target for r in records}
    if "sim" in where:
        lines += ["Target: simulated node (CPU stand-in numbers, not the accelerator's).", ""]
    for runs in sections(records):
        lines += [f"### {section_title(runs)}", ""] + _table(runs) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
