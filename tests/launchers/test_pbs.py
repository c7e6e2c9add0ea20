"""The PBS launcher against the simulated GroqRack's PBS stand-in (qsub/qstat/qdel)."""
from __future__ import annotations

import pytest

from envdoctor.errors import StepFailed
from envdoctor.launchers.params import parse_sets
from envdoctor.runner import execute


@pytest.fixture
def groq_node(sim_node):
    return sim_node("groq")


def test_qsub_job_output_files_and_status(toy, groq_node) -> None:
    recipe, target = toy("pbs", sched="pbs", flags='[-l, "select=1,place=excl"]', submit_from="run", node=groq_node)
    ref = recipe.run(None)
    lines: list[str] = []
    rec = execute(recipe, target, ref, parse_sets(ref, ["epochs=2", "lr=5"]), echo=lines.append).record
    assert rec.status == "ok", rec.log_tail
    assert rec.job_id.endswith(".groq-r01-co") and rec.metrics["accuracy"] == 80.0
    assert any(line.startswith("$ qsub -l select=1,place=excl") for line in lines)
    run_dir = rec.log[:-4]
    seq = rec.job_id.split(".")[0]
    import os

    assert os.path.exists(f"{run_dir}/run_job.sh.o{seq}") and os.path.exists(f"{run_dir}/run_job.sh.e{seq}")


def test_failed_pbs_job(toy, groq_node) -> None:
    recipe, target = toy("pbs", sched="pbs", submit_from="run", node=groq_node)
    rec = execute(recipe, target, recipe.run(None), parse_sets(recipe.run(None), ["mode=slow"])).record
    assert rec.status == "failed" and rec.exit_status == 5


def test_groqrack_rule_refuses_on_a_login_node(toy) -> None:
    recipe, target = toy("pbs", sched="pbs", submit_from="run", hostname="toy-login-01")
    with pytest.raises(StepFailed, match="login node.*`ssh toy-node-01` first"):
        execute(recipe, target, recipe.run(None), {})


def test_job_script_initialises_conda(tmp_path) -> None:
    """The PBS job script carries the conda init block and `conda activate`, as the course's does."""
    from envdoctor.launchers.base import activation
    from envdoctor.recipe import catalog
    from envdoctor.targets import RealTarget

    lines = activation(catalog().get("groq"), RealTarget(str(tmp_path), "u", "groq-r01-gn-01"))
    assert lines[0] == "# >>> conda initialize >>>" and lines[-1] == "conda activate groqflow"
    assert any(f"{tmp_path}/miniconda3/bin/conda" in line and "shell.bash" in line for line in lines)
