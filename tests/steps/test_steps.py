"""The step-kind registry: `dict[str, StepKind]`, one module per kind, the same kinds as the schema."""
from __future__ import annotations

from pathlib import Path

from envdoctor import steps

NOT_KINDS = {"__init__", "base", "envs", "dotfiles"}  # shared helpers, not step kinds


def test_registry_matches_the_schema_and_the_protocol() -> None:
    kinds = steps.registry()
    assert set(kinds) == set(steps.STEP_FIELDS)
    for kind, module in kinds.items():
        for attr in ("is_done", "plan", "apply"):
            assert callable(getattr(module, attr, None)), f"{kind}: {module.__name__} has no {attr}()"
        assert steps.module(kind) is module


def test_every_step_module_is_a_registered_kind() -> None:
    on_disk = {p.stem for p in Path(steps.__file__).parent.glob("*.py")} - NOT_KINDS
    assert {m.__name__.rsplit(".", 1)[-1] for m in steps.registry().values()} == on_disk
