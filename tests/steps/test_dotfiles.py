"""Dotfile edits change only envdoctor's block: every other byte stays as the user wrote it.

bash ends a line only at "\\n"; a comment holding \\r, \\f, \\v, \\x1c-\\x1e, NEL or U+2028
must stay one comment (str.splitlines() would make the rest of it a line bash runs). The
file's CRLF style, mode, owner, hard links and symlinks are kept, and a backup is taken.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from envdoctor.recipe import Step, Variable
from envdoctor.steps import env_vars
from envdoctor.steps.base import NoProgress

BEGIN, END = b"# >>> envdoctor >>>", b"# <<< envdoctor <<<"
STEP = Step("env-vars:t", "env-vars", (("variables", ["DEMO_ROOT"]),))

# Pieces of a user's file: every line separator some reader knows, CRLF, bytes that are
# not UTF-8, quotes and comments; no "return" (so no interactive-only guard by chance).
PIECES = [b"\n", b"\r\n", b"\r", b"\x0c", b"\x0b", b"\x1c", b"\x1d", b"\x1e", "\x85".encode(), "\u2028".encode(),
          "\u2029".encode(), b"\xff", b"\xc3", b"# ", b"echo hi", b"alias ll='ls -l'", b'"', b"'", b" ", b"\t",
          b"export A=1", "é".encode(), b"\\"]
contents = st.lists(st.sampled_from(PIECES), max_size=30).map(b"".join)


def _apply(node, value: str = "/software/demo") -> None:
    recipe = replace(node.recipe, variables=(Variable("DEMO_ROOT", value, False, "~/.bashrc"),))
    env_vars.apply(STEP, node.ctx(recipe), NoProgress())


def _nl(data: bytes) -> bytes:
    return b"\r\n" if data.count(b"\n") and data.count(b"\r\n") * 2 > data.count(b"\n") else b"\n"


def _split_block(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(before, block, after) of the one envdoctor block in `data`."""
    start = data.index(BEGIN)
    assert data.count(BEGIN) == 1 and (start == 0 or data[start - 1:start] == b"\n")
    stop = data.index(b"\n", data.index(END)) + 1
    return data[:start], data[start:stop], data[stop:]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(original=contents, later=contents)
def test_bytes_outside_the_block_are_kept(node, original: bytes, later: bytes) -> None:
    bashrc = node.home / ".bashrc"
    bashrc.write_bytes(original)
    for backup in node.home.glob(".bashrc.envdoctor-backup-*"):
        backup.unlink()
    _apply(node)
    before, block, after = _split_block(bashrc.read_bytes())
    nl = _nl(original)
    expected = original + (nl if original and not original.endswith(b"\n") else b"")
    last = expected.rsplit(b"\n", 2)[-2] if expected else b""
    if (last[:-1] if last.endswith(b"\r") else last).strip(b" \t") and nl == b"\n":
        expected += nl  # a blank line between the user's last line and the block (not in CRLF: a lone \r runs)
    assert before == expected and after == b""
    assert all(line.endswith(b"\r") for line in block.split(b"\n")[:-1]) == (nl == b"\r\n")
    assert len(list(node.home.glob(".bashrc.envdoctor-backup-*"))) == 1  # even an empty file is backed up

    # The user adds lines below the block; a new value rewrites only the block.
    bashrc.write_bytes(before + block + later)
    _apply(node, "/software/demo/other")
    again_before, again_block, again_after = _split_block(bashrc.read_bytes())
    assert (again_before, again_after) == (before, later)
    assert b"/software/demo/other" in again_block and b"/software/demo/other" not in block
    # A rerun is a no-op: the file is byte-identical.
    first = bashrc.read_bytes()
    _apply(node, "/software/demo/other")
    assert bashrc.read_bytes() == first


