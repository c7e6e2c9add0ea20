"""shell-init puts only conda's block into ~/.bashrc: the user's bytes around it stay.

`conda init bash` rewrites the whole file (and reads it with universal newlines); the
step runs it on a scratch copy and takes only the block from the result, so a CRLF file,
a form feed or U+2028 inside a comment, a hard link and the mode are all kept.
"""
from __future__ import annotations

import os

import pytest

from envdoctor import engine, steps
from envdoctor.recipe import catalog
from envdoctor.steps.base import NoProgress

pytestmark = pytest.mark.slow


def test_conda_block_goes_in_and_nothing_else_changes(sim_node) -> None:
    target = sim_node("groq", faults=["conda-not-initialized"])
    recipe = catalog().get("groq")
    ctx = engine.make_context(recipe, target, yes=True)
    step = next(s for s in recipe.steps if s.kind == "shell-init")
    module = steps.module("shell-init")
    bashrc = os.path.join(target.home, ".bashrc")
    with open(bashrc, "rb") as fh:
        system = fh.read()
    original = system + "# mine\u2028touch pwned\x0c \x85x\r\nalias ll='ls -l'\r\n".encode() + b"# no final newline \xff"
    with open(bashrc, "wb") as fh:
        fh.write(original)
    os.chmod(bashrc, 0o600)
    os.link(bashrc, os.path.join(target.home, "bashrc.hardlink"))
    inode = os.stat(bashrc).st_ino
    assert module.is_done(step, ctx)
    [diff] = [a.text for a in module.plan(step, ctx) if a.kind == "diff"]
    assert "+# >>> conda initialize >>>" in diff and "\\u2028" in diff and "\u2028" not in diff
    module.apply(step, ctx, NoProgress())
    with open(bashrc, "rb") as fh:
        data = fh.read()
    assert data.startswith(original + b"\n")  # only the missing final newline was added
    assert b"# >>> conda initialize >>>" in data[len(original):]
    st = os.stat(bashrc)
    assert (st.st_ino, st.st_nlink, st.st_mode & 0o777) == (inode, 2, 0o600)
    assert module.is_done(step, ctx) is None  # a real login shell finds `conda`
    assert not os.path.exists(os.path.join(target.home, "pwned"))
    module.apply(step, ctx, NoProgress())
    with open(bashrc, "rb") as fh:
        assert fh.read() == data
