from __future__ import annotations

import os
import subprocess

import pytest
from stepkit import host_pythons, step

from envdoctor.errors import StepFailed
from envdoctor.steps import envs, git as git_step, pip, venv
from envdoctor.steps.base import NoProgress


def _py(node, *code: str) -> str:
    return subprocess.run([str(node.home / "R_1/venv_demo/bin/python"), "-c", *code], capture_output=True, text=True).stdout


def test_venv_plan_apply_idempotent(node):
    s, ctx = step(node.recipe, "venv"), node.ctx()
    assert "does not exist" in venv.is_done(s, ctx)
    texts = [a.text for a in venv.plan(s, ctx)]
    assert texts == ["mkdir -p ~/R_1", f"/usr/bin/python{node.python} -m venv ~/R_1/venv_demo"]
    venv.apply(s, ctx, NoProgress())
    assert venv.is_done(s, ctx) is None
    assert _py(node, "import sys; print(sys.prefix != sys.base_prefix)").strip() == "True"


def test_virtualenv_creator_with_system_site_packages(node):
    recipe = node.recipe_with(creator="virtualenv", site="true")
    s, ctx = step(recipe, "venv"), node.ctx(recipe)
    assert venv.plan(s, ctx)[-1].text == (
        f"virtualenv --system-site-packages -p /usr/bin/python{node.python} ~/R_1/venv_demo")
    venv.apply(s, ctx, NoProgress())
    assert venv.is_done(s, ctx) is None
    assert "include-system-site-packages = true" in (node.home / "R_1/venv_demo/pyvenv.cfg").read_text()


@pytest.mark.skipif(len(host_pythons()) < 2, reason="needs a second Python version on this machine")
def test_venv_with_wrong_interpreter_is_moved_aside_and_recreated(node):
    node.recipe = node.recipe_with(creator="virtualenv")
    wrong = host_pythons()[1]
    subprocess.run([wrong, "-m", "venv", "--without-pip", str(node.home / "R_1/venv_demo")], check=True)
    (node.home / "R_1/venv_demo/mine.txt").write_text("x")
    s, ctx = step(node.recipe, "venv"), node.ctx()
    assert "the recipe needs" in venv.is_done(s, ctx)
    texts = [a.text for a in venv.plan(s, ctx)]
    assert any("the recipe needs" in t for t in texts)
    assert any(t.startswith("mv ~/R_1/venv_demo ~/R_1/venv_demo.envdoctor-backup-") for t in texts)
    venv.apply(s, ctx, NoProgress())
    assert venv.is_done(s, ctx) is None
    [backup] = (node.home / "R_1").glob("venv_demo.envdoctor-backup-*")
    assert (backup / "mine.txt").read_text() == "x"


def test_broken_venv_is_not_done(node):
    node.recipe = node.recipe_with(creator="virtualenv")
    s, ctx = step(node.recipe, "venv"), node.ctx()
    venv.apply(s, ctx, NoProgress())
    os.unlink(node.home / "R_1/venv_demo/bin/python")
    os.symlink("/nonexistent/python", node.home / "R_1/venv_demo/bin/python")
    envs.forget(ctx)
    assert "does not run" in venv.is_done(s, ctx)


@pytest.fixture
def with_venv(node):
    node.recipe = node.recipe_with(creator="virtualenv")
    ctx = node.ctx()
    venv.apply(step(node.recipe, "venv"), ctx, NoProgress())
    git_step.apply(step(node.recipe, "git:demo"), ctx, NoProgress())
    return node


def test_pip_requirement_pins_and_idempotence(with_venv):
    node = with_venv
    s, ctx = step(node.recipe, "pip-demo"), node.ctx()
    assert "demo_pkg is not installed" in pip.is_done(s, ctx)
    texts = [a.text for a in pip.plan(s, ctx)]
    assert texts == ["source ~/R_1/venv_demo/bin/activate", "pip install demo_pkg==1.0"]
    pip.apply(s, ctx, NoProgress())
    assert pip.is_done(s, ctx) is None
    # a newer version is not the pin
    subprocess.run([str(node.home / "R_1/venv_demo/bin/python"), "-m", "pip", "install", "-q", "demo_pkg==2.0"],
                   env=ctx.env, check=True)
    envs.forget(ctx)
    assert "2.0 is installed, the recipe needs demo_pkg==1.0" in pip.is_done(s, ctx)


def test_pip_glob_from_mapped_root(with_venv):
    node = with_venv
    s, ctx = step(node.recipe, "pip-vendor"), node.ctx()
    assert [a.text for a in pip.plan(s, ctx)][-1] == "pip install /software/demo/vendor-3.3.0+abc123-py3-none-any.whl"
    pip.apply(s, ctx, NoProgress())
    assert pip.is_done(s, ctx) is None


def test_pip_missing_wheel_fails_in_one_line(with_venv):
    node = with_venv
    for wheel in (node.root / "software/demo").glob("vendor-*.whl"):
        wheel.unlink()
    s, ctx = step(node.recipe, "pip-vendor"), node.ctx()
    assert any("does not exist on this node" in a.text for a in pip.plan(s, ctx))
    with pytest.raises(StepFailed, match=r"pip-vendor failed: /software/demo/vendor-3.3.0\+\*.whl does not exist"):
        pip.apply(s, ctx, NoProgress())


def test_pip_unknown_package_fails_with_pips_reason(with_venv):
    node = with_venv
    recipe = node.recipe_with()
    s = step(recipe, "pip-demo")
    object.__setattr__(s, "fields", (("args", ["install", "no_such_pkg==9"]), ("requires", ["no_such_pkg"])))
    with pytest.raises(StepFailed) as info:
        pip.apply(s, node.ctx(recipe), NoProgress())
    assert "\n" not in str(info.value) and "pip-demo" in str(info.value)


def test_pip_editable_from_clone_with_stale_egg_info(with_venv):
    node = with_venv
    stale = node.home / "R_1/demo/demo_app.egg-info"
    stale.mkdir()
    (stale / "PKG-INFO").write_text("Name: demo-app\nVersion: 0.0.1\n")
    s, ctx = step(node.recipe, "pip-editable"), node.ctx()
    texts = [a.text for a in pip.plan(s, ctx)]
    assert texts[1:] == ["rm -rf ~/R_1/demo/demo_app.egg-info", "cd ~/R_1/demo && pip install -e ."]
    pip.apply(s, ctx, NoProgress())
    assert pip.is_done(s, ctx) is None
    # installed non-editable: not done
    subprocess.run([str(node.home / "R_1/venv_demo/bin/python"), "-m", "pip", "install", "-q", "--no-build-isolation",
                    "--force-reinstall", "--no-deps", "."], cwd=node.home / "R_1/demo", env=ctx.env, check=True)
    envs.forget(ctx)
    assert "not in editable mode" in pip.is_done(s, ctx)
