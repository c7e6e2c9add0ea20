from __future__ import annotations

import subprocess

from stepkit import step

from envdoctor.recipe import Step
from envdoctor.steps import env_vars
from envdoctor.steps.base import NoProgress


def _login(node, script: str) -> str:
    env = node.target.login_env()
    return subprocess.run(["bash", "-l", "-c", script], env=env, capture_output=True, text=True, cwd=node.home).stdout


def test_block_diff_apply_idempotent(node):
    s, ctx = step(node.recipe, "env-vars"), node.ctx()
    assert "does not export" in env_vars.is_done(s, ctx)
    [diff] = env_vars.plan(s, ctx)
    assert diff.kind == "diff" and diff.path == "~/.bashrc"
    assert "+export HTTPS_PROXY=http://proxy.example:3128" in diff.text
    assert "+export https_proxy=http://proxy.example:3128" in diff.text
    env_vars.apply(s, ctx, NoProgress())
    assert env_vars.is_done(s, ctx) is None
    text = (node.home / ".bashrc").read_text()
    assert text.startswith("# .bashrc\nalias ll='ls -l'\n")
    assert text.count(env_vars.BEGIN) == 1
    assert _login(node, 'echo "$https_proxy|$DEMO_ROOT"').strip() == f"http://proxy.example:3128|{node.root}/software/demo"
    assert len(list(node.home.glob(".bashrc.envdoctor-backup-*"))) == 1


def test_value_change_updates_block_in_place(node):
    s, ctx = step(node.recipe, "env-vars"), node.ctx()
    env_vars.apply(s, ctx, NoProgress())
    bashrc = node.home / ".bashrc"
    bashrc.write_text(bashrc.read_text().replace("proxy.example", "old.example") + "echo after\n")
    assert env_vars.is_done(s, ctx)
    env_vars.apply(s, ctx, NoProgress())
    text = bashrc.read_text()
    assert "old.example" not in text and text.count(env_vars.BEGIN) == 1 and text.endswith("echo after\n")


def test_shell_looking_values_are_quoted(node):
    s, ctx = Step("env-vars:evil", "env-vars", (("variables", ["EVIL"]),)), node.ctx()
    env_vars.apply(s, ctx, NoProgress())
    out = _login(node, 'printf %s "$EVIL"')
    assert out == f"$(touch {node.home}/pwned); `id`; rm -rf ~"
    assert not (node.home / "pwned").exists()


def test_block_goes_above_an_interactive_guard(node):
    (node.home / ".bashrc").write_text("# .bashrc\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\nalias ll='ls -l'\n")
    s, ctx = step(node.recipe, "env-vars"), node.ctx()
    env_vars.apply(s, ctx, NoProgress())
    text = (node.home / ".bashrc").read_text()
    assert text.index(env_vars.BEGIN) < text.index("case $- in")
    assert _login(node, 'echo "$DEMO_ROOT"').strip() == f"{node.root}/software/demo"  # non-interactive login (batch)


def test_login_file_that_does_not_source_bashrc_is_fixed(node):
    (node.home / ".bash_profile").write_text("export PATH=$HOME/bin:$PATH\n")
    s, ctx = step(node.recipe, "env-vars"), node.ctx()
    env_vars.apply(s, ctx, NoProgress())
    assert "login shells do not read" in (env_vars.is_done(s, ctx) or "login shells do not read")
    assert env_vars.is_done(s, ctx) is None
    assert (node.home / ".bash_profile").read_text().startswith("export PATH=$HOME/bin:$PATH\n")
    assert _login(node, 'echo "$DEMO_ROOT"').strip() == f"{node.root}/software/demo"
