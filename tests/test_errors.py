"""The one top-level handler: exit codes and messages of design.md."""
from __future__ import annotations

from pathlib import Path

from envdoctor.errors import StepFailed, UsageError, run_guarded


def test_usage_error_is_one_line_exit_2(capsys) -> None:
    def boom() -> int:
        raise UsageError("unknown platform 'x': did you mean groq?")

    assert run_guarded(boom) == 2
    assert capsys.readouterr().err == "envdoctor: unknown platform 'x': did you mean groq?\n"


def test_step_failure_exits_1(capsys) -> None:
    def boom() -> int:
        raise StepFailed("step git:zoo failed")

    assert run_guarded(boom) == 1


def test_interrupt_exits_130(capsys) -> None:
    def boom() -> int:
        raise KeyboardInterrupt

    assert run_guarded(boom) == 130
    assert "interrupted" in capsys.readouterr().err


def test_bug_writes_a_crash_log_and_exits_3(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def boom() -> int:
        raise ZeroDivisionError("oops")

    assert run_guarded(boom) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ZeroDivisionError: oops" in err
    log = Path(err.rsplit("details in ", 1)[1].strip())
    assert log.parent == tmp_path / "envdoctor" / "logs"
    assert "Traceback" in log.read_text()


def test_cli_usage_errors_are_one_line(cli) -> None:
    rc, out, err = cli("check")
    assert rc == 2 and err.count("\n") == 1 and "Missing argument" in err
    rc, out, err = cli("check", "nosuch")
    assert rc == 2 and err == "envdoctor: unknown platform 'nosuch': choose one of: cerebras, graphcore, groq, metis, sambanova\n"
    rc, out, err = cli("check", "groq", "--target", "moon")
    assert rc == 2 and "unknown target 'moon'" in err
    rc, out, err = cli("check", "groq", "--target", "sim", "--sim-root", "/nonexistent/sim")
    assert rc == 2 and "is not a simulated node" in err


def test_error_messages_are_redacted(cli) -> None:
    """A refused value is quoted back to the user; a password in it never is."""
    rc, _, err = cli("explain", "https://user:hunter2secret@example.org/log.txt")
    assert rc == 2 and "hunter2secret" not in err and len(err.strip().splitlines()) == 1
