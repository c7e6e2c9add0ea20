"""Every injectable fault applies on a ready node, has its effect, and is recorded in sim.json.

A ready node per platform is built once (the course's commands really run); each fault is
applied to a copy of it of its own (tests/nodes.py).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from simhelpers import git, shell

from envdoctor.recipe import catalog
from envdoctor.targets import Target
from envdoctor.targets.sim import faults as fault_mod
from envdoctor.targets.sim.node import SimNode

pytestmark = pytest.mark.slow


@pytest.fixture
def pristine(sim_node) -> Callable[[str], Target]:
    """A ready node of the platform, as the course leaves it (built once, a copy per test)."""
    return lambda platform: sim_node(platform, ready=True)


def _inject(target: Target, name: str) -> Target:
    from envdoctor.targets import open_sim

    recipe = catalog().get(target.meta["platform"], target.meta["release"])
    node = SimNode(Path(target.root), recipe, dict(target.meta))
    (fault,) = fault_mod.resolve(recipe, [name])
    fault_mod.check_injectable(node, [fault])
    fault.apply(node)
    node.meta["faults"].append(fault.name)
    node.save_meta()
    return open_sim(target.root)


def _bashrc(t: Target) -> str:
    return (Path(t.home) / ".bashrc").read_text()


def _pip_version(t: Target, env: str, name: str) -> str:
    out = shell(t, f"{t.path(env)}/bin/python -c 'import importlib.metadata as m; print(m.version(\"{name}\"))'")
    return out.stdout.strip()


GROQ_ENV = "~/miniconda3/envs/groqflow"
EFFECTS: dict[tuple[str, str], Callable[[Target], bool]] = {
    ("groq", "conda-not-initialized"): lambda t: "conda initialize" not in _bashrc(t)
        and Path(t.home, "miniconda3/bin/conda").exists()
        and "command not found" in shell(t, "conda --version", "-l", "-i").stderr,
    ("groq", "conda-init-behind-guard"): lambda t: shell(t, "type conda", "-l", "-i").returncode == 0
        and shell(t, "type conda", "-l").returncode != 0,
    ("groq", "bash-profile-skips-bashrc"): lambda t: shell(t, "type conda", "-l", "-i").returncode != 0
        and shell(t, "type conda", "-i").returncode == 0,
    ("groq", "conda-missing"): lambda t: not Path(t.home, "miniconda3").exists() and "conda initialize" not in _bashrc(t),
    ("groq", "env-missing"): lambda t: not Path(t.path(GROQ_ENV)).exists(),
    ("groq", "wrong-python"): lambda t: shell(t, f"{t.path(GROQ_ENV)}/bin/python -V").stdout.split()[1].startswith(
        ".".join(t.meta["system_python3"]["version"].split(".")[:2])) and _pip_version(t, GROQ_ENV, "groqflow") != "",
    ("groq", "repo-wrong-tag"): lambda t: git(Path(t.path("~/groqflow")), "describe", "--tags") == "v4.2.1",
    ("groq", "user-site-shadowing"): lambda t: shell(
        t, f"{t.path(GROQ_ENV)}/bin/python -c 'import datasets; print(datasets.__version__)'").stdout.strip() == "3.0.0",
    ("groq", "datasets-too-new"): lambda t: _pip_version(t, GROQ_ENV, "datasets") == "3.0.0",
    ("groq", "on-login-node"): lambda t: t.hostname == "groq.ai.alcf.anl.gov",
    ("cerebras", "repo-wrong-tag"): lambda t: git(Path(t.path("~/R_2.10.0/modelzoo")), "describe", "--tags") == "Release_2.9.0",
    ("cerebras", "data-dir-unedited"): lambda t: 'data_dir: "./' in Path(t.path(
        "~/R_2.10.0/modelzoo/src/cerebras/modelzoo/models/nlp/gpt3/configs/Cerebras_GPT/111m_modified.yaml")).read_text(),
    ("cerebras", "proxy-missing"): lambda t: "proxy" not in _bashrc(t).lower()
        and shell(t, "echo ${HTTPS_PROXY:-none}", "-l").stdout.strip() == "none",
    ("cerebras", "conda-base-active"): lambda t: shell(t, "echo ENV=$CONDA_DEFAULT_ENV", "-l", "-i").stdout.strip()
        .endswith("ENV=base"),
    ("cerebras", "vendor-version-skew"): lambda t: _pip_version(t, "~/R_2.10.0/venv_cerebras_pt", "cerebras_pytorch") == "2.9.0",
    ("cerebras", "user-site-shadowing"): lambda t: any(
        Path(t.home, ".local/lib").glob("python3.*/site-packages/cerebras_pytorch-2.9.0.dist-info")),
    ("cerebras", "env-missing"): lambda t: not Path(t.path("~/R_2.10.0/venv_cerebras_pt")).exists(),
    ("cerebras", "wrong-python"): lambda t: shell(t, f"{t.path('~/R_2.10.0/venv_cerebras_pt')}/bin/python -V")
        .stdout.split()[1].startswith(".".join(t.meta["system_python3"]["version"].split(".")[:2])),
    ("graphcore", "sdk-not-enabled"): lambda t: shell(t, "popc --version", "-l").returncode != 0,
    ("graphcore", "repo-wrong-tag"): lambda t: git(Path(t.path("~/graphcore/examples")), "describe", "--tags") == "v3.2.0",
    ("sambanova", "repo-wrong-tag"): lambda t: git(Path(t.path("~/ai-science-training-series")), "describe", "--tags")
        == "2024SpringSeries",
    ("sambanova", "conda-base-active"): lambda t: "(base)" in shell(t, "echo \"$PS1\"", "-l", "-i").stdout,
}


def _cases() -> list[tuple[str, str]]:
    cases = []
    for platform in ("groq", "cerebras", "graphcore", "sambanova"):
        for fault in fault_mod.available(catalog().get(platform)):
            cases.append((platform, fault.name))
    return cases


@pytest.mark.parametrize("platform,name", _cases())
def test_fault_applies_and_is_recorded(pristine, platform: str, name: str) -> None:
    target = _inject(pristine(platform), name)
    meta = json.loads(Path(target.root, "sim.json").read_text())
    assert meta["faults"][-1] == name
    effect = EFFECTS.get((platform, name))
    if effect is not None:
        assert effect(target), f"{name} on {platform} did not have its effect"


def test_ready_groq_node_works_in_every_shell(pristine) -> None:
    t = pristine("groq")
    for flags in (("-l", "-i"), ("-i",), ("-l",)):
        out = shell(t, "conda activate groqflow && python -c 'import groqflow, demo_helpers, datasets; "
                       "print(datasets.__version__)'", *flags)
        assert out.stdout.strip() == "2.21.0", (flags, out.stderr)


def test_create_records_faults_in_order(sim_node) -> None:
    target = sim_node("sambanova", faults=["on-login-node", "repo-wrong-tag"])
    assert target.meta["faults"] == ["on-login-node", "repo-wrong-tag"] and target.meta["ready"] is True
    assert git(Path(target.path("~/ai-science-training-series")), "describe", "--tags") == "2024SpringSeries"
