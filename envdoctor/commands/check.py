"""`envdoctor check`: probe once, run the checks that apply, report."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from envdoctor.commands.common import out, recipe_and_target, write_text_atomic
from envdoctor.errors import UsageError
from envdoctor.recipe import Recipe
from envdoctor.results import CheckResult, Report
from envdoctor.targets import Target


@dataclass(frozen=True)
class CheckOptions:
    platform: str
    release: str | None = None
    target: str = "real"
    sim_root: str | None = None
    json_out: bool = False
    junit: Path | None = None
    offline: bool = False
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    verbose: bool = False
    fix: bool = False
    dry_run: bool = False
    yes: bool = False
    deep: bool = False
    in_job: bool = False
    nodes: str | None = None
    share: Path | None = None


def build_report(recipe: Recipe, target: Target, opts: CheckOptions) -> Report:
    """Probe the target once and run every selected check against it."""
    from envdoctor import checks
    from envdoctor.probe import ProbeContext, collect

    started = time.monotonic()
    unknown = checks.unknown_ids(opts.only + opts.skip)
    if unknown:
        raise UsageError(f"unknown check id {unknown[0]!r}; `envdoctor check {opts.platform} -v` lists the ids")
    selected = checks.select(recipe, opts.only, opts.skip, opts.deep)
    probe = collect(ProbeContext(target, recipe, offline=opts.offline, deep=opts.deep))
    results = [redact_result(r) for r in checks.run_all(selected, probe, recipe)]
    role = target.node_role(recipe.hosts.login, recipe.hosts.run)
    return Report(recipe.platform, recipe.release, target.name, target.hostname, role, tuple(results),
                  int((time.monotonic() - started) * 1000), user=target.user,
                  extra={"collect_ms": dict(probe.timings_ms)})


def redact_result(result: CheckResult) -> CheckResult:
    """Evidence quotes dotfiles, env vars and command output: secrets must never reach a
    report (terminal, JSON, JUnit, --share), so every result is redacted where it is made."""
    from dataclasses import replace

    from envdoctor.redact import redact_text

    return replace(result, why=redact_text(result.why), fix=redact_text(result.fix),
                   commands=tuple(map(redact_text, result.commands)),
                   evidence=tuple(map(redact_text, result.evidence)))


_redacted = redact_result  # the name older callers use


def check(opts: CheckOptions) -> int:
    if (opts.dry_run or opts.yes) and not opts.fix:
        raise UsageError("--dry-run and --yes go with --fix")
    recipe, target = recipe_and_target(opts.platform, opts.release, opts.target, opts.sim_root)
    report = build_report(recipe, target, opts)
    if opts.in_job:
        from envdoctor.injob import add_in_job

        report = add_in_job(report, recipe, target, opts)
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
