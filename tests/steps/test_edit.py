from __future__ import annotations

import pytest
from stepkit import MODEL_YAML, step

from envdoctor.errors import StepFailed
from envdoctor.recipe import Step
from envdoctor.steps import edit
from envdoctor.steps.base import NoProgress


@pytest.fixture
def cloned(node):
    from envdoctor.steps import git as git_step

    git_step.apply(step(node.recipe, "git:demo"), node.ctx(), NoProgress())
    return node


def test_copy_diff_from_empty_then_idempotent(cloned):
    s, ctx = step(cloned.recipe, "edit:cfg-copy"), cloned.ctx()
    assert "does not exist" in edit.is_done(s, ctx)
    actions = edit.plan(s, ctx)
    assert actions[0].text == "cp /software/demo/params.yaml ~/R_1/demo/configs/params.yaml"
    assert actions[1].kind == "diff" and actions[1].text.startswith("--- /dev/null")
    edit.apply(s, ctx, NoProgress())
    assert edit.is_done(s, ctx) is None
    target = cloned.home / "R_1/demo/configs/params.yaml"
    assert target.read_text() == (cloned.root / "software/demo/params.yaml").read_text()


def test_copy_over_changed_file_keeps_backup(cloned):
    s, ctx = step(cloned.recipe, "edit:cfg-copy"), cloned.ctx()
    dest = cloned.home / "R_1/demo/configs/params.yaml"
    dest.write_text("my: own\n")
    assert edit.plan(s, ctx)[1].text.startswith("--- ~/R_1/demo/configs/params.yaml\n+++ ~/R_1/demo/configs/params.yaml\n")
    edit.apply(s, ctx, NoProgress())
    backups = list(dest.parent.glob("params.yaml.envdoctor-backup-*"))
    assert [b.read_text() for b in backups] == ["my: own\n"]


def test_yaml_keeps_comments_and_order(cloned):
    s, ctx = step(cloned.recipe, "edit:cfg-yaml"), cloned.ctx()
    path = cloned.home / "R_1/demo/configs/model.yaml"
    assert "does not have" in edit.is_done(s, ctx)
    diff = edit.plan(s, ctx)[0]
    assert diff.kind == "diff" and "+  data_dir: " + str(cloned.root / "software/demo/data") in diff.text
    edit.apply(s, ctx, NoProgress())
    text = path.read_text()
    assert text.startswith("# model config (comments must survive)\n")
    assert "# set me" in text
    assert text.index("train_input") < text.index("eval_input") < text.index("runconfig")
    assert "batch_size: 64\n" in text  # a number stays a number
    assert f"key: {cloned.home}/out" in text
    assert "data_dir: ./relative/eval" in text
    assert edit.is_done(s, ctx) is None
    assert len(list(path.parent.glob("model.yaml.envdoctor-backup-*"))) == 1
    assert list(path.parent.glob("model.yaml.envdoctor-backup-*"))[0].read_text() == MODEL_YAML


def test_replace(cloned):
    s, ctx = step(cloned.recipe, "edit:cfg-replace"), cloned.ctx()
    edit.apply(s, ctx, NoProgress())
    assert f"--data {cloned.root}/software/demo/data/train" in (cloned.home / "R_1/demo/run.sh").read_text()
    assert edit.is_done(s, ctx) is None


def test_refuses_to_write_outside_the_clone(cloned):
    s = Step("edit:escape", "edit", (("edit", "escape"),))
    ctx = cloned.ctx()
    assert "outside the clone" in edit.plan(s, ctx)[0].text
    with pytest.raises(StepFailed, match="outside the clone"):
        edit.apply(s, ctx, NoProgress())
    assert not (cloned.home / "R_1" / "outside.yaml").exists()


def test_refuses_symlink_out_of_the_clone(cloned):
    configs = cloned.home / "R_1/demo/configs"
    outside = cloned.home / "elsewhere"
    outside.mkdir()
    (configs / "model.yaml").unlink()
    (configs / "model.yaml").symlink_to(outside / "model.yaml")
    with pytest.raises(StepFailed, match="outside"):
        edit.apply(step(cloned.recipe, "edit:cfg-copy" if False else "edit:cfg-yaml"), cloned.ctx(), NoProgress())


def test_replace_edit_changes_only_the_replaced_text(cloned):
    """Bytes that are not UTF-8, CRLF lines and separators around the text stay; so do a
    hard link and the mode."""
    import os

    s, ctx = step(cloned.recipe, "edit:cfg-replace"), cloned.ctx()
    run = cloned.home / "R_1/demo/run.sh"
    original = b"#!/bin/bash\r\n# \xff\xfe " + "\u2028 \x0c \x85".encode() + b"\r\npython train.py --data /data/OLD/train\r\n"
    run.write_bytes(original)
    os.chmod(run, 0o751)
    os.link(run, cloned.home / "run.sh.link")
    inode = run.stat().st_ino
    edit.apply(s, ctx, NoProgress())
    new = original.replace(b"/data/OLD", str(cloned.root / "software/demo/data").encode())
    assert run.read_bytes() == new and (cloned.home / "run.sh.link").read_bytes() == new
    assert (run.stat().st_ino, run.stat().st_mode & 0o777) == (inode, 0o751)
    assert edit.is_done(s, ctx) is None
