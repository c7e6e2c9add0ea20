"""End to end on simulated nodes: a --ready node of every platform is healthy, and every
injected fault is found by its check, with its specific fix.

Building a node takes tens of seconds (real virtualenvs, real pip from the wheelhouse), so
faults that do not interfere share a node; each group is built once per session.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envdoctor.checks import run_all, select
from envdoctor.probe import ProbeContext, collect
from envdoctor.recipe import catalog
from envdoctor.results import Status

pytestmark = pytest.mark.slow

# group -> (platform, faults applied in this order)
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "groq-a": ("groq", ("conda-not-initialized", "repo-wrong-tag", "datasets-too-new")),
    "groq-b": ("groq", ("conda-init-behind-guard", "user-site-shadowing", "on-login-node")),
    "groq-c": ("groq", ("bash-profile-skips-bashrc", "wrong-python")),
    "groq-d": ("groq", ("env-missing", "conda-missing")),
    "cerebras-a": ("cerebras", ("env-missing", "repo-wrong-tag", "data-dir-unedited", "proxy-missing")),
    "cerebras-b": ("cerebras", ("wrong-python", "conda-base-active", "on-login-node")),
    "cerebras-c": ("cerebras", ("user-site-shadowing", "vendor-version-skew")),
    "graphcore-a": ("graphcore", ("env-missing", "sdk-not-enabled")),
    "graphcore-b": ("graphcore", ("wrong-python", "repo-wrong-tag", "conda-base-active", "on-login-node")),
    "sambanova-a": ("sambanova", ("repo-wrong-tag", "conda-base-active", "on-login-node")),
}

# (group, fault) -> (check id, status, a command the fix must contain, a phrase of the why)
EXPECT: dict[tuple[str, str], tuple[str, Status, str, str]] = {
    ("groq-a", "conda-not-initialized"): ("conda.shell-init", Status.FAIL, "conda init bash", "never initialised"),
    ("groq-a", "repo-wrong-tag"): ("repo.ref", Status.WARN, "cd ~/groqflow && git checkout main", "not on branch main"),
    ("groq-a", "datasets-too-new"): ("packages.required", Status.FAIL, "pip install soundfile datasets==2.21.0",
                                     "needs datasets==2.21.0"),
    ("groq-b", "conda-init-behind-guard"): ("conda.shell-init", Status.WARN,
                                            'eval "$(~/miniconda3/bin/conda shell.bash hook)"', "returns for non-interactive"),
    # a conda env reads ~/.local before its own site-packages: the wrong version really wins
    ("groq-b", "user-site-shadowing"): ("packages.user-site", Status.FAIL,
                                        "mv ~/.local/lib/python3.10 ~/.local/lib/python3.10.disabled",
                                        "loads datasets"),
    ("groq-b", "on-login-node"): ("scheduler.submit-host", Status.WARN, "ssh groq-r01-gn-01.ai.alcf.anl.gov",
                                  "qsub is not supported here"),
    ("groq-c", "bash-profile-skips-bashrc"): ("conda.shell-init", Status.FAIL,
                                              "echo '[ -f ~/.bashrc ] && . ~/.bashrc' >> ~/.bash_profile",
                                              "never sources ~/.bashrc"),
    ("groq-c", "wrong-python"): ("conda.env-python", Status.FAIL, "conda remove -n groqflow --all -y", "needs Python 3.10.12"),
    ("groq-d", "env-missing"): ("conda.env-exists", Status.FAIL, "conda create -n groqflow python=3.10.12 -y", "does not exist"),
    ("groq-d", "conda-missing"): ("conda.installed", Status.FAIL, "bash Miniconda3-latest-Linux-x86_64.sh -b -p ~/miniconda3",
                                  "not installed"),
    ("cerebras-a", "env-missing"): ("venv.exists", Status.FAIL, "/usr/bin/python3.11 -m venv ~/R_2.10.0/venv_cerebras_pt",
                                    "does not exist"),
    ("cerebras-a", "repo-wrong-tag"): ("repo.ref", Status.FAIL, "cd ~/R_2.10.0/modelzoo && git checkout Release_2.10.0",
                                       "not at tag Release_2.10.0"),
    ("cerebras-a", "data-dir-unedited"): ("config.data-dir", Status.FAIL,
                                          "cp /software/cerebras/dataset/OWT/Pytorch/111m_modified.yaml", "data_dir"),
    ("cerebras-a", "proxy-missing"): ("network.proxy", Status.FAIL,
                                      "echo 'export https_proxy=http://proxy.alcf.anl.gov:3128' >> ~/.bashrc", "https_proxy"),
    ("cerebras-b", "wrong-python"): ("venv.python", Status.FAIL, "rm -rf ~/R_2.10.0/venv_cerebras_pt", "needs Python 3.11"),
    ("cerebras-b", "conda-base-active"): ("conda.base-active", Status.FAIL, "conda deactivate", "(venv_cerebras_pt) (base)"),
    ("cerebras-b", "on-login-node"): ("host.node-role", Status.WARN, "ssh cer-usn-01", "login node"),
    ("cerebras-c", "user-site-shadowing"): ("packages.user-site", Status.WARN,
                                            "mv ~/.local/lib/python3.11 ~/.local/lib/python3.11.disabled", "~/.local"),
    ("cerebras-c", "vendor-version-skew"): ("repo.vendor-version", Status.FAIL, "cd ~/R_2.10.0 && pip install -e modelzoo",
                                            "Release_2.10.0"),
    ("graphcore-a", "env-missing"): ("venv.exists", Status.FAIL,
                                     "virtualenv -p /usr/bin/python3.8 ~/venvs/graphcore/poptorch33_env", "does not exist"),
    ("graphcore-a", "sdk-not-enabled"): ("sdk.tools", Status.FAIL, "source /software/graphcore/poplar_sdk/3.3.0/enable", "popc"),
    ("graphcore-b", "wrong-python"): ("venv.python", Status.FAIL, "rm -rf ~/venvs/graphcore/poptorch33_env", "needs Python 3.8"),
    ("graphcore-b", "repo-wrong-tag"): ("repo.ref", Status.FAIL, "cd ~/graphcore/examples && git checkout v3.3.0", "v3.3.0"),
    ("graphcore-b", "conda-base-active"): ("conda.base-active", Status.FAIL, "conda config --set auto_activate_base false",
                                           "(base)"),
    ("graphcore-b", "on-login-node"): ("scheduler.submit-host", Status.WARN, "ssh gc-poplar-02.ai.alcf.anl.gov", "srun or sbatch"),
    ("sambanova-a", "repo-wrong-tag"): ("repo.ref", Status.FAIL, "cd ~/ai-science-training-series && git checkout 2024FallSeries",
                                        "2024FallSeries"),
    ("sambanova-a", "conda-base-active"): ("conda.base-active", Status.FAIL, "conda deactivate", "(base)"),
    ("sambanova-a", "on-login-node"): ("host.node-role", Status.WARN, "ssh sn30-r1-h1", "login node"),
}

_BUILT: dict[str, Any] = {}


def _report(node_store: Any, key: str, platform: str, faults: tuple[str, ...]) -> dict:
    if key not in _BUILT:
        try:
            target = node_store.node(platform, ready=True, faults=faults)
        except Exception as exc:  # build once per group, even when the builder fails
            _BUILT[key] = exc
            raise
        recipe = catalog().get(platform, target.meta.get("release"))
        probe = collect(ProbeContext(target, recipe, offline=True))
        _BUILT[key] = {r.id: r for r in run_all(select(recipe), probe, recipe)}
        node_store.discard(target)  # the results are kept; the node is not needed again
    if isinstance(_BUILT[key], Exception):
        pytest.fail(f"the simulated node {key} could not be built: {_BUILT[key]}")
    return _BUILT[key]


@pytest.fixture(scope="module", autouse=True)
def _forget_nodes():
    yield
    _BUILT.clear()


def _builder_available() -> bool:
    try:
        import envdoctor.targets.sim.builder  # noqa: F401
    except ImportError:
        return False
    return True


needs_builder = pytest.mark.skipif(not _builder_available(), reason="the simulated node builder is not there yet")


@needs_builder
@pytest.mark.parametrize("platform", ["groq", "cerebras", "graphcore", "sambanova"])
def test_ready_node_is_healthy(platform: str, node_store: Any) -> None:
    results = _report(node_store, f"{platform}-ready", platform, ())
    bad = {i: (r.status.value, r.why) for i, r in results.items() if r.status in (Status.FAIL, Status.ERROR)}
    assert not bad, bad
    warned = {i: r.why for i, r in results.items() if r.status == Status.WARN}
    assert not warned, warned


@needs_builder
@pytest.mark.parametrize("group,fault", sorted(EXPECT), ids=[f"{g}:{f}" for g, f in sorted(EXPECT)])
def test_fault_is_found_with_its_fix(group: str, fault: str, node_store: Any) -> None:
    platform, faults = GROUPS[group]
    results = _report(node_store, group, platform, faults)
    check_id, status, command, phrase = EXPECT[(group, fault)]
    r = results[check_id]
    assert r.status == status, (r.status, r.why)
    assert any(command in c for c in r.commands), r.commands
    assert phrase in r.why, r.why
    errors = {i: x.why for i, x in results.items() if x.status == Status.ERROR}
    assert not errors, errors


def test_every_fault_is_covered() -> None:
    """Each fault the builder can inject for a platform appears in some group above."""
    if not _builder_available():
        pytest.skip("the simulated node builder is not there yet")
    from envdoctor.targets.sim import faults as fault_mod

    covered = {(GROUPS[g][0], f) for g, f in EXPECT}
    for platform in ("groq", "cerebras", "graphcore", "sambanova"):
        for f in fault_mod.available(catalog().get(platform)):
            assert (platform, f.name) in covered, (platform, f.name)


def test_groups_cover_their_faults() -> None:
    for group, (_, faults) in GROUPS.items():
        for f in faults:
            assert (group, f) in EXPECT, (group, f)
    assert Path(__file__).exists()
