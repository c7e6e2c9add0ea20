"""Each check module's FACTS names every facts type its checks read: `check` collects only
those, so a check that read an undeclared type would see it missing on a real run."""
from __future__ import annotations

import dataclasses

import pytest
from checks import recorded

from envdoctor import checks
from envdoctor.probe import Probe, names_of


@pytest.mark.parametrize("name", recorded.names())
def test_every_check_gives_the_same_result_on_a_probe_cut_down_to_its_modules_facts(name: str) -> None:
    probe, recipe = recorded.load(name)
    for c in checks.select(recipe):
        wanted = set(names_of(checks.needed_facts([c])))
        cut = dataclasses.replace(probe, facts={k: v for k, v in probe.facts.items() if k in wanted})
        full, alone = checks.run_one(c, probe, recipe), checks.run_one(c, cut, recipe)
        assert (alone.status, alone.why, alone.evidence) == (full.status, full.why, full.evidence), c.id


def test_selected_checks_name_only_collectors_that_exist_and_skip_the_snapshots() -> None:
    probe, recipe = recorded.load(recorded.names()[0])
    everything = set(names_of(checks.needed_facts(checks.select(recipe))))
    assert {"shells", "python_env", "host"} <= everything
    assert not everything & {"provenance", "pip_config", "dotfiles", "session"}  # snapshot-only facts
    assert set(names_of(checks.needed_facts(checks.select(recipe, only=("disk.free",))))) == {"disk"}


def test_a_check_module_without_facts_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import envdoctor.checks.disk as disk

    monkeypatch.delattr(disk, "FACTS")
    with pytest.raises(TypeError, match="envdoctor.checks.disk declares no FACTS"):
        checks.needed_facts(checks.select(recorded.load(recorded.names()[0])[1], only=("disk.free",)))


def test_a_probe_without_facts_for_a_check_makes_it_an_error_not_a_pass() -> None:
    probe, recipe = recorded.load(recorded.names()[0])
    disk = checks.registry()["disk.free"]
    result = checks.run_one(disk, Probe(probe.target, probe.platform, probe.release, {}), recipe)
    assert result.status.value == "error" and "disk" in result.why
