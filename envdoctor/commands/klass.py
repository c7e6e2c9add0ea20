"""`envdoctor class report` and `envdoctor class accounts`: for instructors, a whole class at once.

Exit codes of `class report`: 0 every expected cell is ok or warn; 1 a student fails, errs
or is missing, or a report could not be used (all listed); 2 bad usage (no reports found,
an unreadable roster). `class accounts`: 0 every account is ready, 1 some are not.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from envdoctor.commands.common import err, out, write_text_atomic
from envdoctor.errors import UsageError


def report(inputs: tuple[Path, ...], html: Path | None, csv: Path | None, roster: Path | None,
           junit: Path | None) -> int:
    from envdoctor.classroom import aggregate, loader
    from envdoctor.classroom import roster as roster_mod

    if not inputs:
        raise UsageError("give a --share directory or report files")
    the_roster = roster_mod.load(roster, _known_platforms()) if roster else None
    files = loader.discover(list(inputs))
    if not files and the_roster is None:
        raise UsageError(f"no reports (*.json) under {', '.join(map(str, inputs))}")
    data = aggregate.aggregate(loader.load_all(files), the_roster)
    if html:
        from envdoctor.reports import class_html

        write_text_atomic(html, class_html.render(data), mode=0o640)
    if csv:
        write_text_atomic(csv, render_csv(data), mode=0o640)
    if junit:
        write_junit(data, junit)
    out(summary_text(data, html, csv, junit))
    counts = data.counts()
    return 1 if counts["fail"] or counts["error"] or counts["missing"] or data.bad else 0


def summary_text(data, html: Path | None = None, csv_path: Path | None = None, junit: Path | None = None) -> str:
    """The terminal summary: one line of counts, the top faults, and every unusable input."""
    counts = data.counts()
    lines = [f"class report: {len(data.students)} students x {len(data.platforms)} platforms "
             f"({', '.join(data.platforms) or 'none'}) from {data.files} files: "
             + ", ".join(f"{counts[s]} {s}" for s in ("ok", "warn", "fail", "error", "missing"))
             + (f"; {len(data.bad)} unreadable reports" if data.bad else "")]
    for i, f in enumerate(data.faults[:5], 1):
        fix, commands = f.fix
        lines.append(f"  {i}. {f.id} ({f.worst}): {len(f.students)} students; fix: {fix}"
                     + (f"  $ {commands[0]}" if commands else ""))
    if len(data.faults) > 5:
        lines.append(f"  ... {len(data.faults) - 5} more faults on the page")
    for b in data.bad:
        lines.append(f"  unusable report {b.text()}")
    if data.missing:
        lines.append(f"  no report from: {', '.join(data.missing)}")
    if data.not_on_roster:
        lines.append(f"  not on the roster: {', '.join(data.not_on_roster)}")
    for p in data.roster_problems:
        lines.append(f"  {p.text()}")
    for d in data.duplicates:
        lines.append(f"  {d}")
    for label, path in (("page", html), ("csv", csv_path), ("junit", junit)):
        if path:
            lines.append(f"  {label}: {path}")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("user", "name", "email", "platform", "status", "release", "target", "hostname",
               "ok", "warn", "fail", "skip", "error", "problems", "report", "note")


def render_csv(data) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for user in data.students:
        name, email = data.row(user)
        for p in data.platforms:
            c = data.cells.get((user, p))
            if c is None:
                continue
            r = c.report
            n = r.counts if r else {}
            note = c.note or ("; ".join(r.notes) if r else "")
            path = r.path if r else (c.bad.path if c.bad else "")
            w.writerow([user, name, email, p, c.status, r.release if r else "", r.target if r else "",
                        r.hostname if r else "", *(n.get(s, "") for s in ("ok", "warn", "fail", "skip", "error")),
                        " ".join(pr["id"] for pr in r.problems) if r else "", path, note])
    return buf.getvalue()


def write_junit(data, directory: Path) -> list[Path]:
    """One JUnit file per student (one testsuite per platform), for course CI dashboards."""
    from envdoctor.reports import junit as junit_mod
    from envdoctor.share import safe_name

    written = []
    for user in data.students:
        reports = [data.cells[(user, p)].report for p in data.platforms
                   if (user, p) in data.cells and data.cells[(user, p)].report is not None]
        dicts = [r.as_report_dict() for r in reports]  # type: ignore[union-attr]
        names = [f"envdoctor.{user}.{r.platform}" for r in reports]  # type: ignore[union-attr]
        missing = [p for p in data.platforms if (user, p) in data.cells and data.cells[(user, p)].report is None]
        for p in missing:
            c = data.cells[(user, p)]
            why = c.bad.text() if c.bad else "no report received"
            dicts.append({"platform": p, "checks": [{"id": "class.report", "category": "run", "status": "error",
                                                     "why": why, "fix": "run envdoctor check --share again"}]})
            names.append(f"envdoctor.{user}.{p}")
        path = Path(directory) / f"{safe_name(user)}.xml"
        write_text_atomic(path, junit_mod.render_dicts(dicts, names), mode=0o640)
        written.append(path)
    return written


def _known_platforms() -> tuple[str, ...]:
    try:
        from envdoctor.recipe import catalog

        return tuple(catalog().platforms())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a roster check must not depend on the catalog's API
        return ("cerebras", "sambanova", "graphcore", "groq")


def accounts(roster: Path, platform: str, release: str | None, group: str | None, partition: str | None,
             json_out: bool) -> int:
    from envdoctor.classroom import accounts as acc
    from envdoctor.classroom import roster as roster_mod
    from envdoctor.recipe import catalog

    recipe = catalog().get(platform, release)
    the_roster = roster_mod.load(roster, _known_platforms())
    results = acc.check_accounts(the_roster, recipe, group=group, partition=partition)
    if json_out:
        out(acc.render_json(results, the_roster, recipe, group, partition))
    else:
        from envdoctor.reports import style_for

        out(acc.render_table(results, the_roster, style_for()))
    if not the_roster.rows:
        err("envdoctor: the roster lists no usable user")
        return 2
    return 1 if any(a.failed for a in results) else 0


