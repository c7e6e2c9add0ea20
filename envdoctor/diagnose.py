"""Diagnosis as a library: probe the target once, run the selected checks, redact the results.

`envdoctor check` is its command-line face; `setup` (to re-check after applying), `run`
(the pre-flight check), `snapshot` (the checks beside the facts) and `check --in-job` use it
from here, below the command layer, so that no command module is imported as a library.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envdoctor.errors import UsageError
from envdoctor.recipe import Recipe, catalog
from envdoctor.redact import redact_text
from envdoctor.results import CheckResult, Report
from envdoctor.targets import Target, open_target

if TYPE_CHECKING:
    from envdoctor.probe import Probe


@dataclass(frozen=True)
class CheckOptions:
    """`envdoctor check`'s options, as the library takes them."""

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


def recipe_and_target(platform: str, release: str | None, target: str, sim_root: str | None) -> tuple[Recipe, Target]:
    recipe = catalog().get(platform, release)
    tgt = open_target(target, platform, sim_root)
    built = tgt.built_for()
    if built and built[1] and release is None:
        # A simulated node is built for one release; check it against that release.
        recipe = catalog().get(platform, built[1])
    return recipe, tgt


def build_report(recipe: Recipe, target: Target, opts: CheckOptions, probe: Probe | None = None) -> Report:
    """Probe the target once and run every selected check against it (against `probe`
    instead, when one was collected already: a bundle's, which its snapshot shares)."""
    return diagnose(recipe, target, opts, probe)[0]


def diagnose(recipe: Recipe, target: Target, opts: CheckOptions, probe: Probe | None = None) -> tuple[Report, Probe]:
    """build_report, and the probe it read (`check --in-job` compares the job's shell with
    the login shell of this same probe instead of starting another)."""
    from envdoctor import checks  # lazy: the checks and collectors: `explain` imports diagnose for redact_result only
    from envdoctor.probe import ProbeContext, collect, names_of  # lazy: with the line above

    started = time.monotonic()
    if opts.only or opts.skip:  # a typo is reported before any process starts
        unknown = checks.unknown_ids(opts.only + opts.skip)
        if unknown:
            raise UsageError(f"unknown check id {unknown[0]!r}; `envdoctor check {opts.platform} -v` lists the ids")
    selected = checks.select(recipe, opts.only, opts.skip, opts.deep)  # imports the checks and collectors
    # Only the collectors the selected checks read: `check --only disk.free` starts no shell,
    # and the snapshot's extra collectors (provenance, pip config, ...) never run for a check.
    only = names_of(checks.needed_facts(selected)) or ("host",)
    found = probe if probe is not None else \
        collect(ProbeContext(target, recipe, offline=opts.offline, deep=opts.deep, details=opts.in_job), only)
    assert found is not None
    results = [redact_result(r) for r in checks.run_all(selected, found, recipe)]
    role = target.node_role(recipe.hosts.login, recipe.hosts.run)
    return Report(recipe.platform, recipe.release, target.name, target.hostname, role, tuple(results),
                  int((time.monotonic() - started) * 1000), user=target.user,
                  extra={"collect_ms": dict(found.timings_ms)}), found


def redact_result(result: CheckResult) -> CheckResult:
    """Evidence quotes dotfiles, env vars and command output: secrets must never reach a
    report (terminal, JSON, JUnit, --share), so every result is redacted where it is made."""
    return replace(result, why=redact_text(result.why), fix=redact_text(result.fix),
                   commands=tuple(map(redact_text, result.commands)),
                   evidence=tuple(map(redact_text, result.evidence)))
