"""The check registry: every check module is imported by name, in report order."""
from __future__ import annotations

from pathlib import Path

from envdoctor import checks


def test_every_check_module_is_registered() -> None:
    """A module under envdoctor/checks/ that `modules()` does not name would drop its checks."""
    on_disk = {p.stem for p in Path(checks.__file__).parent.glob("*.py") if p.stem != "__init__"}
    listed = [m.__name__.rsplit(".", 1)[-1] for m in checks.modules()]
    assert sorted(listed) == sorted(on_disk)
    assert len(listed) == len(set(listed))


def test_registry_is_in_report_order() -> None:
    ids = list(checks.registry())
    areas = [m.__name__.rsplit(".", 1)[-1] for m in checks.modules()]
    rank = {m.__name__: i for i, m in enumerate(checks.modules())}
    reg = checks.registry()
    positions = [rank[reg[i].fn.__module__] for i in ids]
    assert positions == sorted(positions)  # grouped by module, modules in report order
    assert ids[0].startswith("host.") and areas[0] == "host" and areas[-1] == "drift"
    assert {reg[i].fn.__module__ for i in ids} == set(rank)  # every module registers checks
