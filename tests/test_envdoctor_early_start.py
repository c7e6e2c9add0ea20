"""`envdoctor check P`: the probe's shells start before the recipe, typer and the checks are
imported (envdoctor.__main__ reads the command line simply; typer still parses it). How the
probe claims them: tests/test_shellcapture.py."""
from __future__ import annotations

from typing import List, Optional, Tuple

import pytest

import envdoctor.__main__ as entry
from envdoctor import shellcapture

Started = Tuple[str, str, Optional[str]]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> List[Started]:
    calls: List[Started] = []
    monkeypatch.setattr(shellcapture, "start_early", lambda *a: calls.append(a))
    return calls


@pytest.mark.parametrize("argv, expect", [
    (["check", "groq"], ("groq", "real", None)),
    (["check", "groq", "--target", "sim", "--sim-root", "/n", "--offline", "--json"], ("groq", "sim", "/n")),
    (["check", "--target=sim", "-r", "R_2.3.0", "cerebras", "-v"], ("cerebras", "sim", None)),
    (["check", "groq", "--junit", "out.xml", "--fix", "--yes"], ("groq", "real", None)),
])
def test_a_plain_check_starts_its_shells_early(started: List[Started], argv: List[str], expect: Started) -> None:
    entry._start_check_early(argv)
    assert started == [expect]


@pytest.mark.parametrize("argv", [
    ["setup", "groq"], ["check"], ["check", "groq", "--only", "disk"], ["check", "groq", "--in-job"],
    ["check", "groq", "--bogus"], ["check", "groq", "extra"], ["check", "groq", "--target"], ["check", "--help"],
])
def test_anything_else_starts_nothing(started: List[Started], argv: List[str]) -> None:
    entry._start_check_early(argv)
    assert started == []


def test_envdoctor_started_with_ctrl_c_blocked_unblocks_it() -> None:
    """A parent that leaked a blocked SIGINT into envdoctor's mask must not make it deaf to
    Ctrl-C (setup cleans up a half-made step on it)."""
    import signal
    import subprocess
    import sys

    probe = ("import signal, envdoctor.__main__ as m; m._unblock_interrupts(); "
             "print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
