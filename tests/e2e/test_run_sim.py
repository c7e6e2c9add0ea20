"""End to end on simulated nodes: sim create --ready -> run with two parameter values ->
runs compare --markdown shows two rows whose metrics differ because the computation did.

Graphcore and SambaNova also go through the real single-node Slurm when it is installed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterator

import pytest
from nodes import NodeStore

from envdoctor.reports.runs_common import metric_header
from envdoctor.targets import Target

Cli = Callable[..., "tuple[int, str, str]"]


def _node(node_store: NodeStore, platform: str) -> Iterator[Target]:
    node = node_store.node(platform, ready=True)
    yield node
    node_store.discard(node)


@pytest.fixture(scope="module")
def graphcore_node(node_store: NodeStore) -> Iterator[Target]:
    yield from _node(node_store, "graphcore")


@pytest.fixture(scope="module")
def sambanova_node(node_store: NodeStore) -> Iterator[Target]:
    yield from _node(node_store, "sambanova")


@pytest.fixture(scope="module")
def groq_node(node_store: NodeStore) -> Iterator[Target]:
    yield from _node(node_store, "groq")


@pytest.fixture(scope="module")
def cerebras_node(node_store: NodeStore) -> Iterator[Target]:
    yield from _node(node_store, "cerebras")


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
    log = Path(a["log"]).read_text()  # what the real tutorial prints: tqdm bars and the accuracy line
    assert "throughput" not in log and log.count("Graph compilation: 100%|") == 2
    assert "| Accuracy: " in log and "Accuracy on test set: " in log
    assert a["params"]["lr"] == 0.03 and b["params"]["lr"] == 0.02
    md = _compare(cli, a, b, "loss")
    assert "| epochs | lr |" in md.replace("run | epochs", "| epochs")


def test_sambanova_script_compiles_then_submits_its_own_run(cli: Cli, sambanova_node: Target) -> None:
    """`./BertLarge.sh <log folder>` compiles, then sbatches BertLarge_run.sh itself; the output
    and the Duration: lines are in the .out files, which envdoctor follows (not the Slurm output)."""
    workdir = Path(sambanova_node.home, "ai-science-training-series/07_AITestbeds/Sambanova/bert")
    before = (workdir / "BertLarge.sh").read_text()
    a = _run(cli, sambanova_node, "sambanova", "--set", "ntasks=1", "--set", "ntasks_per_node=1")
    b = _run(cli, sambanova_node, "sambanova", "--set", "ntasks=2", "--set", "ntasks_per_node=2", "--no-check")
    assert (workdir / "BertLarge.sh").read_text() == before  # ntasks went into a per-run copy
    assert Path(sambanova_node.home, "BertLarge", "bertlrg", "bertlrg.pef").is_file()
    for rec in (a, b):
        assert any(c.endswith(f"BertLarge.sh {rec['id']}") for c in rec["commands"]), rec["commands"]
        compile_out = workdir / rec["id"] / "BertLarge.out"
        run_out = Path(sambanova_node.home, "BertLarge", rec["id"], "BertLarge.out")
        assert "Submitted batch job" in compile_out.read_text() and "Duration:" in compile_out.read_text()
        assert "Duration:" in run_out.read_text() and rec["job_id"].isdigit()
        slurm_out = Path(sambanova_node.home, f"slurm-{rec['job_id']}.out").read_text()
        assert "Duration:" not in slurm_out and "Using " in slurm_out  # the Slurm output has only the path
        assert rec["metrics"]["duration_seconds"] >= 0 and rec["status"] == "ok"
    assert "--ntasks 2 " in Path(b["log"][:-4], "BertLarge.sh").read_text()
    for rec, n in ((a, 1), (b, 2)):  # the run job got the copy's --ntasks
        run_out = Path(sambanova_node.home, "BertLarge", rec["id"], "BertLarge.out").read_text()
        assert f"on {n} data-parallel instance(s)" in run_out
        assert rec["metrics"]["instances"] == n, "each instance prints its own throughput line"
    # Data parallelism scales the job's throughput, as on the real system (each instance has its RDUs).
    assert b["metrics"]["total_samples_per_sec"] > 1.3 * a["metrics"]["total_samples_per_sec"]
    _compare(cli, a, b, "loss")


def test_groq_parameters_go_into_a_copy_of_the_script(cli: Cli, groq_node: Target) -> None:
    """The proof points take only -b/-e; max_seq_length and the batch size are constants in the
    script: envdoctor changes them in a per-run copy, never in the user's clone, never as flags."""
    workdir = Path(groq_node.home, "groqflow/proof_points/natural_language_processing/minilm")
    before = (workdir / "minilmv2.py").read_text()
    a = _run(cli, groq_node, "groq", "minilm")
    b = _run(cli, groq_node, "groq", "minilm", "--set", "max_seq_length=256", "--set", "batch_size=4", "--no-check")
    assert (workdir / "minilmv2.py").read_text() == before
    copy = Path(b["log"][:-4], "minilmv2.py").read_text()
    assert "max_seq_length = 256" in copy and "(4, max_seq_length)" in copy and "(2, max_seq_length)" not in copy
    assert not any("--max-seq-length" in c or "--batch-size" in c for c in b["commands"])
    assert any(c.strip("# ") == "pip install -r requirements.txt" for c in a["commands"])  # the guide's job script
    assert a["launcher"] == "pbs" and a["job_id"].endswith(".groq-r01-co")
    for rec in (a, b):  # the real table: a cpu row beside the groq row
        assert "cpu_spearman" in rec["metrics"] and rec["metrics"]["onchip_ips"] > 0
    md = _compare(cli, a, b, "spearman")
    assert "max_seq_length" in md


