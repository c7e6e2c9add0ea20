"""`envdoctor run`: check, launch a reference run (`envdoctor.runner.execute`: stream it, parse it,
judge it, record it), print what it measured."""
from __future__ import annotations

import sys
from typing import Any

from envdoctor.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from envdoctor.recipe import Recipe, Run
from envdoctor.runner import TAIL, Echo, Outcome, execute
from envdoctor.runs import RunRecord
from envdoctor.targets import Target

# Outcome and execute live in envdoctor.runner; importable here too.
__all__ = ["Outcome", "execute", "failure_help", "preflight", "ratio_text", "run", "summary"]


def run(platform: str, example: str | None, sets: tuple[str, ...], release: str | None, target: str,
        sim_root: str | None, no_check: bool, json_out: bool) -> int:
    from envdoctor.commands.common import out, recipe_and_target
    from envdoctor.launchers.params import parse_sets

    recipe, tgt = recipe_and_target(platform, release, target, sim_root)
    ref = recipe.run(example)
    explicit = parse_sets(ref, sets)  # bad names / types / ranges: exit 2 before anything runs
    # With --json the job's output goes to stderr, so that stdout is one JSON object.
    say = _printer(sys.stderr if json_out else sys.stdout)
    if not no_check:
        failing = preflight(recipe, tgt)
        if failing:
            return _refuse(recipe, tgt, ref, failing, json_out)
    outcome = execute(recipe, tgt, ref, explicit, echo=say, stream=True)
    rec = outcome.record
    if json_out:
        import json

        from envdoctor.reports.json_report import stamp

        out(json.dumps(stamp(rec.to_dict()), indent=1) + "\n")
    else:
        say(summary(rec))
        if rec.status not in ("ok", "cancelled"):
            say(failure_help(rec, recipe))
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if rec.status == "ok" else EXIT_FAILED


def _printer(stream: Any) -> Echo:
    from envdoctor.redact import Redactor

    rd = Redactor()

    def say(text: str) -> None:  # redacted last: the job's output and the record's tail quote secrets
        text = rd.stateful(text)
        if not text:
            return
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()

    return say


# --- before: the environment check -----------------------------------------------

def preflight(recipe: Recipe, target: Target) -> list[Any]:
    """The failing results of `envdoctor check` (offline), [] when the run may go ahead."""
    from envdoctor.diagnose import CheckOptions, build_report
    from envdoctor.results import Status

    report = build_report(recipe, target, CheckOptions(recipe.platform, recipe.release, offline=True))
    return [r for r in report.results if r.status in (Status.FAIL, Status.ERROR)]


def _refuse(recipe: Recipe, target: Target, ref: Run, failing: list[Any], json_out: bool) -> int:
    from envdoctor.commands.common import err, out

    if json_out:
        import json

        from envdoctor.reports.json_report import stamp

        out(json.dumps(stamp({"schema": "envdoctor/run-refused@1", "platform": recipe.platform, "example": ref.name,
                              "checks": [r.to_dict() for r in failing]}), indent=1) + "\n")
        return EXIT_FAILED
    lines = [f"envdoctor: not running {recipe.platform} {ref.name}: the environment check found "
             f"{len(failing)} problem(s) (use --no-check to run anyway)"]
    for r in failing:
        lines.append(f"  ✗ {r.id}: {r.title}")
        if r.why:
            lines.append(f"      why: {r.why}")
        if r.fix:
            lines.append(f"      fix: {r.fix}")
        lines += [f"        $ {c}" for c in r.commands]
    lines.append(f"  `envdoctor setup {recipe.platform}{target.cli_args()}` applies the fixes the recipe knows.")
    err("\n".join(lines))
    return EXIT_FAILED


# --- the run itself ------------------------------------------------------------------

# --- after: what the user sees -------------------------------------------------------

def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}" if abs(v) >= 1e4 else str(int(v))
        return f"{v:.4g}" if abs(v) < 1e3 else f"{v:,.1f}"
    return str(v)


def summary(rec: RunRecord) -> str:
    from envdoctor.metrics import INFO

    lines = ["", f"── {rec.platform} {rec.example}: {rec.status.upper()} ──"]
    status = f"exit status {rec.exit_status}" if rec.exit_status is not None else "no exit status"
    lines.append(f"  {status}; duration {rec.duration_s:.1f} s" + (f"; job {rec.job_id}" if rec.job_id else ""))
    if rec.metrics:
        lines.append("  metrics:")
        for key, value in rec.metrics.items():
            label, unit, _ = INFO.get(key, (key, "", 0))
            lines.append(f"    {key:<22} {_fmt(value)}{(' ' + unit) if unit else ''}")
    else:
        lines.append("  metrics: none found in the log (the job may have failed before printing any)")
    for s in rec.sanity:
        lines.append(f"  sanity {'✓' if s['ok'] else '✗'} /{s['pattern']}/")
    for p in rec.performance:
        if p["value"] is None:
            lines.append(f"  performance: {p['metric']} not measured (reference {_fmt(p['reference'])})")
        else:
            lines.append(f"  performance: {p['metric']} {_fmt(p['value'])} vs reference {_fmt(p['reference'])} "
                         f"({ratio_text(p['ratio'])})")
    if rec.target == "sim":
        lines.append("  (simulated node: the numbers come from small CPU workloads, not the accelerator)")
    lines.append(f"  record {rec.id}; log {rec.log}")
    return "\n".join(lines)


def ratio_text(ratio: float) -> str:
    """0.934 -> "0.93x the reference"; 1.0017 -> "1.00x"; 3630 -> "3,630x" (never 3.63e+03x)."""
    if ratio >= 100:
        return f"{ratio:,.0f}x the reference"
    return f"{ratio:.2f}x the reference" if ratio >= 0.01 else f"{ratio:.2g}x the reference"


def failure_help(rec: RunRecord, recipe: Recipe) -> str:
    lines = []
    if rec.status == "timeout":
        lines.append("  the run did not finish within its time limit and was cancelled")
    if rec.log_tail:
        lines.append("  last lines of the log:")
        lines += [f"    | {t}" for t in rec.log_tail[-TAIL:]]
    findings = explain_log(rec.log, recipe.platform)
    if findings:
        lines.append("  envdoctor explain:")
        lines += ["    " + line for line in findings.rstrip().splitlines()]
    lines.append(f"  full log: {rec.log}")
    return "\n".join(lines)


def explain_log(path: str, platform: str) -> str:
    """The findings of `envdoctor explain` on the log, where that module exists."""
    try:
        from envdoctor.knowledge import explain_text, render_findings
    except ImportError:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(4 << 20)
        try:
            findings = explain_text(text, platform=platform)
        except TypeError:
            findings = explain_text(text)
        return render_findings(findings) if findings else ""
    except Exception:  # noqa: BLE001 - explain is a help, never a reason to fail the run report
        return ""
