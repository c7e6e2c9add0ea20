from __future__ import annotations

import os
import subprocess

from stepkit import git, step

from envdoctor.steps import git as git_step
from envdoctor.steps.base import NoProgress


def _clone(node, ref: str = "v1") -> None:
    dest = node.home / "R_1" / "demo"
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--branch", ref, str(node.upstream), str(dest)], check=True, capture_output=True)


def test_fresh_clone_plan_apply_idempotent(node):
    s, ctx = step(node.recipe, "git:demo"), node.ctx()
    assert "not cloned" in git_step.is_done(s, ctx)
    plan = git_step.plan(s, ctx)
    assert [a.text for a in plan] == ["git clone --branch v1 https://github.com/example/demo.git ~/R_1/demo"]
    git_step.apply(s, ctx, NoProgress())
    assert git_step.is_done(s, ctx) is None
    assert git("rev-parse", "HEAD", cwd=node.home / "R_1" / "demo") == node.tags["v1"]


def test_clone_at_other_tag_is_moved(node):
    _clone(node, "v2")
    s, ctx = step(node.recipe, "git:demo"), node.ctx()
    assert "not at the tag v1" in git_step.is_done(s, ctx)
    texts = [a.text for a in git_step.plan(s, ctx)]
    assert texts[-1] == "cd ~/R_1/demo && git checkout v1"
    assert not any("stash" in t for t in texts)
    git_step.apply(s, ctx, NoProgress())
    assert git_step.is_done(s, ctx) is None


def test_local_changes_are_kept_in_a_stash_and_branch(node):
    _clone(node, "v2")
    dest = node.home / "R_1" / "demo"
    (dest / "demo_app" / "__init__.py").write_text("VERSION = 'mine'\n")
    (dest / "notes.txt").write_text("my untracked notes\n")
    s, ctx = step(node.recipe, "git:demo"), node.ctx()
    texts = [a.text for a in git_step.plan(s, ctx)]
    assert any(t.startswith("cd ~/R_1/demo && git stash push -m envdoctor-backup-") for t in texts)
    assert any("local changes" in t for t in texts)
    git_step.apply(s, ctx, NoProgress())
    assert git_step.is_done(s, ctx) is None
    assert (dest / "notes.txt").read_text() == "my untracked notes\n"
    assert "envdoctor-backup-" in git("stash", "list", cwd=dest)
    assert git("show", "stash@{0}:demo_app/__init__.py", cwd=dest) == "VERSION = 'mine'"
    assert git("rev-parse", f"envdoctor-backup-{ctx.stamp}", cwd=dest) == node.tags["v2"]


def test_missing_tag_is_fetched(node):
    _clone(node, "v1")
    dest = node.home / "R_1" / "demo"
    git("checkout", "-q", "--detach", "HEAD", cwd=dest)
    git("tag", "-d", "v1", cwd=dest)
    git("checkout", "-q", node.tags["v2"], cwd=dest)
    s, ctx = step(node.recipe, "git:demo"), node.ctx()
    assert "does not have the tag v1" in git_step.is_done(s, ctx)
    assert any("git fetch --tags --force origin" in a.text for a in git_step.plan(s, ctx))
    git_step.apply(s, ctx, NoProgress())
    assert git_step.is_done(s, ctx) is None


def test_branch_ref(node):
    recipe = node.recipe_with()
    repo = recipe.repos[0]
    object.__setattr__(repo, "ref", "main")
    object.__setattr__(repo, "ref_kind", "branch")
    _clone(node, "v1")
    s, ctx = step(recipe, "git:demo"), node.ctx(recipe)
    assert "not on branch main" in git_step.is_done(s, ctx)
    git_step.apply(s, ctx, NoProgress())
    assert git_step.is_done(s, ctx) is None


def test_not_a_clone_is_moved_aside(node):
    dest = node.home / "R_1" / "demo"
    dest.mkdir(parents=True)
    (dest / "precious.txt").write_text("keep me")
    s, ctx = step(node.recipe, "git:demo"), node.ctx()
    assert "not a git clone" in git_step.is_done(s, ctx)
    git_step.apply(s, ctx, NoProgress())
    assert git_step.is_done(s, ctx) is None
    backups = list(dest.parent.glob("demo.envdoctor-backup-*"))
    assert len(backups) == 1 and (backups[0] / "precious.txt").read_text() == "keep me"


def test_unreachable_url_fails_in_one_line_and_leaves_nothing(node):
    recipe = node.recipe_with(url="https://github.com/example/does-not-exist.git")
    meta = dict(node.target.meta)
    meta["upstreams"] = {"https://github.com/example/does-not-exist.git": f"file://{node.root}/upstreams/nope.git"}
    from dataclasses import replace

    target = replace(node.target, meta=meta)
    from envdoctor import engine

    ctx = engine.make_context(recipe, target)
    s = step(recipe, "git:demo")
    import pytest

    from envdoctor.errors import StepFailed

    with pytest.raises(StepFailed) as info:
        engine._apply_one(s, git_step, ctx, engine.Journal(target), open(os.devnull, "w"))
    message = str(info.value)
    assert "\n" not in message and "git:demo" in message and "cannot clone" in message
    assert not (node.home / "R_1").exists()
