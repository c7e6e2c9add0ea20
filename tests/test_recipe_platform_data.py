"""A platform's data in its recipe: the `sim:`, `classroom:`, `vendor_packages:` and
`env_prefixes:` sections, the registries a run names, and recipes from $ENVDOCTOR_RECIPE_PATH.
Every problem is one RecipeError naming the file and the key."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from envdoctor import launchers, metrics, recipe as recipe_mod
from envdoctor.errors import RecipeError, UsageError
from envdoctor.recipe import RECIPE_DIR, catalog, load

ACME = Path(__file__).resolve().parent / "platforms" / "acme"


@pytest.fixture
def acme_copy(tmp_path: Path) -> Path:
    """A copy of the test platform (recipe and payload) to break."""
    shutil.copytree(ACME, tmp_path / "acme")
    return tmp_path / "acme" / "acme.yaml"


@pytest.fixture
def fresh_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """catalog() is loaded once per process: start from none, and leave none behind."""
    monkeypatch.setattr(recipe_mod, "_CATALOG", None)
    for var in recipe_mod.PATH_VARS:
        monkeypatch.delenv(var, raising=False)
    yield
    recipe_mod._CATALOG = None


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_test_platform_loads_with_its_payload_beside_it() -> None:
    r = load(ACME / "acme.yaml")
    assert r.sim is not None and Path(r.sim.payload) == ACME / "sim"
    assert r.sim.bin_dirs == ("/opt/acme/bin",) and r.sim.pbs_server == "acme-pbs01"
    wheel, = r.sim.wheels
    assert (wheel.name, wheel.versions, wheel.module, wheel.code) == ("acme-sdk", ("1.3.0", "1.4.0"), "acme_sdk",
                                                                       "wheels/acme_sdk.py")
    up, = r.sim.upstreams
    assert up.slug == "acme-example/bench" and Path(up.payload) == ACME / "sim"
    assert [(ref.name, ref.kind, ref.tree, ref.subst) for ref in up.refs] == [
        ("v0.9", "tag", "v1.0", (("1.0", "0.9"),)), ("v1.0", "tag", "v1.0", ()), ("main", "branch", "v1.0", ())]
    assert r.classroom.order == 50 and r.vendor_packages == ("acme-sdk",)
    assert r.knowledge == (str(ACME / "knowledge" / "faults.yaml"),)


def test_shipped_recipes_carry_what_code_tables_held() -> None:
    """The values of the old builder.PLATFORMS, classroom and snapshot tables, now data."""
    c = catalog(RECIPE_DIR)
    graphcore, groq = c.get("graphcore"), c.get("groq")
    assert graphcore.sim is not None and graphcore.sim.sources == ("/software/graphcore/poplar_sdk/3.3.0/enable",)
    assert graphcore.sim.sdk_wheels == (("/software/graphcore/poplar_sdk/3.3.0", "poptorch"),)
    assert groq.sim is not None and groq.sim.pbs_server == "groq-r01-co"
    assert c.get("sambanova").sim.user_dirs == ("/data/scratch/{user}",)  # type: ignore[union-attr]
    assert c.get("cerebras").classroom.home_access == "a+x"
    assert c.class_order()[:4] == ["cerebras", "sambanova", "graphcore", "groq"]
    assert {"poptorch", "groqflow", "sambaflow", "cerebras-pytorch"} <= c.vendor_packages()
    assert "POPLAR_" in c.env_prefixes()
    assert {u.slug for u in c.upstreams()} == {"Cerebras/modelzoo", "groq/groqflow", "graphcore/examples",
                                               "argonne-lcf/ai-science-training-series"}


@pytest.mark.parametrize("old,new,key,words", [
    ("payload: sim", "payload: nowhere", "sim.payload", "is not a directory"),
    ("bin_dirs: [/opt/acme/bin]", "bin_dirs: [opt/acme/bin]", "sim.bin_dirs", "not a node path"),
    ("pbs_server: acme-pbs01", "pbs_server: 'acme pbs'", "sim.pbs_server", "not a host name"),
    ("code: wheels/acme_sdk.py", "code: wheels/missing.py", "sim.wheels[0].code", "no file"),
    ("module: acme_sdk", "module: acme-sdk", "sim.wheels[0].module", "not a dotted import name"),
    ("slug: acme-example/bench", "slug: bench", "sim.upstreams[0].slug", "not org/name"),
    ("{name: main, kind: branch, tree: v1.0}", "{name: main, kind: trunk}", "sim.upstreams[0].refs[2].kind", "trunk"),
    ("pbs_server: acme-pbs01", "pbs_server: acme-pbs01\n  pbs_srever: x", "sim.pbs_srever", "unknown key"),
    ("home_access: u+x", "home_access: 755", "classroom.home_access", "like u+x"),
    ("env_prefixes: [ACME_]", "env_prefixes: [acme_]", "env_prefixes", "start of a variable name"),
    ("knowledge: [knowledge/faults.yaml]", "knowledge: [knowledge/none.yaml]", "knowledge", "is not a file"),
    ("metrics: graphcore", "metrics: acmeparse", "runs.bench.metrics", "not one of"),
    ("launcher: pbs", "launcher: acmectl", "runs.bench.launcher", "not one of"),
])
def test_bad_platform_data_names_file_and_key(acme_copy: Path, old: str, new: str, key: str, words: str) -> None:
    with pytest.raises(RecipeError) as caught:
        load(_edit(acme_copy, old, new))
    text = str(caught.value)
    assert str(acme_copy) in text and key in text and words in text, text
    assert "\n" not in text


def test_a_registered_parser_or_launcher_without_its_module_is_an_error(acme_copy: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered but missing: refused when the recipe loads, not skipped or failed mid-run."""
    monkeypatch.setitem(metrics._MODULES, "ghost", ("envdoctor.metrics.ghost", "GhostParser"))
    with pytest.raises(RecipeError, match=r"runs\.bench\.metrics.*registered but envdoctor\.metrics\.ghost is missing"):
        load(_edit(acme_copy, "metrics: graphcore", "metrics: ghost"))
    monkeypatch.setattr(launchers, "LAUNCHERS", {**launchers.LAUNCHERS, "ghostl": "envdoctor.launchers.ghostl"})
    _edit(acme_copy, "metrics: ghost", "metrics: graphcore")
    with pytest.raises(RecipeError, match=r"runs\.bench\.launcher.*registered but envdoctor\.launchers\.ghostl is missing"):
        load(_edit(acme_copy, "launcher: pbs", "launcher: ghostl"))
    assert metrics.missing_module("graphcore") == "" and launchers.missing_module("pbs") == ""


