"""The platforms a knowledge entry may name are the recipe catalog's: a platform added as data
(a recipe on $ENVDOCTOR_RECIPE_PATH) can have its own fault entries and `explain --platform`."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from envdoctor import recipe as recipe_mod
from envdoctor.errors import RecipeError, UsageError
from envdoctor.knowledge import check_platform, explain_text, kb

ACME = Path(__file__).resolve().parents[1] / "platforms" / "acme"
ENTRY = """schema: envdoctor/faults@1
contexts: {}
platform_markers:
  acme: ['\\bacme-smi\\b']
faults:
  - id: acme.sdk-missing
    category: packages
    platforms: [acme]
    title: the ACME SDK is not installed in the environment
    signatures: ['No module named .?acme_sdk\\b']
    cause: the venv lacks acme-sdk
    fix: install it
    commands: [pip install acme-sdk==1.4.0]
    source: "unsourced: a made-up platform"
    examples: ["ModuleNotFoundError: No module named 'acme_sdk'"]
"""


@pytest.fixture
def fresh_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(recipe_mod, "_CATALOG", None)
    for var in recipe_mod.PATH_VARS:
        monkeypatch.delenv(var, raising=False)
    yield
    recipe_mod._CATALOG = None


def test_platforms_are_the_catalogs(fresh_catalog: None) -> None:
    assert kb.platforms() == tuple(recipe_mod.catalog().platforms())
    assert kb.platforms() == kb.PLATFORMS  # the older name, read when asked


def test_an_entry_for_an_unknown_platform_is_refused(fresh_catalog: None, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(ENTRY)
    with pytest.raises(RecipeError, match="unknown platform"):
        kb.load(path, use_cache=False)
    with pytest.raises(UsageError, match="unknown platform 'acme'"):
        check_platform("acme")


def test_a_platform_from_the_recipe_path_has_its_entries(fresh_catalog: None, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVDOCTOR_RECIPE_PATH", str(ACME))
    path = tmp_path / "acme.yaml"
    path.write_text(ENTRY)
    base = kb.load(path, use_cache=False)
    assert check_platform("ACME") == "acme"
    found = explain_text("Traceback (most recent call last):\nModuleNotFoundError: No module named 'acme_sdk'\n",
                         platform="acme", kb=base)
    assert [f.fault for f in found] == ["acme.sdk-missing"]
