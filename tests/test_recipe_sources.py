"""Every recipe fact names its source: `recipe validate` reports a fact without one, and a
citation that names an unknown source or no commit is an error with file, line and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.errors import RecipeError
from envdoctor.recipe import RECIPE_DIR, load

CITED = """\
schema: 1
platform: demo
release: r1
title: Demo platform
sources:
  UG: "argonne-lcf/user-guides @ 7d04a3f9"
source: "UG docs/ai-testbed/demo/index.md"
hosts: {login: [demo-login*], run: [demo-node*], source: "UG docs/ai-testbed/demo/getting-started.md"}
scheduler: {kind: slurm, source: "UG docs/ai-testbed/demo/job-queuing.md"}
environment: {kind: venv, path: ~/venv, interpreter: /usr/bin/python3.11, source: "unsourced: not in the guide"}
runs:
  train:
    source: {all: "UG docs/ai-testbed/demo/examples.md", performance: "UG docs/ai-testbed/demo/examples.md (sample log)"}
    launcher: direct
    workdir: ~/x
    command: [python, train.py]
    metrics: graphcore
    performance: {accuracy: 96.85}
    params:
      lr: {type: float, default: 0.05, flag: --lr, source: "graphcore/examples mnist_poptorch.py @ bf12eaa6 line 70"}
"""

MINE = ("cerebras.yaml", "cerebras-R_2.3.0.yaml", "graphcore.yaml", "groq.yaml", "sambanova.yaml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_a_fully_cited_recipe_validates_and_expands_its_citations(cli, tmp_path: Path) -> None:
    path = write(tmp_path, CITED)
    recipe = load(path)
    assert recipe.unsourced == ()
    assert recipe.citations["hosts"] == ("argonne-lcf/user-guides docs/ai-testbed/demo/getting-started.md @ 7d04a3f9",)
    assert recipe.citations["runs.train"][1] == \
        "performance: argonne-lcf/user-guides docs/ai-testbed/demo/examples.md @ 7d04a3f9 (sample log)"
    assert recipe.citations["environment"] == ("unsourced: not in the guide",)
    rc, out, err = cli("recipe", "validate", str(path))
    assert rc == 0 and "ok (demo r1" in out, err


def test_validate_reports_each_fact_without_a_source(cli, tmp_path: Path) -> None:
    path = write(tmp_path, CITED.replace(', source: "UG docs/ai-testbed/demo/job-queuing.md"', "")
                 .replace(', source: "graphcore/examples mnist_poptorch.py @ bf12eaa6 line 70"', ""))
    assert load(path).unsourced == ("scheduler", "runs.train.params.lr")
    rc, out, err = cli("recipe", "validate", str(path))
    assert rc == 2 and "ok" not in out
    assert f"{path}: scheduler: states facts without a `source:`" in err
    assert f"{path}: runs.train.params.lr: states facts without a `source:`" in err


@pytest.mark.parametrize("old,new,where,problem", [
    ('source: "UG docs/ai-testbed/demo/getting-started.md"', 'source: "XX docs/getting-started.md"',
     ":8: hosts.source", "'XX' is not a source named in `sources:` (UG)"),
    ('UG: "argonne-lcf/user-guides @ 7d04a3f9"', 'UG: "argonne-lcf/user-guides main"', ":6: sources.UG",
     "is not \"owner/repo @ commit\" or a URL"),
    ('source: "unsourced: not in the guide"', 'source: "unsourced:"', ":10: environment.source",
     "say why the fact is unsourced"),
    ('performance: "UG docs/ai-testbed/demo/examples.md (sample log)"}', 'launcher: "UG x.md"}', ":13: runs.train.source",
     "names the published log"),
])
def test_a_bad_citation_is_an_error_with_line_and_key(tmp_path: Path, old: str, new: str, where: str,
                                                      problem: str) -> None:
    assert old in CITED
    with pytest.raises(RecipeError) as info:
        load(write(tmp_path, CITED.replace(old, new)))
    assert where in str(info.value) and problem in str(info.value)


@pytest.mark.parametrize("name", MINE)
def test_every_fact_of_the_platform_recipes_is_cited(name: str) -> None:
    recipe = load(RECIPE_DIR / name)
    assert recipe.unsourced == (), recipe.unsourced
    for run in recipe.runs:  # a reference is what the parser computes on a named published log
        if run.performance:
            cites = recipe.citations[f"runs.{run.name}"]
            assert any(c.startswith("performance: ") and "tests/metrics/fixtures/" in c for c in cites), cites
