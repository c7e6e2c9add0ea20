"""repo.*, config.* and network.* checks against real git repositories, real YAML, real HTTP."""
from __future__ import annotations

from pathlib import Path

from envhelpers import PROFILE_SOURCING, Node, git, recipe, results, upstream

from envdoctor.results import Status

REPO_IDS = ("repo.cloned", "repo.ref")


def modelzoo(node: Node, tmp_path: Path, checkout: str | None = "Release_2.10.0") -> Path:
    bare = upstream(tmp_path, "modelzoo", ["Release_2.9.0", "Release_2.10.0"], files={"setup.py": "__version__ = '2.10.0'\n"})
    node.meta["upstreams"] = {"https://github.com/Cerebras/modelzoo.git": f"file://{bare}"}
    dest = node.home / "R_2.10.0" / "modelzoo"
    dest.parent.mkdir(parents=True)
    git("clone", "-q", str(bare), str(dest))
    if checkout:
        git("checkout", "-q", checkout, cwd=dest)
    return dest


def test_repo_at_tag(node: Node, tmp_path: Path) -> None:
    node.hostname = "cer-usn-01"
    modelzoo(node, tmp_path)
    res = results(node, recipe("cerebras"), REPO_IDS, ("repos",))
    assert res["repo.cloned"].status == Status.OK
    assert "clone of https://github.com/Cerebras/modelzoo.git" in res["repo.cloned"].evidence[0]  # sim upstream unmapped
    assert res["repo.ref"].status == Status.OK


def test_repo_missing(node: Node) -> None:
    r = results(node, recipe("cerebras"), REPO_IDS, ("repos",))
    assert r["repo.cloned"].status == Status.FAIL
    assert r["repo.cloned"].commands == ("mkdir -p ~/R_2.10.0",
                                         "git clone https://github.com/Cerebras/modelzoo.git ~/R_2.10.0/modelzoo",
                                         "cd ~/R_2.10.0/modelzoo && git checkout Release_2.10.0")
    assert r["repo.ref"].status == Status.SKIP


def test_repo_wrong_tag(node: Node, tmp_path: Path) -> None:
    modelzoo(node, tmp_path, "Release_2.9.0")
    r = results(node, recipe("cerebras"), REPO_IDS, ("repos",))["repo.ref"]
    assert r.status == Status.FAIL
    assert "(tag Release_2.9.0)" in r.why and "not at tag Release_2.10.0" in r.why
    assert r.commands == ("cd ~/R_2.10.0/modelzoo && git checkout Release_2.10.0",)


def test_repo_on_main_after_clone(node: Node, tmp_path: Path) -> None:
    modelzoo(node, tmp_path, checkout=None)
    r = results(node, recipe("cerebras"), REPO_IDS, ("repos",))["repo.ref"]
    assert r.status == Status.FAIL and "on branch main" in r.why


def test_tag_missing_locally(node: Node, tmp_path: Path) -> None:
    dest = modelzoo(node, tmp_path, checkout=None)
    git("tag", "-d", "Release_2.10.0", cwd=dest)
    r = results(node, recipe("cerebras"), REPO_IDS, ("repos",))["repo.ref"]
    assert r.status == Status.FAIL and "has no tag Release_2.10.0" in r.why and "does not fetch new tags" in r.why
    assert r.commands == ("cd ~/R_2.10.0/modelzoo && git fetch --tags origin && git checkout Release_2.10.0",)


def test_required_file_missing_means_reclone(node: Node, tmp_path: Path) -> None:
    dest = modelzoo(node, tmp_path)
    (dest / "setup.py").unlink()
    r = results(node, recipe("cerebras"), REPO_IDS, ("repos",))["repo.ref"]
    assert r.status == Status.FAIL and "setup.py is missing" in r.why and "re-clone" in r.why
    assert "git clone https://github.com/Cerebras/modelzoo.git ~/R_2.10.0/modelzoo" in r.commands


def test_not_a_git_clone(node: Node) -> None:
    (node.home / "R_2.10.0" / "modelzoo").mkdir(parents=True)
    r = results(node, recipe("cerebras"), REPO_IDS, ("repos",))["repo.cloned"]
    assert r.status == Status.FAIL and "is not a git clone" in r.why


def test_branch_repo(node: Node, tmp_path: Path) -> None:
    bare = upstream(tmp_path, "groqflow", ["v4.2.1", "v4.3.1"], files={"setup.py": "", "demo_helpers/setup.py": ""})
    dest = node.home / "groqflow"
    git("clone", "-q", str(bare), str(dest))
    assert results(node, recipe("groq"), REPO_IDS, ("repos",))["repo.ref"].status == Status.OK
    git("checkout", "-q", "v4.2.1", cwd=dest)
    r = results(node, recipe("groq"), REPO_IDS, ("repos",))["repo.ref"]
    assert r.status == Status.WARN and "tag v4.2.1" in r.why and "not on branch main" in r.why


