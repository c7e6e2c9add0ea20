"""Runs as a Markdown table (ready for a homework submission)."""
from __future__ import annotations

from typing import Sequence

from envdoctor.reports.runs_common import build, fmt, header, mixed, row
from envdoctor.runs import RunRecord


def _esc(cell: str) -> str:
    return cell.replace("|", "\\|")


def render(records: Sequence[RunRecord], title: str = "") -> str:
    table = build(records)
    many = mixed(records)
    lines = []
    if records:
        first = records[0]
        lines.append(f"### {title or (first.platform + ' ' + first.example if not many else 'envdoctor runs')}")
        lines.append("")
        where = {r.target for r in records}
        lines.append(f"Release {', '.join(sorted({r.release for r in records}))}; "
                     f"target {', '.join(sorted(where))}" + ("  (simulated node: CPU stand-in numbers)" if "sim" in where else ""))
        if table.common:
            lines.append("")
            lines.append("Same in every run: " + ", ".join(f"`{k}={fmt(v)}`" for k, v in table.common))
        lines.append("")
    cols = header(table, with_platform=many)
    lines.append("| " + " | ".join(_esc(c) for c in cols) + " |")
    lines.append("|" + "|".join("---" if i < 2 else "---:" for i, _ in enumerate(cols)) + "|")
    for rec in records:
        lines.append("| " + " | ".join(_esc(c) for c in row(rec, table, with_platform=many)) + " |")
    return "\n".join(lines) + "\n"
