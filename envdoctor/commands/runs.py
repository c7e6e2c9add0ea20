"""`envdoctor runs list|compare|export`: recorded runs, side by side, in several formats."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from envdoctor.errors import UsageError
from envdoctor.runs import RunRecord

ACTIONS = ("list", "compare", "export")


def runs(action: str, ids: tuple[str, ...], markdown: bool, csv: bool, json_out: bool, html: Path | None,
         platform: str | None, include_all: bool = False) -> int:
    from envdoctor import runs as store
    from envdoctor.commands import common
    from envdoctor.redact import redact_text

    # Redaction is the last step of every output (records are redacted when loaded, too).
    def out(text: str) -> None:
        common.out(redact_text(text))

    def write_text_atomic(path: Path, text: str) -> None:
        common.write_text_atomic(path, redact_text(text))

    if action not in ACTIONS:
        # `envdoctor runs ID ID` reads as a comparison, when ACTION is a run id
        if not any(r.id.startswith(action) for r in store.load_all(platform)):
            raise UsageError(f"unknown action {action!r}: choose list, compare or export "
                             f"(or give run ids; `envdoctor runs list` shows them)")
        ids, action = (action, *ids), "compare"
    if sum((markdown, csv, json_out)) > 1:
        raise UsageError("choose one of --markdown, --csv, --json")
    records = store.select(ids, platform) if ids else _default(action, store.load_all(platform), include_all)
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


def _default(action: str, every: list[RunRecord], include_all: bool) -> list[RunRecord]:
    """list: everything. compare/export: every run of every example (a section each), without
    cancelled runs and `check --deep`'s runs unless --all asks for them."""
    if action == "list" or include_all:
        return every
    return [r for r in every if r.status != "cancelled" and not is_check_run(r)]


def is_check_run(record: RunRecord) -> bool:
    return "check --deep" in record.note


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
    """One block per example; in each, runs as columns and quantities as rows (side by side)."""
    from envdoctor.reports.runs_common import section_title, sections

    return "\n".join(_compare_section(section_title(runs), runs) for runs in sections(records))


def _compare_section(title: str, runs: Sequence[RunRecord]) -> str:
    from envdoctor.reports.runs_common import build, fmt, header, row

    table = build(runs)
    lines = [f"== {title}: {len(runs)} run{'s' if len(runs) != 1 else ''}"]
    if table.common:
        lines.append("same in every run: " + ", ".join(f"{k}={fmt(v)}" for k, v in table.common))
    if not table.varying and len(runs) > 1:
        lines.append("(no parameter differs between these runs)")
    head = header(table, with_platform=False)
    body = [row(r, table, with_platform=False) for r in runs]
    grid = [[h] + [b[i] for b in body] for i, h in enumerate(head)]
    return "\n".join(lines) + "\n" + _align(grid)
