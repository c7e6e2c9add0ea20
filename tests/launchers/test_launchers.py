"""Launchers are listed once (envdoctor.launchers.LAUNCHERS); a recipe's `launcher:` and
`metrics:` are validated against the registries when it loads."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor import launchers, metrics
from envdoctor.errors import RecipeError, UsageError
from envdoctor.recipe import LAUNCHERS, load


def test_recipe_uses_the_one_launcher_list() -> None:
    assert tuple(launchers.LAUNCHERS) == LAUNCHERS
    for name in LAUNCHERS:
        module = launchers.get(name)
        assert name == module.NAME and callable(module.prepare) and callable(module.start)
    with pytest.raises(UsageError, match="did you mean slurm"):
        launchers.get("slurmm")


def test_unknown_launcher_is_a_load_error(toy) -> None:
    with pytest.raises(RecipeError) as info:
        toy("slurmm")
    assert info.value.key == "runs.job.launcher" and "not one of direct, slurm" in str(info.value)


def test_unknown_metrics_parser_is_a_load_error(toy, tmp_path: Path) -> None:
    toy("direct")  # writes tmp_path/toy.yaml
    path = tmp_path / "toy.yaml"
    path.write_text(path.read_text().replace("metrics: graphcore", "metrics: graphcor"))
    with pytest.raises(RecipeError) as info:
        load(path)
    assert info.value.key == "runs.job.metrics" and info.value.line == 15
    assert "'graphcor' is not one of " + ", ".join(metrics.names()) in str(info.value)
