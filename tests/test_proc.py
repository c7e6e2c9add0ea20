"""proc: the only place processes start; bounded, never raising for ordinary failures,
never running Python between fork and exec, and leaving nothing behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envdoctor import proc


def alive(pid: int) -> bool:
    """Running (a zombie or a vanished pid is not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def gone(pids: list[int], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def wait_for(path: Path, within: float = 10.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_run_captures_output_and_status() -> None:
    done = proc.run(["bash", "-c", "echo out; echo err >&2; exit 3"])
    assert (done.returncode, done.stdout, done.stderr, done.ok) == (3, "out\n", "err\n", False)
    assert "exited 3: err" in done.describe()


def test_output_is_text_with_universal_newlines_and_input_is_fed() -> None:
    done = proc.run(["bash", "-c", r"printf 'a\r\nb\rc\n\xff\n'; cat"], input="x" * 300_000)
    assert done.stdout.startswith("a\nb\nc\n\ufffd\n") and done.stdout.endswith("x" * 300_000)
    assert done.ok and not proc.live_groups()


def test_missing_program_is_a_result() -> None:
    done = proc.run(["envdoctor-no-such-program"])
    assert done.missing and not done.ok
    assert done.describe() == "envdoctor-no-such-program: command not found"


def test_timeout_kills_the_whole_process_group() -> None:
    done = proc.run(["bash", "-c", "sleep 30 & echo $! ; sleep 30"], timeout=0.5)
    assert done.timed_out and done.returncode == 124 and done.duration_ms < 5000
    assert gone([int(done.stdout)])
    assert not proc.live_groups()


def test_no_python_runs_between_fork_and_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    """A preexec_fn forked from a thread-pool worker deadlocked on an import lock."""
    seen: list[dict] = []
    real = subprocess.Popen

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            seen.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    proc.run(["true"])
    s = proc.stream(["true"])
    list(s.lines())
    s.wait()
    assert len(seen) >= 2 and all(k.get("preexec_fn") is None for k in seen)
    assert all(k.get("start_new_session") for k in seen)
    package = Path(proc.__file__).parent
    offenders = [str(f) for f in package.rglob("*.py") if "preexec_fn=" in f.read_text(encoding="utf-8")]
    assert offenders == []


def test_a_setsid_daemon_holding_the_pipes_does_not_hold_run() -> None:
    """A ~/.bashrc that starts a daemon with setsid: the shell ends, the daemon keeps its
    stdout; run returns right after the shell, with what the shell wrote."""
    started = time.monotonic()
    done = proc.run(["bash", "-c", "setsid sleep 30 & echo $!"], timeout=20)
    try:
        assert done.ok and not done.timed_out
        assert time.monotonic() - started < 5
    finally:
        os.kill(int(done.stdout), signal.SIGKILL)


def test_the_wait_after_a_timeout_is_bounded_too() -> None:
    started = time.monotonic()
    done = proc.run(["bash", "-c", "setsid sleep 30 & echo $!; sleep 30"], timeout=0.5)
    try:
        assert done.timed_out and time.monotonic() - started < 5
    finally:
        os.kill(int(done.stdout), signal.SIGKILL)


def test_a_bashrc_daemon_does_not_hold_a_login_probe(tmp_path: Path) -> None:
    (tmp_path / ".bashrc").write_text("setsid sleep 30 >/dev/null 2>&1 </dev/null &\n"
                                      f"setsid sleep 30 & echo $! > {tmp_path}/pid\n")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "dumb"}
    started = time.monotonic()
    done = proc.bash("interactive", "echo probed", env=env, timeout=8)
    try:
        assert done.ok and "probed" in done.stdout and time.monotonic() - started < 5
    finally:
        os.kill(int((tmp_path / "pid").read_text()), signal.SIGKILL)


def test_what_a_command_leaves_in_its_group_is_killed_when_it_returns() -> None:
    done = proc.run(["bash", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"])
    assert done.ok and gone([int(done.stdout)], within=2)
    assert not proc.live_groups()


def test_shell_modes_start_bash_as_each_context_does(tmp_path: Path) -> None:
    home = tmp_path
    (home / ".bash_profile").write_text("echo profile\n")
    (home / ".bashrc").write_text("echo rc\n")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"}
    assert "profile" in proc.bash("batch", "true", env=env).stdout
    assert "rc" not in proc.bash("batch", "true", env=env).stdout
    assert "rc" in proc.bash("interactive", "true", env=env).stdout
    assert proc.bash("script", "echo $-", env=env).stdout.strip().find("i") == -1


def test_stream_merges_and_terminates() -> None:
    s = proc.stream(["bash", "-c", "echo one; echo two >&2; sleep 30"])
    lines = s.lines()
    assert {next(lines).strip(), next(lines).strip()} == {"one", "two"}
    s.terminate(grace=1)
    assert s.popen.returncode is not None
    assert not proc.live_groups()


def test_stream_lines_end_with_the_leader_not_with_a_daemon() -> None:
    s = proc.stream(["bash", "-c", "setsid sleep 30 & echo $!; echo last"])
    started = time.monotonic()
    got = list(s.lines())
    try:
        assert got[1:] == ["last\n"] and s.wait(timeout=5) == 0
        assert time.monotonic() - started < 5
    finally:
        os.kill(int(got[0]), signal.SIGKILL)


def test_stream_wait_is_bounded() -> None:
    s = proc.stream(["sleep", "30"])
    assert s.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        s.wait(timeout=0.2)
    s.terminate(grace=1)
    assert s.popen.returncode == -signal.SIGTERM and s.poll() == -signal.SIGTERM
    assert not proc.live_groups()


TREE = """\
import sys
from envdoctor import proc
proc.run(["bash", "-c", sys.argv[1]], timeout=None)
"""


def _killed_parent_leaves_nothing(tmp_path: Path, before_kill: str = "") -> None:
    """A python that runs a process tree through proc is SIGKILLed; its tree must die."""
    grow, pids = tmp_path / "grow", tmp_path / "pids"
    # bash, a background loop that writes, and a grandchild sleeping: three levels.
    script = (f"(while :; do echo x >> {grow}; sleep 0.05; done) & loop=$!; "
              f"bash -c 'sleep 60 & echo $! >> {pids}; wait' & "
              f"echo $$ $loop $! >> {pids}; wait")
    parent = subprocess.Popen([sys.executable, "-c", before_kill + TREE, script], cwd=str(Path(proc.__file__).parents[1]))
    try:
        wait_for(pids)
        time.sleep(0.5)  # the grandchild's pid is written too
        tree = [int(p) for p in pids.read_text().split()]
        assert len(tree) == 4 and all(alive(p) for p in tree)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert gone(tree), f"still running after envdoctor's SIGKILL: {[p for p in tree if alive(p)]}"
    size = grow.stat().st_size
    time.sleep(0.3)
    assert grow.stat().st_size == size, "the killed envdoctor's child kept writing"


def test_a_killed_envdoctor_takes_its_whole_process_tree_with_it(tmp_path: Path) -> None:
    _killed_parent_leaves_nothing(tmp_path)


def test_a_killed_watchdog_is_replaced(tmp_path: Path) -> None:
    """Someone kills the watchdog (`kill` of every process of the user but one): the next
    process proc starts brings up a new one that knows every live group."""
    first = ("from envdoctor import proc\n"
             "import os, signal\n"
             "proc.run(['true'])\n"
             "os.kill(proc._watchdog.popen.pid, signal.SIGKILL)\n"
             "proc._watchdog.popen.wait()\n")
    _killed_parent_leaves_nothing(tmp_path, first)


def test_the_watchdog_kills_what_is_left_and_ignores_what_is_not_a_group() -> None:
    """Its input ends (envdoctor is gone): the groups still registered are killed, the ones
    taken back are not, and a line that is not a group changes nothing."""
    kept = subprocess.Popen(["sleep", "30"], start_new_session=True)
    left = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        lines = f"+{left.pid}\n+{kept.pid}\n-{kept.pid}\n+$(touch /tmp/x)\n+-1\nnoise\n+{left.pid}"  # no final newline
        done = subprocess.run(["bash", "--noprofile", "--norc", "-c", proc._WATCHDOG_SCRIPT], input=lines, text=True,
                              capture_output=True, timeout=30)
        assert done.returncode == 0 and done.stderr == ""
        assert left.wait(timeout=10) == -signal.SIGKILL
        assert kept.poll() is None
    finally:
        for p in (kept, left):
            if p.poll() is None:
                p.kill()
            p.wait()
