"""End to end on simulated nodes: sim create --ready -> run with two parameter values ->
runs compare --markdown shows two rows whose metrics differ because the computation did.

Graphcore and SambaNova also go through the real single-node Slurm when it is installed.
"""
from __future__ import annotations

import json

from envdoctor.reports.runs_common import metric_header
import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from envdoctor.targets import Target

Cli = Callable[..., "tuple[int, str, str]"]


def _node(tmp_path_factory: pytest.TempPathFactory, platform: str) -> Iterator[Target]:
    builder = pytest.importorskip("envdoctor.targets.sim.builder")
    root = tmp_path_factory.mktemp(f"sim-{platform}") / "node"
    yield builder.create(platform, root=str(root), ready=True)


@pytest.fixture(scope="module")
def graphcore_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _node(tmp_path_factory, "graphcore")


@pytest.fixture(scope="module")
def sambanova_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _node(tmp_path_factory, "sambanova")


@pytest.fixture(scope="module")
def groq_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _node(tmp_path_factory, "groq")


@pytest.fixture(scope="module")
def cerebras_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _node(tmp_path_factory, "cerebras")


def _run(cli: Cli, node: Target, platform: str, *args: str) -> dict:
    rc, out, err = cli("run", platform, *args, "--target", "sim", "--sim-root", node.root, "--json")
    assert rc == 0, f"rc={rc}\n{err[-3000:]}\n{out[-2000:]}"
    return json.loads(out)


def _compare(cli: Cli, a: dict, b: dict, metric: str) -> str:
    assert a["metrics"][metric] != b["metrics"][metric], (a["metrics"], b["metrics"])
    rc, md, err = cli("runs", "compare", a["id"], b["id"], "--markdown")
    assert rc == 0, err
    rows = [line for line in md.splitlines() if line.startswith(f"| {a['id']}") or line.startswith(f"| {b['id']}")]
    assert len(rows) == 2 and rows[0] != rows[1]
    header = next(line for line in md.splitlines() if line.startswith("| run"))
    assert metric_header(metric) in header
    return md


def test_graphcore_epochs_and_lr(cli: Cli, graphcore_node: Target) -> None:
    a = _run(cli, graphcore_node, "graphcore", "mnist", "--set", "epochs=2", "--set", "lr=0.03")
    b = _run(cli, graphcore_node, "graphcore", "mnist", "--set", "epochs=4", "--set", "lr=0.02", "--no-check")
    assert a["status"] == b["status"] == "ok" and a["launcher"] == "slurm"
    md = _compare(cli, a, b, "loss")
    assert "| epochs | lr |" in md.replace("run | epochs", "| epochs")


def test_sambanova_compile_then_run_ntasks(cli: Cli, sambanova_node: Target) -> None:
    a = _run(cli, sambanova_node, "sambanova", "--set", "ntasks=1", "--set", "ntasks_per_node=1")
    b = _run(cli, sambanova_node, "sambanova", "--set", "ntasks=2", "--set", "ntasks_per_node=2", "--no-check")
    assert Path(sambanova_node.home, "BertLarge", "bertlrg", "bertlrg.pef").is_file()
    assert any("BertLarge.sh compile" in c for c in a["commands"])
    assert any("--ntasks 2" in c for c in b["commands"])
    _compare(cli, a, b, "loss")


def test_groq_max_seq_length_through_pbs(cli: Cli, groq_node: Target) -> None:
    a = _run(cli, groq_node, "groq", "minilm")
    b = _run(cli, groq_node, "groq", "minilm", "--set", "max_seq_length=256", "--no-check")
    assert a["launcher"] == "pbs" and a["job_id"].endswith(".groq-r01-co")
    md = _compare(cli, a, b, "spearman")
    assert "max_seq_length" in md


def test_cerebras_batch_size_config_copy(cli: Cli, cerebras_node: Target) -> None:
    config = Path(cerebras_node.home, "R_2.10.0/modelzoo/src/cerebras/modelzoo/models/nlp/gpt3/configs/"
                                      "Cerebras_GPT/111m_modified.yaml")
    before = config.read_text()
    a = _run(cli, cerebras_node, "cerebras", "--set", "batch_size=512", "--set", "max_steps=60")
    b = _run(cli, cerebras_node, "cerebras", "--set", "batch_size=1024", "--set", "max_steps=60", "--no-check")
    assert config.read_text() == before  # the user's config is never edited
    assert a["metrics"]["samples"] == 512 * 60 and b["metrics"]["samples"] == 1024 * 60
    assert a["job_id"].startswith("wsjob-")
    _compare(cli, a, b, "loss")


def test_run_refuses_when_the_check_fails(cli: Cli, sim_node) -> None:
    node = sim_node("graphcore")  # a fresh account: nothing set up
    rc, out, err = cli("run", "graphcore", "--target", "sim", "--sim-root", node.root)
    assert rc == 1 and "not running graphcore mnist" in err and "fix:" in err


def test_unknown_example_and_parameter(cli: Cli, graphcore_node: Target) -> None:
    rc, _, err = cli("run", "graphcore", "mnst", "--target", "sim", "--sim-root", graphcore_node.root)
    assert rc == 2 and "mnist" in err
    rc, _, err = cli("run", "graphcore", "--set", "epoch=3", "--target", "sim", "--sim-root", graphcore_node.root)
    assert rc == 2 and "valid parameters: epochs, lr, batch_size, device_iterations, test_batch_size" in err
    rc, _, err = cli("run", "graphcore", "--set", "epochs=ten", "--target", "sim", "--sim-root", graphcore_node.root)
    assert rc == 2 and "epochs must be an integer" in err


@pytest.mark.slurm
def test_graphcore_and_sambanova_through_real_slurm(cli: Cli, graphcore_node: Target, sambanova_node: Target,
                                                    slurm_env) -> None:
    import subprocess

    a = _run(cli, graphcore_node, "graphcore", "--set", "epochs=2", "--no-check")
    b = _run(cli, graphcore_node, "graphcore", "--set", "epochs=3", "--no-check")
    _compare(cli, a, b, "loss")
    c = _run(cli, sambanova_node, "sambanova", "--set", "ntasks=2", "--set", "ntasks_per_node=2", "--no-check")
    for rec in (a, c):  # the real Slurm knows these jobs
        out = subprocess.run(["scontrol", "show", "job", rec["job_id"]], capture_output=True, text=True,
                             env=dict(os.environ)).stdout
        assert "JobState=COMPLETED" in out, out
        assert f"Command={rec['log'][:-4]}/job.sh" in out, out  # it is our job, not a stand-in's
    assert c["status"] == "ok" and c["metrics"]["samples_per_sec"] > 0
