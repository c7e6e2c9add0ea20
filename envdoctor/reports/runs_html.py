"""Runs as one self-contained HTML page: the comparison table, and one inline SVG chart per
metric against the parameter that changed (a line over its values when one numeric
parameter changed; bars per run otherwise). No external assets."""
from __future__ import annotations

import html
from typing import Sequence

from envdoctor.metrics import INFO
from envdoctor.reports.runs_common import Table, build, fmt, header, label, mixed, row
from envdoctor.runs import RunRecord

W, H, PAD = 420, 240, 48
CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:13px;text-align:center}
.ok{color:#1a7f37}.failed,.error,.timeout{color:#b42318}.cancelled{color:#9a6700}svg text{font-size:11px}"""


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def chart(table: Table, metric: str, caption: str = "") -> str:
    """One chart of `metric` (a metric key, or "duration") over the runs that have it."""
    def value(r: RunRecord) -> float | None:
        return r.duration_s if metric == "duration" else r.metrics.get(metric)

    runs = [r for r in table.runs if value(r) is not None]
    if not runs:
        return ""
    ys = [float(value(r) or 0.0) for r in runs]
    numeric_x = len(table.varying) == 1 and all(_num(r.params.get(table.varying[0])) is not None for r in runs)
    lo, hi = min(0.0, min(ys)), max(ys) or 1.0
    span = (hi - lo) or 1.0

    def sy(y: float) -> float:
        return H - PAD - (y - lo) / span * (H - 2 * PAD)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" stroke="#888"/>',
             f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>',
             f'<text x="4" y="{sy(hi) + 4:.1f}">{html.escape(fmt(hi))}</text>',
             f'<text x="4" y="{sy(lo) + 4:.1f}">{html.escape(fmt(lo))}</text>']
    if numeric_x:
        xname = table.varying[0]
        xs = [float(_num(r.params[xname]) or 0.0) for r in runs]
        xlo, xhi = min(xs), max(xs)
        xspan = (xhi - xlo) or 1.0
        pts = sorted(zip(xs, ys))
        coords = [(PAD + 10 + (x - xlo) / xspan * (W - 2 * PAD - 10), sy(y)) for x, y in pts]
        parts.append('<polyline fill="none" stroke="#2f6fdf" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), (vx, vy) in zip(coords, pts):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#2f6fdf"><title>{html.escape(xname)}='
                         f'{html.escape(fmt(vx))}: {html.escape(fmt(vy))}</title></circle>')
            parts.append(f'<text x="{x:.1f}" y="{H - PAD + 14}" text-anchor="middle">{html.escape(fmt(vx))}</text>')
            parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{html.escape(fmt(vy))}</text>')
        parts.append(f'<text x="{W / 2:.0f}" y="{H - 8}" text-anchor="middle">{html.escape(xname)}</text>')
    else:
        n = len(runs)
        slot = (W - PAD - 10) / n
        for i, (r, y) in enumerate(zip(runs, ys)):
            x = PAD + i * slot + slot * 0.15
            top = sy(y)
            parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{H - PAD - top:.1f}" '
                         f'fill="#2f6fdf"><title>{html.escape(label(r, table.varying))}: {html.escape(fmt(y))}</title></rect>')
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{top - 4:.1f}" text-anchor="middle">{html.escape(fmt(y))}</text>')
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD + 14}" text-anchor="middle">'
                         f'{html.escape(label(r, table.varying)[:24])}</text>')
    parts.append("</svg>")
    name, unit, better = INFO.get(metric, (metric, "", 0))
    hint = {1: " (higher is better)", -1: " (lower is better)"}.get(better, "")
    cap = caption or f"{name}{' [' + unit + ']' if unit else ''}{hint}"
    return f"<figure>{''.join(parts)}<figcaption>{html.escape(cap)}</figcaption></figure>"


def render(records: Sequence[RunRecord], title: str = "envdoctor runs") -> str:
    table = build(records)
    many = mixed(records)
    cols = header(table, with_platform=many)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>"]
    if table.common:
        out.append("<p>Same in every run: " + ", ".join(f"<code>{html.escape(k)}={html.escape(fmt(v))}</code>"
                                                       for k, v in table.common) + "</p>")
    if any(r.target == "sim" for r in records):
        out.append("<p><em>Simulated node: the numbers come from small CPU workloads standing in for the "
                   "accelerator.</em></p>")
    out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr></thead><tbody>")
    for rec in records:
        cells = row(rec, table, with_platform=many)
        status_col = cols.index("status")
        out.append("<tr>" + "".join(
            f'<td class="{html.escape(rec.status)}">{html.escape(c)}</td>' if i == status_col else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(cells)) + "</tr>")
    out.append("</tbody></table>")
    out.append('<h2>Metrics' + (f" against {html.escape(', '.join(table.varying))}" if table.varying else "")
               + '</h2><div class="charts">')
    for metric in table.metrics:
        out.append(chart(table, metric))
    out.append(chart(table, "duration", "run duration [s] (lower is better)"))
    out.append("</div></body></html>")
    return "\n".join(out) + "\n"
