"""Every check on recorded probes of simulated nodes (tests/checks/probes/, scripts/record-probes):
a ready node is healthy, each fault trips the check the end-to-end tests expect for it, a fresh
node fails where setup has not been run, and no check crashes. Milliseconds per node; the
end-to-end tests (tests/e2e/test_sim_checks.py, test_metis.py) build the nodes for real."""
from __future__ import annotations

import pytest
from checks.recorded import BASES, PROBES, expected, load, names, results, split

from envdoctor.probe import kinds
from envdoctor.results import Status

NAMES = names()
FAULTED = [n for n in NAMES if split(n)[1] not in BASES]
BAD = (Status.FAIL, Status.WARN, Status.ERROR)


def test_there_are_recordings_of_every_platform() -> None:
    assert {split(n)[0] for n in NAMES} == {"cerebras", "sambanova", "graphcore", "groq", "metis"}


@pytest.mark.parametrize("name", NAMES)
def test_a_recording_loads_into_the_facts_types_and_writes_back_the_same(name: str) -> None:
    probe, recipe = load(name)
    assert not probe.errors, probe.errors  # every collector ran on the node it was recorded from
    typed = {k: kind for k, kind in kinds().items() if probe.facts.get(k) is not None}
    for collector, kind in typed.items():
        assert isinstance(probe.facts[collector], kind), (collector, type(probe.facts[collector]))
    text = (PROBES / f"{name}.json").read_text(encoding="utf-8")
    assert probe.to_json() + "\n" == text  # the JSON round trip loses nothing, adds nothing


@pytest.mark.parametrize("name", NAMES)
def test_no_check_crashes_on_a_recording(name: str) -> None:
    errors = {i: r.why for i, r in results(name).items() if r.status == Status.ERROR}
    assert not errors, errors


@pytest.mark.parametrize("platform", sorted({split(n)[0] for n in NAMES if split(n)[1] == "ready"}))
def test_a_ready_node_is_healthy(platform: str) -> None:
    found = results(f"{platform}-ready")
    bad = {i: (r.status.value, r.why) for i, r in found.items() if r.status in BAD}
    assert not bad, bad
    assert sum(r.status == Status.OK for r in found.values()) >= 10, found  # checks ran, not only skipped


@pytest.mark.parametrize("name", FAULTED)
def test_each_fault_trips_its_check_with_its_fix(name: str) -> None:
    platform, fault = split(name)
    want = expected(platform, fault)
    assert want is not None, f"no end-to-end expectation for {fault} on {platform}: add it to tests/e2e"
    r = results(name)[want.check]
    assert r.status == want.status, (r.status, r.why)
    if want.command is not None:
        assert any(want.command in c for c in r.commands), r.commands
    if want.phrase is not None:
        assert want.phrase in r.why, r.why


@pytest.mark.parametrize("name", FAULTED)
def test_a_fault_changes_only_what_it_is_about(name: str) -> None:
    """What the ready node passes and the faulted one does not is the fault's check, or
    follows from it; nothing that was healthy turns to an error."""
    platform, fault = split(name)
    ready, faulted = results(f"{platform}-ready"), results(name)
    worse = {i for i, r in faulted.items() if r.status in BAD and ready[i].status not in BAD}
    want = expected(platform, fault)
    assert want is not None and want.check in worse, (want, worse)
    assert all(faulted[i].fix or faulted[i].status == Status.ERROR for i in worse), worse
    assert not any(faulted[i].status == Status.ERROR for i in worse), worse


@pytest.mark.parametrize("platform", sorted({split(n)[0] for n in NAMES if split(n)[1] == "fresh"}))
def test_what_a_fresh_node_lacks_is_what_setup_does(platform: str) -> None:
    """A new account fails where the course's setup has not run yet, and only there: each
    failure names a step kind of the recipe (`setup` repairs it) and a fix, and passes on the
    ready node."""
    found, ready = results(f"{platform}-fresh"), results(f"{platform}-ready")
    _, recipe = load(f"{platform}-fresh")
    bad = {i: r for i, r in found.items() if r.status in BAD}
    assert any(r.status == Status.FAIL for r in bad.values()), found
    kinds_ = {s.kind for s in recipe.steps}
    assert {i: r.step for i, r in bad.items() if r.step not in kinds_} == {}
    assert all(r.fix for r in bad.values()), [i for i, r in bad.items() if not r.fix]
    assert all(ready[i].status == Status.OK for i in bad), {i: ready[i].status for i in bad}