def test_groq_simulated_proof_point_rejects_unknown_flags_like_argparse(groq_node: Target) -> None:
    import subprocess

    workdir = Path(groq_node.home, "groqflow/proof_points/natural_language_processing/minilm")
    python = Path(groq_node.home, "miniconda3/envs/groqflow/bin/python")
    done = subprocess.run([str(python), "minilmv2.py", "--max-seq-length", "256"], cwd=workdir,
                          capture_output=True, text=True, env=groq_node.process_env(), timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "minilmv2.py: error: unrecognized arguments: --max-seq-length 256"


def _workdir(node: Target, example: str = "gpt3") -> Path:
    return Path(node.home, f"R_2.10.0/modelzoo/src/cerebras/modelzoo/models/nlp/{example}")


def test_cerebras_sweep_runs_are_independent(cli: Cli, cerebras_node: Target) -> None:
    """A batch-size sweep: each run trains from scratch in its own model directory (the model
    zoo would resume from the last checkpoint of a reused one), the user's config and the
    user's own model directory are left as they were, and the job-time bound is set."""
    workdir = _workdir(cerebras_node)
    config = workdir / "configs/Cerebras_GPT/111m_modified.yaml"
    before = config.read_text()
    users = workdir / "model_dir_gpt3_111m"  # the user's own earlier run, as the guide names it
    users.mkdir(exist_ok=True)
    (users / "checkpoint_400.mdl").write_text("the user's checkpoint")
    a = _run(cli, cerebras_node, "cerebras", "--set", "batch_size=60", "--set", "max_steps=60")
    b = _run(cli, cerebras_node, "cerebras", "--set", "batch_size=120", "--set", "max_steps=60", "--no-check")
    assert config.read_text() == before  # the user's config is never edited
    assert (users / "checkpoint_400.mdl").read_text() == "the user's checkpoint"
    assert a["metrics"]["samples"] == 60 * 60 and b["metrics"]["samples"] == 120 * 60
    for rec in (a, b):
        log = Path(rec["log"]).read_text()
        model_dir = f"model_dir_gpt3_111m_{rec['id']}"
        assert f"No checkpoints were found in \"{model_dir}\"." in log
        assert (workdir / model_dir / "checkpoint_60.mdl").is_file()
        assert log.count("Job id: wsjob-") == 3  # two compiles and one execute
        copy = Path(rec["log"][:-4], "111m_modified.yaml").read_text()  # the per-run config copy
        assert "job_time_sec: 3600" in copy and "batch_size: %d" % rec["params"]["batch_size"] in copy
        assert len(rec["job_id"].split()) == 3 and rec["job_id"].startswith("wsjob-")
    _compare(cli, a, b, "loss")


def test_cerebras_simulated_zoo_resumes_a_non_empty_model_dir(cerebras_node: Target) -> None:
    """The simulated model zoo is as strict as the real one: a second `cszoo fit` in the same
    --model_dir reloads its last checkpoint and trains nothing new."""
    import subprocess

    workdir = _workdir(cerebras_node)
    venv = Path(cerebras_node.home, "R_2.10.0/venv_cerebras_pt/bin")
    env = dict(cerebras_node.process_env(), PATH=f"{venv}:{os.environ['PATH']}")
    argv = [str(venv / "cszoo"), "fit", "configs/Cerebras_GPT/111m_modified.yaml", "--model_dir", "md_resume"]
    first = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    second = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and second.returncode == 0, second.stdout[-2000:]
    assert 'No checkpoints were found in "md_resume".' in first.stdout
    assert 'Found latest checkpoint at "md_resume/checkpoint_400.mdl".' in second.stdout
    assert "Loading weights from checkpoint md_resume/checkpoint_400.mdl" in second.stdout
    assert "Processed 0 training sample(s)" in second.stdout  # it resumed at step 400 of 400


def test_cerebras_llama2_7b_batch_sizes(cli: Cli, cerebras_node: Target) -> None:
    """The 2025 course's homework: Llama2-7B at two batch sizes on the current release."""
    a = _run(cli, cerebras_node, "cerebras", "llama2-7b", "--set", "batch_size=64", "--set", "max_steps=20")
    b = _run(cli, cerebras_node, "cerebras", "llama2-7b", "--set", "batch_size=128", "--set", "max_steps=20",
             "--no-check")
    assert a["metrics"]["samples"] == 64 * 20 and b["metrics"]["samples"] == 128 * 20
    assert any("cszoo fit" in c and "name=llama2_7b" in c for c in a["commands"])
    md = _compare(cli, a, b, "loss")
    assert "batch_size" in md


def test_cerebras_warns_before_a_second_concurrent_job(cli: Cli, cerebras_node: Target) -> None:
    """With a wsjob of the user's still running (as `csctl get jobs` shows), envdoctor warns
    before starting another (the usage rules: few concurrent jobs)."""
    from envdoctor.targets.sim.accelsim import cerebras as zoo

    os.environ["ENVDOCTOR_SIM_ROOT"] = cerebras_node.root
    try:
        record = zoo.register_job("wsjob-abcdefghijklmnopqrstuv", "execute", "name=gpt3_111m", "wflow-x",
                                  user=cerebras_node.user)
    finally:
        del os.environ["ENVDOCTOR_SIM_ROOT"]
    try:
        rc, out, err = cli("run", "cerebras", "--set", "max_steps=10", "--target", "sim", "--sim-root",
                           cerebras_node.root, "--no-check")
    finally:
        os.unlink(str(record))
    assert rc == 0, err[-2000:]
    text = out + err
    assert "you already have 1 wsjob(s) running" in text and "wsjob-abcdefghijklmnopqrstuv" in text


def test_cerebras_r2_3_real_layout_and_job_id_lines(cli: Cli, node_store: NodeStore) -> None:
    """Release_2.3.0 has only the src/cerebras/modelzoo/models/nlp/... layout; its client prints
    `compile job id: wsjob-...` / `execute job id: ...`, which the launcher reads."""
    node = next(_node_release(node_store, "cerebras", "R_2.3.0"))
    clone = Path(node.home, "R_2.3.0/modelzoo")
    assert (clone / "src/cerebras/modelzoo/models/nlp/bert/run.py").is_file()
    assert not (clone / "modelzoo").exists() and not (clone / "src/cerebras/modelzoo/cli").exists()
    rec = _run(cli, node, "cerebras", "bert-large", "--release", "R_2.3.0", "--set", "batch_size=64",
               "--set", "max_steps=20")
    log = Path(rec["log"]).read_text()
    assert "compile job id: wsjob-" in log and "execute job id: wsjob-" in log and "Job id:" not in log
    # --mode train: a compile and an execute wsjob, as the course's published R_2.0.3 log shows
    assert len(rec["job_id"].split()) == 2 and all(j.startswith("wsjob-") for j in rec["job_id"].split())
    assert rec["metrics"]["samples"] == 64 * 20


def _node_release(node_store: NodeStore, platform: str, release: str) -> Iterator[Target]:
    yield node_store.node(platform, release=release, ready=True)


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
    for rec, command in ((a, f"{a['log'][:-4]}/job.sh"), (c, "BertLarge_run.sh")):  # the real Slurm knows these jobs
        out = subprocess.run(["scontrol", "show", "job", rec["job_id"]], capture_output=True, text=True,
                             env=dict(os.environ)).stdout
        assert "JobState=COMPLETED" in out, out
        assert command in out, out  # our job (SambaNova: the one the course's script submitted), not a stand-in's
    assert c["status"] == "ok" and c["metrics"]["samples_per_sec"] > 0
