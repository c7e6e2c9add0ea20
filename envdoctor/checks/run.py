"""Check `run.reference` (only with `check --deep`): the shortest reference run succeeds."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, skip
from envdoctor.collectors.deep_run import DeepRunFacts
from envdoctor.probe import MissingFacts, Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (DeepRunFacts,)


@check("run.reference", "run", "the shortest reference run completes and passes its sanity checks",
       applies=lambda r: bool(r.runs), deep=True)
def reference(probe: Probe, recipe: Recipe) -> Outcome:
    try:
        facts = probe.of(DeepRunFacts)
    except MissingFacts:  # a run that did not start is not a verdict on the environment
        error = probe.errors.get("deep_run", "")
        return skip("the reference run did not start" + (f": {error}" if error else ""))
    name = facts.run
    evidence = [f"run {name}: record {facts.id}, log {facts.log}",
                f"status {facts.status}, exit status {facts.exit_status}, duration {facts.duration_s} s"]
    evidence += [f"{k} = {v}" for k, v in sorted(facts.metrics.items())][:8]
    if facts.status == "ok":
        return ok(*evidence)
    bad = [s.pattern for s in facts.sanity if not s.ok]
    why = f"the {name} reference run ended with status {facts.status} (exit status {facts.exit_status})"
    if facts.note:
        why += f": {facts.note}"
    elif bad:
        why += f"; its log lacks {', '.join('/' + b + '/' for b in bad)}"
    tail = [f"| {line}" for line in facts.log_tail]
    return fail(why, "read the end of its log (below), then run it in the foreground to watch it; "
                     "`envdoctor explain` names known causes",
                commands=[f"envdoctor run {recipe.platform} {name}", f"envdoctor explain {facts.log}"],
                evidence=evidence + tail)
