"""Expected errors (one base class) and the one top-level handler.

An `EnvdoctorError` is something the user can fix: it is printed as one line, with no
traceback. Anything else is a bug: its traceback goes to a log file whose path is printed.
"""
from __future__ import annotations

import datetime
import os
import sys
import tempfile
from typing import Any, Callable

from envdoctor import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class EnvdoctorError(Exception):
    """A problem the user can fix. `str()` is the whole one-line message."""

    exit_code = EXIT_USAGE


class UsageError(EnvdoctorError):
    """Bad usage or bad input: unknown platform, malformed recipe, unreadable file."""


class RecipeError(UsageError):
    """A recipe that does not validate; the message names file, line and key."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}")
        self.path, self.line, self.key, self.problem = path, line, key, problem


class RecipeErrors(RecipeError):
    """Several problems in one recipe; `str()` is the first, `.errors` has them all."""

    def __init__(self, errors: list[RecipeError]) -> None:
        first = errors[0]
        super().__init__(first.path, first.line, first.key, f"{first.problem} (and {len(errors) - 1} more)")
        self.errors = errors


class StepFailed(EnvdoctorError):
    """A setup step or a run that failed; exit code 1."""

    exit_code = EXIT_FAILED


class Interrupted(EnvdoctorError):
    exit_code = EXIT_INTERRUPTED


def closest(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean X?)' for the nearest of `choices`, or the list of choices."""
    import difflib

    near = difflib.get_close_matches(name, list(choices), n=2, cutoff=0.5)
    if near:
        return f"did you mean {' or '.join(near)}?"
    return f"choose one of: {', '.join(choices)}"


def _log_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    path = os.path.join(base, "envdoctor", "logs")
    try:
        os.makedirs(path, exist_ok=True)
        return path
    except OSError:
        return tempfile.gettempdir()


def _write_crash_log(exc: BaseException) -> str:
    import traceback  # lazy: linecache and tokenize, for a crash only


    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(_log_dir(), f"crash-{stamp}-{os.getpid()}.log")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"envdoctor {__version__} on Python {sys.version.split()[0]}\n")
        fh.write(f"argv: {sys.argv!r}\n\n")
        fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return path


def _click_exceptions() -> Any:
    """The click exception classes typer uses (recent typer vendors its own copy of click)."""
    try:
        from typer._click import exceptions  # lazy: see run_guarded
    except ImportError:
        from click import exceptions  # type: ignore[no-redef]  # the same module, when typer does not vendor click  # lazy: see run_guarded
    return exceptions


def interrupted() -> int:
    """Ctrl-C: one line, exit 130 (also while envdoctor is still starting)."""
    print("envdoctor: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def run_guarded(fn: Callable[[], int]) -> int:
    """Run a command function; map every outcome to the exit codes of design.md."""
    try:
        import typer  # lazy: typer (~30 ms): errors is imported before check starts its shells

        click = _click_exceptions()
    except KeyboardInterrupt:
        return interrupted()
    try:
        return int(fn())
    except EnvdoctorError as exc:
        from envdoctor.redact import redact_text  # lazy: only to redact an error's text

        # Messages quote what the user gave (URLs, values, command lines): redacted last.
        print(f"envdoctor: {redact_text(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return interrupted()
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print("envdoctor: aborted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `envdoctor` or `envdoctor sim`: help
            print(exc.format_message())
            return EXIT_OK
        # typer/click usage errors: one line, exit 2, no traceback.
        from envdoctor.redact import redact_text  # lazy: only to redact an error's text

        msg = " ".join(exc.format_message().split())
        print(f"envdoctor: {redact_text(msg)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - this is the one place that catches bugs
        path = _write_crash_log(exc)
        print(f"envdoctor: unexpected error ({type(exc).__name__}: {exc}); details in {path}", file=sys.stderr)
        return EXIT_INTERNAL