def test_recipe_path_adds_directories_and_files(fresh_catalog: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVDOCTOR_RECIPE_PATH", f"{ACME}{os.pathsep}{ACME / 'acme.yaml'}")  # the same file twice loads once
    c = catalog()
    assert "acme" in c.platforms() and len(c.releases("acme")) == 1
    order = c.class_order()  # acme's classroom.order 50: after groq's 40, before metis (no order: last)
    assert order.index("groq") < order.index("acme") < order.index("metis") and "acme-sdk" in c.vendor_packages()
    assert "ACME_" in c.env_prefixes() and str(ACME / "knowledge" / "faults.yaml") in c.knowledge_files()
    up = c.upstream("https://github.com/acme-example/bench.git")
    assert up is not None and up.slug == "acme-example/bench"


def test_recipe_path_problems_are_one_line(fresh_catalog: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENVDOCTOR_RECIPE_PATH", str(tmp_path / "missing"))
    with pytest.raises(UsageError, match=r"ENVDOCTOR_RECIPE_PATH: .*missing is neither a recipe file nor a directory"):
        catalog()
    shutil.copy(RECIPE_DIR / "groq.yaml", tmp_path / "groq.yaml")
    monkeypatch.setenv("ENVDOCTOR_RECIPE_PATH", str(tmp_path))
    with pytest.raises(UsageError, match=r"groq release groqflow-py3.10 is also defined in"):
        catalog()


def test_the_older_variable_still_works(fresh_catalog: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVDOCTOR_RECIPES", str(ACME))
    assert "acme" in catalog().platforms()
