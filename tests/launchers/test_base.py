"""Parameters that live in a run's script (GroqFlow's max_seq_length, the batch size; the
SambaNova script's --ntasks) are applied to a per-run copy, never to the user's file."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.errors import StepFailed
from envdoctor.launchers.base import RunContext, model_dir, script_copy
from envdoctor.recipe import catalog
from envdoctor.targets import RealTarget

REAL_MINILM = '''    max_seq_length = 128
    dummy_inputs = {
        "input_ids": torch.ones((2, max_seq_length), dtype=torch.long),
        "token_type_ids": torch.ones((2, max_seq_length), dtype=torch.long),
        "attention_mask": torch.ones((2, max_seq_length), dtype=torch.bool),
    }
'''  # groq/groqflow @ d7fef7e7 proof_points/natural_language_processing/minilm/minilmv2.py


def _ctx(tmp_path: Path, text: str, explicit: dict) -> tuple[RunContext, Path]:
    recipe = catalog().get("groq")
    run = recipe.run("minilm")
    home = tmp_path / "home"
    workdir = home / "groqflow/proof_points/natural_language_processing/minilm"
    workdir.mkdir(parents=True)
    (workdir / "minilmv2.py").write_text(text)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    target = RealTarget(str(home), "student", "groq-r01-gn-01")
    return RunContext(recipe, run, target, {}, explicit, run_dir, "20261129-000000-0001"), workdir


def test_the_real_script_text_is_edited_in_a_copy(tmp_path: Path) -> None:
    ctx, workdir = _ctx(tmp_path, REAL_MINILM, {"max_seq_length": 256, "batch_size": 8})
    copy = Path(script_copy(ctx))
    assert copy.parent == ctx.run_dir and (workdir / "minilmv2.py").read_text() == REAL_MINILM
    text = copy.read_text()
    assert "max_seq_length = 256" in text and text.count("torch.ones((8, max_seq_length)") == 3


def test_no_script_parameter_set_runs_the_script_in_place(tmp_path: Path) -> None:
    ctx, _ = _ctx(tmp_path, REAL_MINILM, {})
    assert script_copy(ctx) == "minilmv2.py"  # as the course types it


def test_a_script_without_the_constant_is_a_clear_failure(tmp_path: Path) -> None:
    ctx, _ = _ctx(tmp_path, "print('rewritten upstream')\n", {"batch_size": 8})
    with pytest.raises(StepFailed, match=r"minilmv2.py no longer sets batch_size"):
        script_copy(ctx)


def test_fresh_model_directory_per_run(tmp_path: Path) -> None:
    ctx, _ = _ctx(tmp_path, REAL_MINILM, {})
    ctx.run = catalog().get("cerebras").run("gpt3-111m")
    assert model_dir(ctx) == "model_dir_gpt3_111m_20261129-000000-0001"
