"""`envdoctor check`: probe once, run the checks that apply, report (the diagnosis itself is
`envdoctor.diagnose`)."""
from __future__ import annotations

from envdoctor.commands.common import out, recipe_and_target, write_text_atomic
from envdoctor.diagnose import CheckOptions, build_report, diagnose, redact_result
from envdoctor.errors import UsageError
from envdoctor.results import Report
from envdoctor.targets import Target

# CheckOptions, build_report and redact_result live in envdoctor.diagnose; importable here too.
__all__ = ["CheckOptions", "build_report", "check", "redact_result"]


_redacted = redact_result  # the name older callers use


def check(opts: CheckOptions) -> int:
    if (opts.dry_run or opts.yes) and not opts.fix:
        raise UsageError("--dry-run and --yes go with --fix")
    recipe, target = recipe_and_target(opts.platform, opts.release, opts.target, opts.sim_root)
    report, probe = diagnose(recipe, target, opts)
    if opts.in_job:
        from envdoctor.injob import add_in_job

        report = add_in_job(report, recipe, target, opts, probe)
    _emit(report, target, opts)
    if opts.share:
        from envdoctor.share import write_shared

        write_shared(report, opts.share)
    if opts.fix:
        from envdoctor.commands.setup import fix_from_report

        return fix_from_report(report, recipe, target, dry_run=opts.dry_run, yes=opts.yes)
    return report.exit_code


def _emit(report: Report, target: Target, opts: CheckOptions) -> None:
    if opts.json_out:
        from envdoctor.reports import json_report

        out(json_report.render(report))
    else:
        from envdoctor.reports import style_for, terminal

        out(terminal.render(report, style_for(), opts.verbose, target.describe()))
    if opts.junit:
        from envdoctor.reports import junit

        write_text_atomic(opts.junit, junit.render(report))
