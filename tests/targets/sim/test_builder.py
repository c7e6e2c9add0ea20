"""The fresh simulated node of each platform: layout, sim.json, dotfiles, vendor commands, upstreams."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from simhelpers import git, shell

from envdoctor.recipe import catalog

PLATFORMS = ["cerebras", "graphcore", "groq", "sambanova"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_fresh_node_layout(sim_node, platform: str) -> None:
    target = sim_node(platform)
    root = Path(target.root)
    recipe = catalog().get(platform)
    meta = json.loads((root / "sim.json").read_text())
    assert meta["schema"] == "envdoctor/sim@1" and meta["platform"] == platform and meta["faults"] == []
    assert meta["ready"] is False
    assert target.node_role(recipe.hosts.login, recipe.hosts.run) == "run"
    # RHEL-style dotfiles: .bash_profile -> .bashrc -> R/etc/bashrc
    assert ". ~/.bashrc" in (Path(target.home) / ".bash_profile").read_text()
    assert str(root / "etc/bashrc") in (Path(target.home) / ".bashrc").read_text()
    # interpreters: the recipe's python is played by a real host interpreter; python3 is another minor
    required = recipe.environment.python
    played = meta["python_versions"][required]
    assert target.expected_python(required) == played
    py3 = root / "usr/bin/python3"
    assert py3.is_symlink() and os.path.exists(os.path.realpath(py3))
    assert meta["system_python3"]["version"].split(".")[:2] != played.split(".")[:2]
    if recipe.environment.kind == "venv":
        link = Path(target.path(recipe.environment.interpreter))
        assert link.is_symlink() and os.path.realpath(link) == os.path.realpath(meta["interpreters"][required])
    # the wheelhouse has the vendor stand-ins and pip/setuptools
    names = {p.name.split("-")[0] for p in (root / "wheelhouse").glob("*.whl")}
    assert {"cerebras_pytorch", "poptorch", "sambaflow", "datasets", "soundfile", "torchvision", "pip",
            "setuptools"} <= names
    # upstreams: bare repos with the recipe's ref
    for repo in recipe.repos:
        url = target.url(repo.url)
        assert url.startswith("file://")
        bare = Path(url[len("file://"):])
        refs = git(bare, "for-each-ref", "--format=%(refname:short)").split()
        assert repo.ref in refs
    assert (root / "cache/Miniconda3-latest-Linux-x86_64.sh").stat().st_mode & 0o111
    # a fresh account: no env yet (SambaNova's system venv is always there)
    env_path = Path(target.path(recipe.environment.path))
    assert env_path.exists() == (recipe.environment.kind == "system")


def test_modelzoo_upstream_tags_and_refusal(sim_node) -> None:
    target = sim_node("cerebras")
    bare = Path(target.url("https://github.com/Cerebras/modelzoo.git")[len("file://"):])
    tags = git(bare, "tag", "-l").split()
    assert {"Release_2.3.0", "Release_2.9.0", "Release_2.10.0"} <= set(tags)
    assert git(bare, "cat-file", "-t", "Release_2.10.0") == "tag"  # annotated
    assert git(bare, "rev-list", "-n1", "main") != git(bare, "rev-list", "-n1", "Release_2.10.0")  # main is ahead
    assert "setup.py" in git(bare, "ls-tree", "--name-only", "Release_2.10.0").split()
    setup_cfg = git(bare, "show", "Release_2.10.0:setup.cfg")
    assert "cerebras_pytorch==2.10.0" in setup_cfg and "cszoo = cerebras.modelzoo.cli.main:main" in setup_cfg
    assert "is not a mountable package on the appliance" in setup_cfg
    assert "envdoctor_sim_build" in git(bare, "show", "Release_2.10.0:pyproject.toml")
    assert "2.9.0" in git(bare, "show", "Release_2.9.0:setup.cfg")
    assert "setup.py" not in git(bare, "ls-tree", "--name-only", "Release_2.3.0").split()
    assert "cerebras_pytorch==2.3.0" in git(bare, "show", "Release_2.3.0:requirements.txt")


def test_upstreams_are_reproducible(tmp_path: Path) -> None:
    from envdoctor.targets.sim import upstreams

    up = upstreams.for_url("https://github.com/groq/groqflow.git")
    a, b = upstreams.build(up, tmp_path / "a"), upstreams.build(up, tmp_path / "b")
    assert git(a, "rev-parse", "main", "v4.2.1") == git(b, "rev-parse", "main", "v4.2.1")




def test_cerebras_datasets(sim_node) -> None:
    from ruamel.yaml import YAML

    target = sim_node("cerebras")
    for edit in catalog().get("cerebras").edits:
        config = YAML(typ="safe").load(Path(target.path(edit.copy_from)).read_text())
        loaders = config["trainer"]["fit"]
        dirs = [v["data_dir"] for v in loaders.values() if isinstance(v, dict) and "data_dir" in v]
        assert dirs and all(Path(d).is_dir() and d.startswith(target.root) for d in dirs)


def test_vendor_commands_in_login_shells(sim_node) -> None:
    gc = sim_node("graphcore")
    out = shell(gc, "popc --version; type sbatch srun | head -2", "-l")
    assert "POPLAR version 3.3.0 (de1f8de2a7)" in out.stdout
    assert str(Path(gc.root) / "opt/slurm/bin/sbatch") in out.stdout
    wheel = Path(gc.path("/software/graphcore/poplar_sdk/3.3.0/poptorch-3.3.0+113432_960e9c294b_ubuntu_20_04-py3-none-any.whl"))
    assert wheel.is_file()
    sn = sim_node("sambanova")
    out = shell(sn, "snconfig --version; sntilestat | head -2; type srun", "-l")
    assert "SambaFlow" in out.stdout and "TILE" in out.stdout
    app = Path(sn.path("/opt/sambaflow/apps/nlp/transformers_on_rdu/venv/bin/python"))
    version = shell(sn, f"{app} -c 'import sambaflow; print(sambaflow.__version__)'").stdout.strip()
    assert version == "1.19.1"
    assert Path(sn.path("/opt/sambaflow/apps/starters/lenet/lenet.py")).is_file()


def test_bad_input_is_one_line_exit_2(cli, tmp_path: Path) -> None:
    rc, out, err = cli("sim", "create", "nosuch", "--root", str(tmp_path / "x"))
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "unknown platform" in err
    rc, out, err = cli("sim", "create", "groq", "--root", str(tmp_path / "x"), "--fault", "no-such-fault")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "conda-not-initialized" in err
    rc, out, err = cli("sim", "create", "groq", "--root", str(tmp_path / "x"), "--fault", "sdk-not-enabled")
    assert rc == 2 and "does not apply" in err
    user_dir = tmp_path / "mine"
    user_dir.mkdir()
    (user_dir / "thesis.tex").write_text("precious")
    rc, out, err = cli("sim", "create", "groq", "--root", str(user_dir))
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--force" in err
    rc, out, err = cli("sim", "create", "groq", "--root", str(user_dir), "--force")
    assert rc == 2 and "not a simulated node" in err
    assert (user_dir / "thesis.tex").read_text() == "precious"
    assert not (tmp_path / "x").exists()


def test_create_and_force_replace(cli, tmp_path: Path) -> None:
    root = tmp_path / "node"
    rc, out, err = cli("sim", "create", "groq", "--root", str(root))
    assert rc == 0, err
    assert f"envdoctor check groq --target sim --sim-root {root}" in out
    (Path(root) / "marker").write_text("old")
    rc, out, err = cli("sim", "create", "groq", "--root", str(root))
    assert rc == 2
    rc, out, err = cli("sim", "create", "groq", "--root", str(root), "--force", "--fault", "on-login-node")
    assert rc == 0, err
    assert not (root / "marker").exists()
    meta = json.loads((root / "sim.json").read_text())
    assert meta["faults"] == ["on-login-node"] and meta["hostname"] == "groq.ai.alcf.anl.gov"


def test_sim_faults_lists_names(cli) -> None:
    rc, out, err = cli("sim", "faults", "groq")
    names = out.split()
    assert rc == 0 and out.count("\n") == len(names)
    assert {"conda-not-initialized", "conda-init-behind-guard", "bash-profile-skips-bashrc", "env-missing",
            "wrong-python", "repo-wrong-tag", "user-site-shadowing"} <= set(names)
    rc, out, _ = cli("sim", "faults", "cerebras")
    assert {"data-dir-unedited", "proxy-missing", "conda-base-active", "vendor-version-skew"} <= set(out.split())
    rc, out, err = cli("sim", "faults", "nope")
    assert rc == 2
