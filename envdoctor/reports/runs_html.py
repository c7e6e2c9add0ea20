"""Runs as one self-contained HTML page: a section per example with its comparison table and
one inline SVG chart per metric that varies, against the parameter that changed (a line over
its values when one numeric parameter changed; bars per run otherwise). No external assets.

Charts are drawn to be read: the y axis is fitted to the data (87.5 against 88.75 must not
look flat), x labels and value labels that would collide are thinned or shortened (the
browser test measures every label's box), a wide x range of positive values (batch sizes
8..1024) is drawn on a log scale."""
from __future__ import annotations

import html
import math
from typing import Callable, Sequence

from envdoctor.metrics import INFO
from envdoctor.reports.runs_common import (
    Table,
    build,
    fmt,
    header,
    label,
    metric_header,
    row,
    section_title,
    sections,
    varies,
)
from envdoctor.runs import RunRecord

W, H, LEFT, BOTTOM, TOP, RIGHT = 460, 260, 64, 44, 22, 16
CHAR_PX = 6.6  # width of one character at the 11px chart font (measured in Chromium, with margin)
CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1360px}
.scroll{overflow-x:auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}th{background:#f3f3f3}
td:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}
figcaption{font-size:13px;text-align:center}.ok{color:#1a7f37}.failed,.error,.timeout{color:#b42318}
.cancelled{color:#9a6700}.legend{list-style:none;padding:0;margin:4px 0;text-align:left}svg text{font-size:11px;font-family:system-ui,sans-serif}"""


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 5 x 10^k steps)."""
    span = (hi - lo) or abs(hi) or 1.0
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]


def fitted_range(ys: Sequence[float]) -> tuple[float, float]:
    """The y range around the data, with a margin, never from 0 by default."""
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.05 or 1.0
    return lo - pad, hi + pad


def _fits(positions: Sequence[float], widths: Sequence[float]) -> list[bool]:
    """Keep a label only when it does not run into the previous kept one (centred labels)."""
    keep, right_edge = [], -math.inf
    for x, w in sorted(zip(positions, widths)):
        ok = x - w / 2 >= right_edge + 4
        keep.append(ok)
        if ok:
            right_edge = x + w / 2
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    result = [False] * len(positions)
    for rank, i in enumerate(order):
        result[i] = keep[rank]
    return result


def _text(x: float, y: float, s: str, anchor: str = "middle", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{html.escape(s)}</text>'


def _y_axis(lo: float, hi: float, sy: Callable[[float], float]) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" stroke="#888"/>',
             f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="#888"/>']
    for t in nice_ticks(lo, hi):
        if lo <= t <= hi:
            parts.append(f'<line x1="{LEFT - 3}" y1="{sy(t):.1f}" x2="{W - RIGHT}" y2="{sy(t):.1f}" stroke="#eee"/>')
            parts.append(_text(LEFT - 6, sy(t) + 4, fmt(t), "end", "tick"))
    return parts


def _x_positions(table: Table, runs: Sequence[RunRecord]) -> tuple[list[float], list[str], str, str] | None:
    """Numeric x (one numeric parameter varies): pixel positions, labels, parameter, axis title."""
    if len(table.varying) != 1:
        return None
    name = table.varying[0]
    xs = [_num(r.params.get(name)) for r in runs]
    if any(x is None for x in xs):
        return None
    values = [float(x or 0.0) for x in xs]
    log = min(values) > 0 and max(values) / min(values) >= 8
    scale = [math.log2(v) for v in values] if log else values
    lo, hi = min(scale), max(scale)
    span = (hi - lo) or 1.0
    px = [LEFT + 24 + (v - lo) / span * (W - LEFT - RIGHT - 48) for v in scale]
    return px, [fmt(v) for v in values], name, name + (" (log scale)" if log else "")


def chart(table: Table, metric: str, caption: str = "") -> str:
    """One chart of `metric` (a metric key, or "duration") over the runs that have it."""
    def value(r: RunRecord) -> float | None:
        return r.duration_s if metric == "duration" else r.metrics.get(metric)

    runs = [r for r in table.runs if value(r) is not None]
    if not runs:
        return ""
    ys = [float(value(r) or 0.0) for r in runs]
    lo, hi = fitted_range(ys)

    def sy(y: float) -> float:
        return H - BOTTOM - (y - lo) / (hi - lo) * (H - BOTTOM - TOP)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">', *_y_axis(lo, hi, sy)]
    numeric = _x_positions(table, runs)
    if numeric:
        px, xlabels, name, title = numeric
        pts = sorted(zip(px, ys, xlabels))
        parts.append('<polyline fill="none" stroke="#2f6fdf" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{sy(y):.1f}" for x, y, _ in pts) + '"/>')
        show_x = _fits([p[0] for p in pts], [len(p[2]) * CHAR_PX for p in pts])
        show_v = _fits([p[0] for p in pts], [len(fmt(p[1])) * CHAR_PX for p in pts])
        for (x, y, xl), sx, sv in zip(pts, show_x, show_v):
            parts.append(f'<circle cx="{x:.1f}" cy="{sy(y):.1f}" r="4" fill="#2f6fdf"><title>{html.escape(name)}='
                         f'{html.escape(xl)}: {html.escape(fmt(y))}</title></circle>')
            if sx:
                parts.append(_text(x, H - BOTTOM + 14, xl, cls="xlabel"))
            if sv:
                parts.append(_text(x, sy(y) - 8, fmt(y), cls="value"))
        parts.append(_text((LEFT + W - RIGHT) / 2, H - 8, title, cls="axis"))
    else:
        slot = (W - LEFT - RIGHT) / len(runs)
        room = max(3, int(slot / CHAR_PX) - 1)
        for i, (r, y) in enumerate(zip(runs, ys)):
            x = LEFT + i * slot + slot * 0.15
            top = sy(y)
            name = label(r, table.varying)
            shown = name if len(name) <= room else name[:room - 1] + "…"
            parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{H - BOTTOM - top:.1f}" '
                         f'fill="#2f6fdf"><title>{html.escape(name)}: {html.escape(fmt(y))}</title></rect>')
            value_text = fmt(y) if len(fmt(y)) <= room + 1 else ""
            if value_text:
                parts.append(_text(x + slot * 0.35, top - 4, value_text, cls="value"))
            parts.append(_text(x + slot * 0.35, H - BOTTOM + 14, shown, cls="xlabel"))
    parts.append("</svg>")
    cap = caption or metric_header(metric) + _better(metric)
    return f"<figure>{''.join(parts)}<figcaption>{html.escape(cap)}</figcaption></figure>"


COLOURS = ("#2f6fdf", "#d1495b", "#2a9d8f", "#e9a03b", "#7b52ab", "#5c677d", "#8ab17d", "#b5651d")


def curve_chart(table: Table, key: str = "loss") -> str:
    """Each run's logged `key` values as one line (x: the n-th logged value), with a legend."""
    runs = [r for r in table.runs if len(r.series.get(key, ())) > 1]
    if not runs:
        return ""
    every = [v for r in runs for v in r.series[key]]
    lo, hi = fitted_range(every)
    longest = max(len(r.series[key]) for r in runs)

    def sy(y: float) -> float:
        return H - BOTTOM - (y - lo) / (hi - lo) * (H - BOTTOM - TOP)

    def sx(i: int, n: int) -> float:  # each run spans the axis: its first to its last logged value
        return LEFT + 8 + i / max(n - 1, 1) * (W - LEFT - RIGHT - 16)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">', *_y_axis(lo, hi, sy)]
    for n, r in enumerate(runs):
        curve = r.series[key]
        parts.append(f'<polyline fill="none" stroke="{COLOURS[n % len(COLOURS)]}" stroke-width="1.5" points="'
                     + " ".join(f"{sx(i, len(curve)):.1f},{sy(v):.1f}" for i, v in enumerate(curve)) + '">'
                     f"<title>{html.escape(label(r, table.varying))}</title></polyline>")
    parts.append(_text((LEFT + W - RIGHT) / 2, H - BOTTOM + 14, f"training progress (first to last of up to "
                                                                f"{longest} logged values)", cls="axis"))
    parts.append("</svg>")
    legend = "".join(f'<li><span style="color:{COLOURS[n % len(COLOURS)]}">━━</span> '
                     f"{html.escape(label(r, table.varying))}</li>" for n, r in enumerate(runs))
    return (f'<figure>{"".join(parts)}<figcaption>{html.escape(metric_header(key))} curve of each run '
            f'(lower is better)<ul class="legend">{legend}</ul></figcaption></figure>')


def _better(metric: str) -> str:
    return {1: " (higher is better)", -1: " (lower is better)"}.get(INFO.get(metric, ("", "", 0))[2], "")


def _section(runs: Sequence[RunRecord]) -> list[str]:
    table = build(runs)
    cols = header(table, with_platform=False)
    out = [f"<section><h2>{html.escape(section_title(runs))}</h2>"]
    if table.common:
        out.append("<p>Same in every run: " + ", ".join(f"<code>{html.escape(k)}={html.escape(fmt(v))}</code>"
                                                       for k, v in table.common) + "</p>")
    out.append('<div class="scroll"><table><thead><tr>' + "".join(f"<th>{html.escape(c)}</th>" for c in cols)
               + "</tr></thead><tbody>")
    status_col = cols.index("status")
    for rec in runs:
        cells = row(rec, table, with_platform=False)
        out.append("<tr>" + "".join(
            f'<td class="{html.escape(rec.status)}">{html.escape(c)}</td>' if i == status_col else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(cells)) + "</tr>")
    out.append("</tbody></table></div>")
    charted = [m for m in table.metrics if varies(table, m)]
    if len(runs) > 1:
        out.append("<h3>Metrics" + (f" against {html.escape(', '.join(table.varying))}" if table.varying else "")
                   + '</h3><div class="charts">')
        out.extend(chart(table, m) for m in charted)
        out.append(chart(table, "duration", "wall time [s] (lower is better)"))
        out.append("</div>")
    curves = curve_chart(table)
    if curves:
        out.append(f'<h3>Loss curves</h3><div class="charts">{curves}</div>')
    out.append("</section>")
    return out


def render(records: Sequence[RunRecord], title: str = "envdoctor runs") -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>"]
    if any(r.target == "sim" for r in records):
        out.append("<p><em>Simulated node: the numbers come from small CPU workloads standing in for the "
                   "accelerator.</em></p>")
    for runs in sections(records):
        out.extend(_section(runs))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
