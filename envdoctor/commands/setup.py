"""`envdoctor setup` and `envdoctor check --fix`: plan, confirm, apply, then check."""
from __future__ import annotations

import json
import signal
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from envdoctor.commands.common import out, recipe_and_target
from envdoctor.recipe import Recipe, Step
from envdoctor.results import Report, Status
from envdoctor.targets import Target


def setup(platform: str, release: str | None, target: str, sim_root: str | None, plan: bool, yes: bool,
          json_out: bool) -> int:
    recipe, tgt = recipe_and_target(platform, release, target, sim_root)
    if plan:
        return _show_plan(recipe, tgt, None, json_out)
    return _run(recipe, tgt, None, yes=yes, json_out=json_out)


def fix_from_report(report: Report, recipe: Recipe, target: Target, *, dry_run: bool = False, yes: bool = False) -> int:
    """`check --fix`: apply the recipe's steps that repair the failing results."""
    steps = steps_for(report, recipe)
    if not steps:
        failing = [r for r in report.results if r.status in (Status.FAIL, Status.ERROR)]
        if failing:
            out("\nnone of the failing checks is repaired by a setup step; follow their fix lines above\n")
        return report.exit_code
    out("\n")
    if dry_run:
        return max(_show_plan(recipe, target, steps, False, title="check --fix"), report.exit_code)
    return _run(recipe, target, steps, yes=yes, json_out=False, title="check --fix")


def steps_for(report: Report, recipe: Recipe) -> list[Step]:
    """The recipe's steps that repair the failing results, in recipe order: a result names
    the step KIND; for git and edit only the steps whose repo/edit the evidence names
    (all steps of that kind when it names none)."""
    chosen: set[str] = set()
    for result in report.results:
        if result.status not in (Status.FAIL, Status.ERROR) or not result.step:
            continue
        of_kind = [s for s in recipe.steps if s.kind == result.step]
        named = [s for s in of_kind if _named_in(s, recipe, result.evidence + (result.why,))]
        chosen.update(s.id for s in (named or of_kind))
    return [s for s in recipe.steps if s.id in chosen]


def _named_in(step: Step, recipe: Recipe, texts: Sequence[str]) -> bool:
    if step.kind == "git":
        repo = recipe.repo(step.get("repo"))
        keys: tuple[str, ...] = (repo.name, repo.dest, repo.url)
    elif step.kind == "edit":
        edit = next(e for e in recipe.edits if e.name == step.get("edit"))
        keys = (edit.name, edit.file)
    else:
        return False
    return any(k and k in text for k in keys for text in texts)


# --- the flow -------------------------------------------------------------------

def _stamp(data: dict[str, Any]) -> dict[str, Any]:
    from envdoctor.redact import redact_mapping
    from envdoctor.reports.json_report import stamp

    # Redacted last: a plan quotes the values it writes (HTTPS_PROXY with its password).
    return redact_mapping(stamp(data))


def _redact(text: str) -> str:
    from envdoctor.redact import redact_text

    return redact_text(text)


def _show_plan(recipe: Recipe, target: Target, steps: list[Step] | None, json_out: bool, title: str = "setup") -> int:
    from envdoctor import engine
    from envdoctor.reports import style_for

    ctx = engine.make_context(recipe, target)
    plan = engine.make_plan(ctx, steps)
    killed = engine.interrupted_setup(target)
    if json_out:
        data = plan.to_dict()
        data["interrupted_step"] = killed
        out(json.dumps(_stamp(data), indent=2) + "\n")
        return 0
    text = engine.render(plan, style_for(), title)
    if killed:
        text += f"a previous setup was interrupted during step {killed}: setup first removes what it had half made\n"
    out(_redact(text))
    return 0


def _run(recipe: Recipe, target: Target, steps: list[Step] | None, *, yes: bool, json_out: bool,
         title: str = "setup") -> int:
    from envdoctor import engine
    from envdoctor.reports import style_for

    # With --json, stdout carries only the JSON document; people's text goes to stderr.
    human = sys.stderr if json_out else sys.stdout
    with engine.locked(target), _sigterm_interrupts():
        engine.recover(target, human)
        ctx = engine.make_context(recipe, target, yes=True)
        plan = engine.make_plan(ctx, steps)
        human.write(_redact(engine.render(plan, style_for(human), title)))
        human.flush()
        if plan.todo:
            engine.confirm(plan, yes, out=human)
            human.write("\n")
            engine.apply(plan, ctx, out=human)
    report = _final_report(recipe, target)
    if json_out:
        data: dict[str, Any] = plan.to_dict()
        data["schema"] = "envdoctor/setup@1"
        data["report"] = report.to_dict()
        data["exit_code"] = report.exit_code
        out(json.dumps(_stamp(data), indent=2) + "\n")
    else:
        from envdoctor.reports import terminal

        human.write("\n" + terminal.render(report, style_for(human), False, target.describe()))
        human.flush()
    return report.exit_code


def _final_report(recipe: Recipe, target: Target) -> Report:
    from envdoctor.diagnose import CheckOptions, build_report

    # The network is not re-probed after setup (it did not change); the check is left out
    # rather than shown as "skipped (--offline)", which nobody asked for.
    return build_report(recipe, target, CheckOptions(recipe.platform, offline=True, skip=("network.reachable",)))


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """`kill PID` cleans up like Ctrl-C does (a half-made step is removed)."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (embedded use): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
