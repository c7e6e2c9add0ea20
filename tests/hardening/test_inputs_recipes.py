"""Hostile recipes under $ENVDOCTOR_RECIPES: an alias bomb, deep nesting, a FIFO, a device.

Every command loads the recipe catalog, so one hostile file there must cost one line naming
the file (exit 2), quickly: never minutes of expansion, a RecursionError (exit 3), or a hang.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hardening.test_inputs_files import envdoctor, one_line_exit_2

# The "billion laughs": 9 levels of 9 aliases each, 9**9 strings once expanded.
ALIAS_BOMB = "\n".join(
    ['schema: 1', 'platform: bomb', 'release: "1"', 'title: x', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
) + "\n"


def _env(directory: Path) -> dict:
    env = dict(os.environ)
    env["ENVDOCTOR_RECIPES"] = str(directory)
    return env


def test_alias_bomb_is_one_line_naming_the_file(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    done = envdoctor("platforms", env=_env(tmp_path), timeout=60)
    one_line_exit_2(done, "bomb.yaml", "anchor")
    assert done.elapsed < 30  # type: ignore[attr-defined]


def test_alias_bomb_inside_a_valid_recipe(tmp_path: Path) -> None:
    """A shipped recipe, renamed, with a bomb under its free-form `extra:` (which is walked
    when the recipe is validated and cached): refused before anything expands it."""
    from envdoctor.recipe import RECIPE_DIR

    text = (RECIPE_DIR / "groq.yaml").read_text().replace("platform: groq", "platform: bombed", 1)
    assert "platform: bombed" in text and "\nextra:" not in text
    bomb = ['extra:', '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 8)]
    (tmp_path / "bombed.yaml").write_text(text.rstrip("\n") + "\n" + "\n".join(bomb) + "\n")
    done = envdoctor("platforms", env=_env(tmp_path), timeout=60)
    one_line_exit_2(done, "bombed.yaml", "anchor")
    assert done.elapsed < 30  # type: ignore[attr-defined]


def test_a_single_anchor_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "anchor.yaml").write_text("schema: 1\nbase: &b {x: 1}\nother: *b\n")
    one_line_exit_2(envdoctor("platforms", env=_env(tmp_path)), "anchor.yaml:2", "anchor")


@pytest.mark.parametrize("depth", [65, 20_000])
def test_deeply_nested_recipe(tmp_path: Path, depth: int) -> None:
    (tmp_path / "deep.yaml").write_text("schema: 1\nx: " + "[" * depth + "]" * depth + "\n")
    one_line_exit_2(envdoctor("platforms", env=_env(tmp_path)), "deep.yaml", "nested")


def test_deeply_nested_block_recipe_validate(tmp_path: Path) -> None:
    text = "schema: 1\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n"
    path = tmp_path / "block.yaml"
    path.write_text(text)
    one_line_exit_2(envdoctor("recipe", "validate", str(path)), "block.yaml", "nested")


def test_fifo_in_the_recipe_directory(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    one_line_exit_2(envdoctor("platforms", env=_env(tmp_path), timeout=60), "pipe.yaml", "FIFO")


def test_symlink_to_a_device_in_the_recipe_directory(tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    one_line_exit_2(envdoctor("platforms", env=_env(tmp_path), timeout=60), "zero.yaml", "device")
