"""Recipes: every shipped one validates; malformed ones fail with file:line:key."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.errors import RecipeError, UsageError
from envdoctor.recipe import RECIPE_DIR, catalog, load

GOOD = """\
schema: 1
platform: demo
release: r1
title: Demo platform
hosts: {login: [demo-login*], run: [demo-node*], next_hop: ssh demo-node1, source: "https://example.org/guide"}
scheduler: {kind: slurm, source: "example/guide docs/x.md @ 0123456789"}
environment: {kind: venv, path: ~/venv, interpreter: /usr/bin/python3.11, python: "3.11", source: "https://example.org/guide"}
repos:
  - {name: zoo, url: https://example.org/zoo.git, ref: v1, dest: ~/zoo, source: "https://example.org/guide"}
steps:
  - {kind: git, repo: zoo}
  - {kind: venv}
source: "https://example.org/guide"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(RECIPE_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_recipe_loads(path: Path) -> None:
    recipe = load(path)
    assert recipe.platform in {"cerebras", "graphcore", "groq", "sambanova", "metis"}
    assert recipe.steps or recipe.retired
    for run in recipe.runs:
        assert run.metrics == recipe.platform


def test_catalog_has_the_releases_the_courses_use() -> None:
    cat = catalog()
    assert cat.platforms() == ["cerebras", "graphcore", "groq", "metis", "sambanova"]
    assert {r.release for r in cat.releases("cerebras")} == {"R_2.10.0", "R_2.3.0"}
    assert cat.get("cerebras").release == "R_2.10.0"
    assert cat.get("graphcore").repo("examples").ref == "v3.3.0"
    assert cat.get("groq").environment.python == "3.10.12"
    assert cat.get("sambanova").retired
    assert cat.get("cerebras").repo("modelzoo").expected_vendor_version() == "2.10.0"


def test_unknown_platform_and_release_suggest_the_closest() -> None:
    with pytest.raises(UsageError, match="did you mean groq"):
        catalog().get("grok")
    with pytest.raises(UsageError, match="R_2.10.0"):
        catalog().get("cerebras", "R_2.10")


def test_good_recipe_loads(tmp_path: Path) -> None:
    recipe = load(write(tmp_path, GOOD))
    assert [s.kind for s in recipe.steps] == ["git", "venv"]
    assert recipe.repo("zoo").dest == "~/zoo"


@pytest.mark.parametrize("edit, line, key, problem", [
    (("kind: slurm", "kind: slurmm"), 6, "scheduler.kind", "not one of"),
    (("ref: v1, ", ""), 9, "repos[0].ref", "is required"),
    (("{kind: venv}", "{kind: venvv}"), 12, "steps[1].kind", "did you mean venv"),
    (("repo: zoo}", "repo: zo}"), 11, "steps[0].repo", "no repo named 'zo'"),
    (("title: Demo platform", "title: Demo platform\ntitel: typo"), 5, "titel", "unknown key"),
    (("schema: 1", "schema: 9"), 1, "schema", "recipe schema 1"),
])
def test_malformed_recipe_names_file_line_and_key(tmp_path: Path, edit, line, key, problem) -> None:
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(RecipeError) as info:
        load(path)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert info.value.key == key
    assert problem in str(info.value)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "steps: [unclosed\n")
    with pytest.raises(RecipeError, match=r"r\.yaml:\d+: \(yaml\): not valid YAML"):
        load(path)


def test_unreadable_recipe_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing.yaml: no such file \(a recipe was expected\)"):
        load(tmp_path / "missing.yaml")


def test_recipe_validate_command(cli, tmp_path: Path) -> None:
    good = write(tmp_path, GOOD)
    rc, out, err = cli("recipe", "validate", str(good))
    assert rc == 0 and "ok (demo r1" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("kind: slurm", "kind: lsf"))
    rc, out, err = cli("recipe", "validate", str(good), str(bad))
    assert rc == 2
    assert err.strip().splitlines() == [f"envdoctor: {bad}:6: scheduler.kind: 'lsf' is not one of slurm, pbs, appliance, none"]


def test_validate_reports_every_problem(cli, tmp_path: Path) -> None:
    text = GOOD.replace("kind: slurm", "kind: lsf").replace("{kind: venv}", "{kind: venvv}").replace("ref: v1, ", "")
    bad = write(tmp_path, text)
    rc, out, err = cli("recipe", "validate", str(bad))
    assert rc == 2
    lines = err.strip().splitlines()
    assert [line.split(": ")[2] for line in lines] == ["repos[0].ref", "scheduler.kind", "steps[0].repo", "steps[1].kind"]
