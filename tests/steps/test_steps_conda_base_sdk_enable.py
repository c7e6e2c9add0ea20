"""conda-base and sdk-enable: repaired in a real login shell of a simulated Graphcore node."""
from __future__ import annotations

import pytest

from envdoctor import engine, steps
from envdoctor.recipe import catalog
from envdoctor.steps.base import NoProgress

pytestmark = pytest.mark.slow


def _step(recipe, kind):
    return next(s for s in recipe.steps if s.kind == kind)


@pytest.mark.parametrize("fault, kind", [("conda-base-active", "conda-base"), ("sdk-not-enabled", "sdk-enable")])
def test_step_repairs_its_fault(sim_node, fault: str, kind: str) -> None:
    target = sim_node("graphcore", faults=[fault])
    recipe = catalog().get("graphcore")
    ctx = engine.make_context(recipe, target, yes=True)
    module, step = steps.module(kind), _step(recipe, kind)
    assert module.is_done(step, ctx)  # the fault is seen through a fresh login shell
    shown = "\n".join(a.text for a in module.plan(step, ctx))
    if kind == "conda-base":
        assert shown == "~/miniconda3/bin/conda config --set auto_activate_base false"
    else:
        # The diff shows the file's real content: on a simulated node /software lives under its root.
        assert f"+source {target.path('/software/graphcore/poplar_sdk/3.3.0/enable')}" in shown
        assert "--- ~/.bashrc" in shown
    module.apply(step, ctx, NoProgress())
    assert module.is_done(step, ctx) is None
    assert module.plan(step, ctx) == [] or kind == "conda-base"


def test_steps_are_done_on_a_ready_node(sim_node) -> None:
    target = sim_node("graphcore", ready=True)
    recipe = catalog().get("graphcore")
    ctx = engine.make_context(recipe, target)
    for kind in ("conda-base", "sdk-enable"):
        assert steps.module(kind).is_done(_step(recipe, kind), ctx) is None
