"""The check report for people: one line per check, and for every problem why, fix and commands."""
from __future__ import annotations

from envdoctor.fixorder import next_steps
from envdoctor.reports import Style, mark
from envdoctor.results import CheckResult, Report, Status


def render(report: Report, style: Style, verbose: bool = False, target_text: str = "") -> str:
    lines = [_header(report, style, target_text)]
    for result in report.results:
        lines.extend(_result_lines(result, style, verbose))
    lines.extend(_next_steps(report, style))
    if verbose and report.extra.get("collect_ms"):
        # The checks are pure functions of facts collected once, concurrently: the time is here.
        spent = sorted(report.extra["collect_ms"].items(), key=lambda kv: -kv[1])
        lines += ["", style.dim("facts collected concurrently: " + ", ".join(f"{k} {v} ms" for k, v in spent))]
    lines.append("")
    lines.append(_footer(report, style))
    return "\n".join(lines) + "\n"


def _next_steps(report: Report, style: Style) -> list[str]:
    """With two or more problems to fix: every command once, in the order that works."""
    steps = next_steps(report.results)
    if len(steps) < 2:
        return []
    lines = ["", style.bold("to fix, in this order:")]
    for n, step in enumerate(steps, 1):
        lines.append(f"  {n}. {step.title}" + style.dim(f"  {step.check_id}"))
        lines.extend("      " + style.paint(f"$ {c}" if not c.startswith("#") else c, "36") for c in step.commands)
    return lines


def _header(report: Report, style: Style, target_text: str) -> str:
    where = target_text or f"{report.hostname} ({report.node_role} node)"
    return style.bold(f"envdoctor check {report.platform} {report.release}") + style.dim(f"  on {where}")


def _result_lines(r: CheckResult, style: Style, verbose: bool) -> list[str]:
    timing = style.dim(f" ({r.duration_ms} ms)" if r.duration_ms else " (<1 ms)") if verbose else ""
    lines = [f"{mark(r.status.value, style)} {r.title}{style.dim('  ' + r.id)}{timing}"]
    if r.status == Status.SKIP and (verbose or r.why) and r.why:
        lines.append(style.dim(f"    skipped: {r.why}"))
    if r.status.is_problem:
        lines.extend(_wrap("why: ", r.why))
        lines.extend(_wrap("fix: ", r.fix))
        for cmd in r.commands:
            lines.append("      " + style.paint(f"$ {cmd}" if not cmd.startswith("#") else cmd, "36"))
    if r.evidence and (verbose or r.status.is_problem):
        shown = r.evidence if verbose else r.evidence[:4]
        lines.extend(style.dim(f"    · {e}") for e in shown)
        if len(r.evidence) > len(shown):
            lines.append(style.dim(f"    · … {len(r.evidence) - len(shown)} more (-v shows all)"))
    return lines


def _wrap(label: str, text: str) -> list[str]:
    out = []
    for i, part in enumerate(text.splitlines() or [""]):
        out.append(("    " + label if i == 0 else "         ") + part)
    return out


def _footer(report: Report, style: Style) -> str:
    counts = report.summary()
    parts = [f"{counts[s.value]} {s.value}" for s in Status if counts[s.value]]
    verdict = "healthy" if report.exit_code == 0 else "problems found"
    if report.exit_code == 0 and counts["warn"]:
        verdict = "healthy, with warnings"
    color = "32" if report.exit_code == 0 else "31"
    return style.paint(f"{verdict}: ", color) + ", ".join(parts) + style.dim(f"  in {report.duration_ms} ms")
