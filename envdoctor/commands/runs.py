"""`envdoctor runs list|compare|export`: recorded runs, side by side, in several formats."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from envdoctor.errors import UsageError
from envdoctor.runs import RunRecord

ACTIONS = ("list", "compare", "export")


def runs(action: str, ids: tuple[str, ...], markdown: bool, csv: bool, json_out: bool, html: Path | None,
         platform: str | None) -> int:
    from envdoctor import runs as store
    from envdoctor.commands.common import out, write_text_atomic

    if action not in ACTIONS:
        # `envdoctor runs ID ID` reads as a comparison
        if action and store.select([action], platform):
            ids, action = (action, *ids), "compare"
        else:  # pragma: no cover - select raises first
            raise UsageError(f"unknown action {action!r}: choose list, compare or export")
    if sum((markdown, csv, json_out)) > 1:
        raise UsageError("choose one of --markdown, --csv, --json")
    records = store.select(ids, platform) if ids else _default(action, store.load_all(platform))
    if not records:
        where = f" for {platform}" if platform else ""
        out(f"no recorded runs{where} yet; `envdoctor run PLATFORM` records one\n")
        return 0
    if html:
        from envdoctor.reports import runs_html

        write_text_atomic(html, runs_html.render(records, _title(records)))
    if markdown:
        from envdoctor.reports import runs_markdown

        out(runs_markdown.render(records))
    elif csv:
        from envdoctor.reports import runs_csv

        out(runs_csv.render(records))
    elif json_out:
        from envdoctor.reports import runs_json

        out(runs_json.render(records))
    elif action == "list":
        out(render_list(records))
    elif not html or action == "compare":
        out(render_compare(records))
    if html:
        out(f"wrote {html}\n")
    return 0


def _default(action: str, every: list[RunRecord]) -> list[RunRecord]:
    """list/export: everything. compare: the runs of the example run most recently."""
    if action != "compare" or not every:
        return every
    last = every[-1]
    return [r for r in every if (r.platform, r.example, r.release) == (last.platform, last.example, last.release)]


def _title(records: Sequence[RunRecord]) -> str:
    kinds = sorted({f"{r.platform} {r.example}" for r in records})
    return "envdoctor runs: " + ", ".join(kinds)


def _align(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows) + "\n"


def render_list(records: Sequence[RunRecord]) -> str:
    from envdoctor.reports.runs_common import fmt

    rows = [["id", "platform", "example", "target", "status", "duration (s)", "set", "key metric"]]
    for r in records:
        key = next((p for p in r.performance if p.get("value") is not None), None)
        metric = f"{key['metric']}={fmt(key['value'])}" if key else (
            next((f"{k}={fmt(v)}" for k, v in r.metrics.items()), "—"))
        sets = ",".join(f"{k}={fmt(r.params.get(k))}" for k in r.set_params) or "—"
        rows.append([r.id, r.platform, r.example, r.target, r.status, fmt(r.duration_s), sets, metric])
    return _align(rows)


def render_compare(records: Sequence[RunRecord]) -> str:
    from envdoctor.reports.runs_common import build, fmt, header, mixed, row

    table = build(records)
    many = mixed(records)
    lines = []
    if table.common:
        lines.append("same in every run: " + ", ".join(f"{k}={fmt(v)}" for k, v in table.common))
    if not table.varying and len(records) > 1:
        lines.append("(no parameter differs between these runs)")
    # runs as columns, parameters and metrics as rows: easier to read side by side
    head = header(table, with_platform=many)
    body = [row(r, table, with_platform=many) for r in records]
    grid = [[h] + [b[i] for b in body] for i, h in enumerate(head)]
    return ("\n".join(lines) + "\n" if lines else "") + _align(grid)
