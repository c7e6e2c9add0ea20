"""`envdoctor class report` and `envdoctor class accounts`: for instructors, a whole class at once.

Exit codes of `class report`: 0 every expected cell is ok or warn; 1 a student fails, errs
or is missing, or a report could not be used (all listed); 2 bad usage (no reports found,
an unreadable roster). `class accounts`: 0 every account is ready, 1 some are not.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envdoctor.commands.common import err, out, write_text_atomic
from envdoctor.errors import UsageError

if TYPE_CHECKING:  # for the annotations only: the command imports the classroom lazily
    from envdoctor.classroom.aggregate import ClassData
    from envdoctor.classroom.loader import Loaded


def report(inputs: tuple[Path, ...], html: Path | None, csv: Path | None, roster: Path | None,
           junit: Path | None) -> int:
    from envdoctor.classroom import aggregate, loader, roster as roster_mod

    if not inputs:
        raise UsageError("give a --share directory or report files")
    known = _known_platforms()
    the_roster = roster_mod.load(roster, known) if roster else None
    found = loader.survey(list(inputs))
    if not found.files and not found.bad and the_roster is None:
        raise UsageError(f"no reports (*.json) under {', '.join(map(str, inputs))}")
    entries = itertools.chain(found.bad, loader.load_all(found.files))
    data = aggregate.aggregate(entries, the_roster, found.warnings, known)
    if html:
        from envdoctor.reports import class_html

        write_text_atomic(html, class_html.render(data), mode=0o640)
    if csv:
        write_text_atomic(csv, render_csv(data), mode=0o640)
    junit_errors = write_junit(data, junit)[1] if junit else []
    out(summary_text(data, html, csv, junit, junit_errors))
    counts = data.counts()
    return 1 if counts["fail"] or counts["error"] or counts["missing"] or data.bad or junit_errors else 0


def plural(n: int, word: str, many: str = "") -> str:
    """"1 student", "2 students" ("1 family", "2 families" with `many`)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def summary_text(data: ClassData, html: Path | None = None, csv_path: Path | None = None, junit: Path | None = None,
                 junit_errors: list[str] | None = None) -> str:
    """The terminal summary: one line of counts, the top faults with their whole fix, every
    warning about the shared directory, and every unusable input."""
    counts = data.counts()
    lines = [f"class report: {plural(len(data.students), 'student')} x {plural(len(data.platforms), 'platform')} "
             f"({', '.join(data.platforms) or 'none'}) from {plural(data.files, 'file')}: "
             + ", ".join(f"{counts[s]} {s}" for s in ("ok", "warn", "fail", "error", "missing"))
             + (f"; {plural(len(data.bad), 'unreadable report')}" if data.bad else "")]
    for i, f in enumerate(data.faults[:5], 1):
        fix, commands = f.fix
        lines.append(f"  {i}. {f.id} ({f.worst}): {plural(len(f.students), 'student')}; fix: {fix}")
        lines.extend(f"       $ {c}" for c in commands)  # the whole fix: every command, in order
    if len(data.faults) > 5:
        lines.append(f"  ... {plural(len(data.faults) - 5, 'more fault')} on the page")
    for w in data.warnings:
        lines.append(f"  warning: {w}")
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
    for e in junit_errors or ():
        lines.append(f"  junit: {e}")
    for label, path in (("page", html), ("csv", csv_path), ("junit", junit)):
        if path:
            lines.append(f"  {label}: {path}")
    return "\n".join(_one_line(x) for x in lines) + "\n"


def _one_line(text: str) -> str:
    """Names and messages come from files classmates wrote: no control character reaches
    the instructor's terminal (escape sequences, carriage returns that hide a line)."""
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)


CSV_COLUMNS = ("user", "name", "email", "platform", "status", "release", "target", "hostname",
               "ok", "warn", "fail", "skip", "error", "problems", "report", "note", "owner", "warnings")
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...), +cmd|...).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text: formula starts get a leading apostrophe
    (OWASP's advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(data: ClassData) -> str:
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
            row = [user, name, email, p, c.status, r.release if r else "", r.target if r else "",
                   r.hostname if r else "", *(n.get(s, "") for s in ("ok", "warn", "fail", "skip", "error")),
                   " ".join(pr["id"] for pr in r.problems) if r else "", path, note,
                   r.owner if r else "", "; ".join(r.trust) if r else ""]
            w.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


JUNIT_NAME_MAX = 100  # a file name stays far below NAME_MAX (255) with the temporary file's affixes


def junit_file_name(user: str) -> str:
    """`<user>.xml`; an over-long name is cut and made unique with a hash of the whole."""
    from envdoctor.share import safe_name

    name = safe_name(user)
    if len(name.encode("utf-8")) > JUNIT_NAME_MAX:
        digest = hashlib.sha256(user.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = name.encode("utf-8")[:JUNIT_NAME_MAX - 13].decode("utf-8", "ignore") + "-" + digest
    return name + ".xml"


def write_junit(data: ClassData, directory: Path) -> tuple[list[Path], list[str]]:
    """One JUnit file per student (one testsuite per platform), for course CI dashboards.
    A student whose file cannot be written is reported; the others are still written."""
    from envdoctor.reports import junit as junit_mod

    written, errors = [], []
    for user in data.students:
        reports = [r for r in (data.cells[(user, p)].report for p in data.platforms if (user, p) in data.cells)
                   if r is not None]
        dicts = [_with_ownership(r) for r in reports]
        names = [f"envdoctor.{user}.{r.platform}" for r in reports]
        missing = [p for p in data.platforms if (user, p) in data.cells and data.cells[(user, p)].report is None]
        for p in missing:
            c = data.cells[(user, p)]
            why = c.bad.text() if c.bad else "no report received"
            dicts.append({"platform": p, "checks": [{"id": "class.report", "category": "run", "status": "error",
                                                     "why": why, "fix": "run envdoctor check --share again"}]})
            names.append(f"envdoctor.{user}.{p}")
        path = Path(directory) / junit_file_name(user)
        try:
            write_text_atomic(path, junit_mod.render_dicts(dicts, names), mode=0o640)
        except UsageError as exc:
            errors.append(str(exc))
            continue
        written.append(path)
    return written, errors


def _with_ownership(rep: Loaded) -> dict[str, Any]:
    """The report for JUnit, with its ownership warnings (if any) as one more, warning, test case."""
    data = rep.as_report_dict()
    if rep.trust:
        data["checks"] = [*data["checks"], {"id": "class.ownership", "category": "run", "status": "warn",
                                            "why": "; ".join(rep.trust), "fix": "ask the student who wrote it"}]
    return data


def _known_platforms() -> tuple[str, ...]:
    from envdoctor.classroom.aggregate import platform_order  # the catalog's platforms, in class order

    return platform_order()


def accounts(roster: Path, platform: str, release: str | None, group: str | None, partition: str | None,
             json_out: bool) -> int:
    from envdoctor.classroom import accounts as acc, roster as roster_mod
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