# --- config ---------------------------------------------------------------------------------
GPT2 = "~/R_2.3.0/modelzoo/src/cerebras/modelzoo/models/nlp/gpt2/configs/params_gpt2_small.yaml"


def test_yaml_edit_values(node: Node) -> None:
    rec = recipe("cerebras", "R_2.3.0")
    data = node.root / "software/cerebras/dataset/OWT/Pytorch"
    (data / "train_8M_msl2048").mkdir(parents=True)
    (data / "val_msl2048").mkdir(parents=True)
    node.write(GPT2.replace("~/", ""), """\
        train_input:
          data_dir: "./language/datasets/owt_pretraining_gpt_hdf5/train_8M_msl2048"
          batch_size: 112
        eval_input:
          data_dir: "/path/to/val_msl2048"
        model:
          vocab_file: /home/otheruser/vocab.txt
        """)
    node.write("R_2.3.0/modelzoo/src/cerebras/modelzoo/models/nlp/bert/configs/bert_large_MSL128_sampleds.yaml",
               f"train_input:\n  data_dir: {node.root}/software/cerebras/dataset/OWT/Pytorch/train_8M_msl2048\n")
    res = results(node, rec, ("config.data-dir", "config.placeholders"), ("configs",))
    r = res["config.data-dir"]
    assert r.status == Status.FAIL
    assert f"{GPT2}:2: train_input.data_dir is './language" in r.why and "the course sets /software/cerebras" in r.why
    assert f"{GPT2}:2: train_input.data_dir: ./language/datasets/owt_pretraining_gpt_hdf5/train_8M_msl2048 is relative" in r.why
    assert f"{GPT2}:5: eval_input.data_dir: /path/to/val_msl2048 is still a placeholder" in r.why
    assert any("bert_large_MSL128_sampleds.yaml:2: train_input.data_dir: /software/cerebras" in e for e in r.evidence)
    p = res["config.placeholders"]
    assert p.status == Status.WARN and f"{GPT2}:5" in p.why


def test_data_dir_of_another_user_and_missing(node: Node) -> None:
    rec = recipe("cerebras")
    f = "R_2.10.0/modelzoo/src/cerebras/modelzoo/models/nlp/bert/configs/bert_large_MSL128_sampleds.yaml"
    node.write(f, "trainer:\n  fit:\n    train_dataloader:\n      data_dir: /home/instructor/bert/train\n"
                  "    val_dataloader:\n      data_dir: /software/cerebras/dataset/bert_large/missing\n")
    r = results(node, rec, ("config.data-dir",), ("configs",))["config.data-dir"]
    assert r.status == Status.FAIL
    assert "data_dir: /home/instructor/bert/train is under another user's home (instructor)" in r.why
    assert "val_dataloader.data_dir: /software/cerebras/dataset/bert_large/missing does not exist" in r.why
    assert ("cp /software/cerebras/dataset/bert_large/bert_large_MSL128_sampleds.yaml ~/" + f) in r.commands


def test_broken_yaml_is_a_finding(node: Node) -> None:
    f = "R_2.10.0/modelzoo/src/cerebras/modelzoo/models/nlp/bert/configs/bert_large_MSL128_sampleds.yaml"
    node.write(f, "trainer: [unclosed\n")
    r = results(node, recipe("cerebras"), ("config.data-dir",), ("configs",))["config.data-dir"]
    assert r.status == Status.FAIL and "is not valid YAML" in r.why


# --- network --------------------------------------------------------------------------------
def test_proxy_both_cases(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", "export HTTPS_PROXY=http://proxy.alcf.anl.gov:3128\n")
    r = results(node, recipe("cerebras"), ("network.proxy",), ("host", "shells"))["network.proxy"]
    assert r.status == Status.WARN and "wget reads only the lower-case name" in r.why
    assert r.commands == ("echo 'export https_proxy=http://proxy.alcf.anl.gov:3128' >> ~/.bashrc",)
    node.write(".bashrc", "")
    r = results(node, recipe("cerebras"), ("network.proxy",), ("host", "shells"))["network.proxy"]
    assert r.status == Status.FAIL and "HTTPS_PROXY, https_proxy not set in a login shell" in r.why
    node.write(".bashrc", "export HTTPS_PROXY=http://proxy.alcf.anl.gov:3128 https_proxy=http://proxy.alcf.anl.gov:3128\n")
    assert results(node, recipe("cerebras"), ("network.proxy",), ("host", "shells"))["network.proxy"].status == Status.OK


def test_reachable_skips_offline_and_on_sim(node: Node) -> None:
    r = results(node, recipe("groq"), ("network.reachable",), ("network",), offline=True)["network.reachable"]
    assert r.status == Status.SKIP and "--offline" in r.why
    r = results(node, recipe("groq"), ("network.reachable",), ("network",), offline=False)["network.reachable"]
    assert r.status == Status.SKIP and "simulated" in r.why

