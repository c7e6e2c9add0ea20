"""The GroqFlow install pins what the env already has, as the guide does:
`pip list --format=freeze > frozen.txt; pip install -r frozen.txt -e .` (pip step `freeze_to`)."""
from __future__ import annotations

from pathlib import Path


def test_groq_setup_plans_and_applies_the_frozen_pins(cli, sim_node) -> None:
    node = sim_node("groq")
    rc, out, err = cli("setup", "groq", "--target", "sim", "--sim-root", node.root, "--plan")
    assert rc == 0, err
    freeze = out.index("cd ~/groqflow && pip list --format=freeze > frozen.txt")
    install = out.index("pip install -r frozen.txt -e .")
    assert freeze < install, out
    clone = Path(node.home, "groqflow")
    rc, out, err = cli("setup", "groq", "--target", "sim", "--sim-root", node.root, "--yes")
    assert rc == 0, (out[-2000:], err[-2000:])
    frozen = (clone / "frozen.txt").read_text()
    assert "pip==" in frozen and "groqflow" not in frozen  # what the env had before groqflow went in
    python = Path(node.home, "miniconda3/envs/groqflow/bin/python")
    import subprocess

    shown = subprocess.run([str(python), "-m", "pip", "show", "groqflow"], capture_output=True, text=True).stdout
    assert "Editable project location: " + str(clone) in shown, shown
