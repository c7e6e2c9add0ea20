"""envdoctor.collectors.configs: a recipe's copied and edited YAML configs; typed and round-tripped."""
from __future__ import annotations

import json

import pytest
from envhelpers import Node, recipe

from envdoctor.collectors.configs import ConfigsFacts, DataPath, SetValue, collect_configs, edit_facts
from envdoctor.facts import FactsError
from envdoctor.probe import ProbeContext
from envdoctor.recipe import Edit

SOURCE = "/software/dataset/params.yaml"


def _edit(kind: str = "copy", copy_from: str = SOURCE, set: tuple[tuple[str, str], ...] = (),
          replace: tuple[tuple[str, str], ...] = ()) -> Edit:
    return Edit("params", kind, "~/params.yaml", copy_from, "", set, replace, ("data_dir",))


def test_a_copy_identical_to_its_source(node: Node) -> None:
    text = "train:\n  data_dir: /software/dataset/train\n"
    node.write(SOURCE, text)
    node.write("params.yaml", text)
    node.write("/software/dataset/train/part-0.h5", "data\n")
    f = edit_facts(node.target, _edit())
    assert f.exists and f.same_as_source is True and f.placeholders == ()
    assert f.data_paths == (DataPath("train.data_dir", 2, "/software/dataset/train", True, True, "", False),)


def test_an_edited_copy_with_a_placeholder_and_a_relative_path(node: Node) -> None:
    node.write(SOURCE, "train:\n  data_dir: /software/dataset/train\n")
    node.write("params.yaml", "train:\n  data_dir: ./train\n  out: /path/to/output\n")
    f = edit_facts(node.target, _edit())
    assert f.same_as_source is False
    assert [(p.line, p.match) for p in f.placeholders] == [(3, "/path/to")]
    (dp,) = f.data_paths or ()
    assert dp.value == "./train" and not dp.absolute and not dp.exists


def test_set_values_and_replacements(node: Node) -> None:
    node.write("params.yaml", "model:\n  steps: 10\n  name: bert\n")
    yaml_edit = _edit("yaml", copy_from="", set=(("model.steps", "20"), ("model.lr", "0.1")))
    f = edit_facts(node.target, yaml_edit)
    assert f.set_values == {"model.steps": SetValue(10, 2), "model.lr": SetValue(None, None)}
    replace = _edit("replace", copy_from="", replace=(("name: bert", "name: gpt"), ("steps: 10", "steps: 5")))
    node.write("params.yaml", "model:\n  steps: 10\n  name: gpt\n")
    assert edit_facts(node.target, replace).replaced == {"name: bert": True, "steps: 10": False}


def test_broken_yaml_is_a_fact(node: Node) -> None:
    node.write("params.yaml", "train: [unclosed\n")
    f = edit_facts(node.target, _edit(copy_from=""))
    assert f.yaml_error and f.data_paths is None and f.set_values is None


def test_facts_round_trip_on_a_ready_cerebras_node(sim_node) -> None:  # type: ignore[no-untyped-def]
    target = sim_node("cerebras", ready=True, faults=["data-dir-unedited"])
    facts = collect_configs(ProbeContext(target, recipe("cerebras")))
    wire = json.loads(json.dumps(facts.to_json()))
    assert set(wire) == {e.name for e in recipe("cerebras").edits}
    assert ConfigsFacts.from_json(wire) == facts
    assert any(not dp.absolute for e in facts.edits.values() for dp in e.data_paths or ())
    with pytest.raises(FactsError, match="exists"):
        ConfigsFacts.from_json({"x": {"name": "x", "kind": "copy", "display": "~/x", "exists": "yes"}})
