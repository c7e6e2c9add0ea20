"""Check `run.reference` (only with `check --deep`): the shortest reference run succeeds."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, skip
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe


@check("run.reference", "run", "the shortest reference run completes and passes its sanity checks",
       applies=lambda r: bool(r.runs), deep=True)
def reference(probe: Probe, recipe: Recipe) -> Outcome:
    facts = probe.get("deep_run")
    if not facts:
        error = probe.errors.get("deep_run", "")
        return skip("the reference run did not start" + (f": {error}" if error else ""))
    name = facts.get("run")
    evidence = [f"run {name}: record {facts.get('id')}, log {facts.get('log')}",
                f"status {facts.get('status')}, exit status {facts.get('exit_status')}, "
                f"duration {facts.get('duration_s')} s"]
    evidence += [f"{k} = {v}" for k, v in sorted((facts.get("metrics") or {}).items())][:8]
    if facts.get("status") == "ok":
        return ok(*evidence)
    bad = [s["pattern"] for s in facts.get("sanity", []) if not s.get("ok")]
    why = (f"the {name} reference run ended with status {facts.get('status')} "
           f"(exit status {facts.get('exit_status')})")
    if facts.get("note"):
        why += f": {facts['note']}"
    elif bad:
        why += f"; its log lacks {', '.join('/' + b + '/' for b in bad)}"
    tail = [f"| {line}" for line in facts.get("log_tail", [])]
    return fail(why, "read the end of its log (below), then run it in the foreground to watch it; "
                     "`envdoctor explain` names known causes",
                commands=[f"envdoctor run {recipe.platform} {name}", f"envdoctor explain {facts.get('log')}"],
                evidence=evidence + tail)
