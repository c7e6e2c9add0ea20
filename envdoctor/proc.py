"""The only module that starts processes.

Every command is bounded by a timeout, never raises for "not found" or a non-zero exit
(the caller decides), and is recorded as the exact argv so that reports can show it.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import IO, Iterator, Mapping, Sequence

DEFAULT_TIMEOUT = 10.0

# How each shell context of a testbed user starts bash. "login" is an ssh login
# (interactive login shell); "interactive" a new terminal or `bash` typed in one;
# "batch" a PBS job (non-interactive login shell: reads ~/.bash_profile, and a guarded
# ~/.bashrc returns early); "script" a plain `bash script.sh` or an sbatch script.
SHELL_FLAGS: Mapping[str, tuple[str, ...]] = {
    "login": ("-l", "-i"),
    "interactive": ("-i",),
    "batch": ("-l",),
    "script": (),
}


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""
    duration_ms: int = 0
    timed_out: bool = False
    missing: bool = False  # the program itself was not found

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    def describe(self) -> str:
        """One line for reports: what ran and how it ended."""
        if self.missing:
            return f"{self.argv[0]}: command not found"
        if self.timed_out:
            return f"`{self.command}` did not finish in time"
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-1:] or [""]
        return f"`{self.command}` exited {self.returncode}: {tail[0][:200]}"


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    input: str | None = None,
    die_with_parent: bool = False,
) -> Completed:
    """Run argv to completion, capturing text output; kill its process group on timeout."""
    argv = tuple(str(a) for a in argv)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=dict(env) if env is not None else None, text=True,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            errors="replace",
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        return Completed(argv, 127, "", str(exc), 0, missing=True)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    ms = int((time.monotonic() - started) * 1000)
    return Completed(argv, proc.returncode if not timed_out else 124, out or "", err or "", ms, timed_out)


def _kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def which(name: str, path: str | None = None) -> str | None:
    return shutil.which(name, path=path)


def bash_argv(mode: str, script: str, *, xtrace: bool = False) -> tuple[str, ...]:
    """argv that starts bash the way the `mode` context does, then runs `script`."""
    flags = SHELL_FLAGS[mode]
    return ("bash", *flags, *(("-x",) if xtrace else ()), "-c", script)


def bash(
    mode: str, script: str, *, env: Mapping[str, str], cwd: str | None = None,
    timeout: float = DEFAULT_TIMEOUT, xtrace: bool = False,
) -> Completed:
    return run(bash_argv(mode, script, xtrace=xtrace), env=env, cwd=cwd, timeout=timeout)


@dataclass
class Streamed:
    """A running process whose merged output is read line by line (launchers, setup)."""

    argv: tuple[str, ...]
    popen: subprocess.Popen[str]
    started: float = field(default_factory=time.monotonic)

    def lines(self) -> Iterator[str]:
        assert self.popen.stdout is not None
        yield from self.popen.stdout

    def wait(self, timeout: float | None = None) -> int:
        return self.popen.wait(timeout=timeout)

    def terminate(self, grace: float = 5.0) -> None:
        """SIGTERM the whole process group, then SIGKILL after `grace` seconds."""
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _kill_group(self.popen)
            self.popen.wait()
        except ProcessLookupError:
            pass


def stream(
    argv: Sequence[str], *, cwd: str | None = None, env: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None, die_with_parent: bool = False,
) -> Streamed:
    """Start argv with stdout+stderr merged, readable through `.lines()` (or to `stdout`)."""
    argv = tuple(str(a) for a in argv)
    popen = subprocess.Popen(
        argv, cwd=cwd, env=dict(env) if env is not None else None, text=True, errors="replace",
        stdin=subprocess.DEVNULL, stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, bufsize=1,
    )
    return Streamed(argv, popen)


def replace(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Replace envdoctor with argv (an interactive shell the user takes over); returns only
    when argv cannot be started (127, with one line on stderr)."""
    argv = tuple(str(a) for a in argv)
    try:
        os.execvpe(argv[0], argv, dict(env))
    except OSError as exc:
        import sys

        sys.stderr.write(f"cannot start {argv[0]}: {exc.strerror or exc}\n")
    return 127