def test_separators_in_a_comment_stay_in_the_comment(node) -> None:
    """What bash would run after the edit is what it ran before, plus the block."""
    bashrc = node.home / ".bashrc"
    tail = "# note\u2028touch pwned-u2028\x85touch pwned-nel\x0ctouch pwned-ff\x1etouch pwned-rs\n".encode()
    bashrc.write_bytes(b"# .bashrc\n" + tail)
    _apply(node)
    data = bashrc.read_bytes()
    assert data.startswith(b"# .bashrc\n" + tail)
    out = subprocess.run(["bash", "-l", "-c", 'printf %s "$DEMO_ROOT"'], env=node.target.login_env(), cwd=node.home,
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.endswith("/software/demo")
    assert not list(node.home.glob("pwned*"))


def test_guard_insert_keeps_bytes_around_it(node) -> None:
    bashrc = node.home / ".bashrc"
    head = b"# top \x0c comment\xff\n"
    guard = b"case $- in\n    *i*) ;;\n      *) return;;\nesac\n"
    bashrc.write_bytes(head + guard + "alias x='y'\u2028# z".encode())
    _apply(node)
    before, block, after = _split_block(bashrc.read_bytes())
    assert before == head and after == b"\n" + guard + "alias x='y'\u2028# z".encode()


def test_crlf_file_stays_crlf_and_bash_reads_the_value(node) -> None:
    bashrc = node.home / ".bashrc"
    original = b"# .bashrc\r\nalias ll='ls -l'\r\n"
    bashrc.write_bytes(original)
    recipe = replace(node.recipe, variables=(Variable("DEMO_ROOT", "/software/demo", False, "~/.bashrc"),))
    plan = env_vars.plan(STEP, node.ctx(recipe))
    assert any(a.kind == "note" and "CRLF" in a.text for a in plan)
    _apply(node)
    data = bashrc.read_bytes()
    assert data.startswith(original)
    assert data.count(b"\n") == data.count(b"\r\n")  # no LF-only line anywhere
    out = subprocess.run(["bash", "-l", "-c", 'printf %s "$DEMO_ROOT"'], env=node.target.login_env(), cwd=node.home,
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == f"{node.root}/software/demo"  # no \r picked up by the value
    first = data
    _apply(node)
    assert bashrc.read_bytes() == first


def test_hard_link_stays_one_file(node) -> None:
    bashrc = node.home / ".bashrc"
    keep = node.home / "dotfiles" / "bashrc"
    keep.parent.mkdir()
    os.link(bashrc, keep)
    inode = bashrc.stat().st_ino
    recipe = replace(node.recipe, variables=(Variable("DEMO_ROOT", "/software/demo", False, "~/.bashrc"),))
    plan = env_vars.plan(STEP, node.ctx(recipe))
    assert any(a.kind == "note" and "hard links" in a.text for a in plan)
    _apply(node)
    assert bashrc.stat().st_ino == inode and bashrc.stat().st_nlink == 2
    assert keep.read_bytes() == bashrc.read_bytes() and b"export DEMO_ROOT=" in keep.read_bytes()
    [backup] = node.home.glob(".bashrc.envdoctor-backup-*")
    assert backup.read_bytes() == b"# .bashrc\nalias ll='ls -l'\n"


def test_mode_and_owner_are_kept(node) -> None:
    bashrc = node.home / ".bashrc"
    os.chmod(bashrc, 0o640)
    if os.geteuid() == 0:
        os.chown(bashrc, 4242, 4343)
    _apply(node)
    st = bashrc.stat()
    assert st.st_mode & 0o7777 == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4242, 4343)
    assert b"export DEMO_ROOT=" in bashrc.read_bytes()


def test_symlinked_dotfile_is_edited_at_its_target(node) -> None:
    bashrc = node.home / ".bashrc"
    real = node.home / "dotfiles" / "bashrc"
    real.parent.mkdir()
    real.write_bytes(bashrc.read_bytes())
    bashrc.unlink()
    bashrc.symlink_to(real)
    recipe = replace(node.recipe, variables=(Variable("DEMO_ROOT", "/software/demo", False, "~/.bashrc"),))
    plan = env_vars.plan(STEP, node.ctx(recipe))
    assert any(a.kind == "note" and "symbolic link" in a.text and "dotfiles/bashrc" in a.text for a in plan)
    _apply(node)
    assert bashrc.is_symlink() and Path(os.readlink(bashrc)) == real
    assert b"export DEMO_ROOT=" in real.read_bytes()


def test_crlf_login_file_gets_a_crlf_source_block_that_bash_runs(node) -> None:
    profile = node.home / ".bash_profile"
    original = b"# .bash_profile\r\nexport PATH=$HOME/bin:$PATH #\r\n"
    profile.write_bytes(original)
    _apply(node)
    data = profile.read_bytes()
    assert data.startswith(original) and data.count(b"\n") == data.count(b"\r\n")
    out = subprocess.run(["bash", "-l", "-c", 'printf %s "$DEMO_ROOT"'], env=node.target.login_env(), cwd=node.home,
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == f"{node.root}/software/demo" and "command not found" not in out.stderr
