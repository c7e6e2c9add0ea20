"""The only module that starts processes.

Every command is bounded by a timeout, never raises for "not found" or a non-zero exit
(the caller decides), and is recorded as the exact argv so that reports can show it.

What this module guarantees beyond subprocess.run, and why:

- No Python code runs between fork and exec (no `preexec_fn`): a child forked from a
  thread-pool worker while another thread held an import lock waited forever, and so did
  the parent inside Popen.
- Each child leads its own process group (`start_new_session`), registered here. The group
  is SIGKILLed when its leader has ended (background leftovers), on timeout, on any
  exception and at interpreter exit. If envdoctor dies without running Python (SIGKILL,
  an unhandled SIGTERM or SIGHUP), a watchdog process kills the registered groups: it reads
  a pipe whose write end only envdoctor holds, so end-of-file means envdoctor is gone.
- Every wait is bounded: output is read until the pipes close, or until READ_GRACE seconds
  after the leader ended (a daemon that a ~/.bashrc started with `setsid` can hold the pipes
  for days); a SIGKILLed leader is waited for at most REAP_GRACE seconds.
"""
from __future__ import annotations

import atexit
import codecs
import io
import locale
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Iterator, Mapping, Sequence

DEFAULT_TIMEOUT = 10.0
PROBE_TIMEOUT = 5.0  # s per external command of a probe (and per network request)
READ_GRACE = 0.5  # s the pipes may stay open after the leader ended (then: not its output)
REAP_GRACE = 5.0  # s to wait for a SIGKILLed leader (one stuck in the kernel is left behind)
_POLL = 0.1  # s between checks that the leader is still running while its pipes stay open

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
    """A finished process: its status and text output (never an exception for an ordinary failure)."""

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


# --- the process groups envdoctor owns --------------------------------------------------

# The watchdog, run as `bash -c` (a bash starts in a tenth of the time of the leanest Python,
# and envdoctor needs bash anyway): it ignores the terminal's signals, keeps the set of live
# groups from "+PGID"/"-PGID" lines (anything else is ignored), and at end-of-file (envdoctor
# is gone, however it ended) SIGKILLs what is left.
_WATCHDOG_SCRIPT = """\
trap '' INT HUP
declare -A live=()
while IFS= read -r line || [ -n "$line" ]; do
    group=${line#[+-]}
    [[ $group =~ ^[0-9]+$ ]] || continue
    case $line in
        +*) live[$group]=1 ;;
        -*) unset "live[$group]" ;;
    esac
done
for group in "${!live[@]}"; do kill -KILL -- "-$group" 2>/dev/null; done
exit 0
"""


class _Watchdog:
    """The process that kills envdoctor's groups after envdoctor itself was killed."""

    def __init__(self) -> None:
        read_end, self.fd = os.pipe()  # close-on-exec: no other child inherits the write end
        try:
            self.popen = subprocess.Popen(
                ["bash", "--noprofile", "--norc", "-c", _WATCHDOG_SCRIPT], stdin=read_end,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/", start_new_session=True,
            )
        except BaseException:
            os.close(self.fd)
            raise
        finally:
            os.close(read_end)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.popen.poll()  # reap it if it is gone (no zombie in a long test session)


_lock = threading.RLock()
_groups: set[int] = set()
_watchdog: _Watchdog | None = None
_watchdog_failed = False


def _tell_watchdog(line: bytes) -> None:
    """Pass one registry change to the watchdog; start (or restart) it with the whole
    registry when there is none. Called with _lock held."""
    global _watchdog, _watchdog_failed
    if _watchdog is not None:
        try:
            _watchdog.send(line)
            return
        except OSError:  # it was killed: start another one with the current registry
            _watchdog.close()
            _watchdog = None
    if _watchdog_failed:
        return
    try:
        _watchdog = _Watchdog()
        _watchdog.send(b"".join(b"+%d\n" % group for group in sorted(_groups)))
    except OSError:
        # Without a watchdog the groups are still killed on every exit that runs Python.
        _watchdog, _watchdog_failed = None, True


def _register(pgid: int) -> None:
    with _lock:
        _groups.add(pgid)
        _tell_watchdog(b"+%d\n" % pgid)


def _unregister(pgid: int) -> None:
    with _lock:
        if pgid in _groups:
            _groups.discard(pgid)
            _tell_watchdog(b"-%d\n" % pgid)


def live_groups() -> frozenset[int]:
    """The process groups started here that have not been ended yet (tests, diagnostics)."""
    with _lock:
        return frozenset(_groups)


def kill_all() -> None:
    """SIGKILL every group still registered (the at-exit path; also for embedders)."""
    got = _lock.acquire(timeout=1.0)  # a thread stuck holding it must not stop the exit
    try:
        groups = sorted(_groups)
    finally:
        if got:
            _lock.release()
    for group in groups:
        _killpg(group, signal.SIGKILL)


def _forget_after_fork() -> None:
    """In a forked (not exec'd) child: the parent's groups and watchdog are not ours, and
    holding the watchdog's pipe would keep it from seeing the parent die."""
    global _lock, _watchdog, _watchdog_failed
    _lock = threading.RLock()
    if _watchdog is not None:
        try:
            os.close(_watchdog.fd)
        except OSError:
            pass
    _watchdog, _watchdog_failed = None, False
    _groups.clear()


atexit.register(kill_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _start(argv: tuple[str, ...], *, cwd: str | os.PathLike[str] | None, env: Mapping[str, str] | None,
           stdin: int | IO[str] | None, stdout: int | IO[str] | None, stderr: int | None) -> subprocess.Popen[bytes]:
    popen = subprocess.Popen(argv, cwd=cwd, env=dict(env) if env is not None else None, stdin=stdin,
                             stdout=stdout, stderr=stderr, start_new_session=True, close_fds=True)
    _register(popen.pid)
    return popen


def _leader_ended(popen: subprocess.Popen[bytes]) -> bool:
    """Has the leader exited? Asked without reaping it (WNOWAIT): while it is an unreaped
    zombie its pid still names its group, so a later killpg cannot hit a stranger."""
    if popen.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped by someone else
        return True


def _end(popen: subprocess.Popen[bytes]) -> int:
    """Kill what is left of the group, reap the leader (bounded) and forget the group;
    returns the leader's status (-SIGKILL if it could not be reaped in time)."""
    if popen.returncode is None:
        _killpg(popen.pid, signal.SIGKILL)
        try:
            popen.wait(timeout=REAP_GRACE)
        except subprocess.TimeoutExpired:  # stuck in the kernel; the SIGKILL is pending
            pass
    _unregister(popen.pid)
    return popen.returncode if popen.returncode is not None else -signal.SIGKILL


# --- reading output without waiting on strangers ------------------------------------------

def _text(data: bytes) -> str:
    """Decode as text-mode subprocess did: locale encoding, errors replaced, universal newlines."""
    text = data.decode(locale.getpreferredencoding(False), "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Pipes:
    """Non-blocking pumping of a child's stdout/stderr into buffers and of `data` into its stdin."""

    def __init__(self, popen: subprocess.Popen[bytes], data: bytes | None) -> None:
        self.selector = selectors.DefaultSelector()
        self.buffers: dict[int, bytearray] = {}
        for pipe in (popen.stdout, popen.stderr):
            if pipe is not None:
                os.set_blocking(pipe.fileno(), False)
                self.selector.register(pipe.fileno(), selectors.EVENT_READ)
                self.buffers[pipe.fileno()] = bytearray()
        self.files = [f for f in (popen.stdin, popen.stdout, popen.stderr) if f is not None]
        self.stdin, self.pending = popen.stdin, memoryview(data or b"")
        if self.stdin is not None:
            if self.pending:
                os.set_blocking(self.stdin.fileno(), False)
                self.selector.register(self.stdin.fileno(), selectors.EVENT_WRITE)
            else:
                self._close_stdin()

    def output(self, pipe: IO[bytes] | None) -> bytes:
        return bytes(self.buffers.get(pipe.fileno(), b"")) if pipe is not None else b""

    def open(self) -> bool:
        return bool(self.selector.get_map())

    def pump(self, wait: float) -> None:
        for key, _ in self.selector.select(max(wait, 0.0)):
            if key.fd in self.buffers:
                self._read(key.fd)
            else:
                self._write()

    def drain(self) -> None:
        """Take what is already buffered in the pipes, without waiting for more."""
        for fd in list(self.buffers):
            if fd in self.selector.get_map():
                for _ in range(1024):  # at most 64 MiB: a writer cannot keep us here
                    if not self._read(fd):
                        break

    def _read(self, fd: int) -> bool:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.selector.unregister(fd)
            return False
        self.buffers[fd] += chunk
        return True

    def _write(self) -> None:
        assert self.stdin is not None
        try:
            self.pending = self.pending[os.write(self.stdin.fileno(), self.pending[:65536]):]
        except BlockingIOError:
            return
        except OSError:  # the child closed its stdin: the rest is not wanted
            self.pending = memoryview(b"")
        if not self.pending:
            self.selector.unregister(self.stdin.fileno())
            self._close_stdin()

    def _close_stdin(self) -> None:
        try:
            assert self.stdin is not None
            self.stdin.close()
        except OSError:
            pass

    def close(self) -> None:
        self.selector.close()
        for f in self.files:
            try:
                f.close()
            except OSError:
                pass


def _pump_until_done(popen: subprocess.Popen[bytes], pipes: _Pipes, deadline: float | None) -> bool:
    """Pump until the leader has ended and its pipes closed, or READ_GRACE after it ended
    (True); or until the deadline (False)."""
    ended_at: float | None = None
    naps = _naps()
    while True:
        now = time.monotonic()
        if ended_at is None and _leader_ended(popen):
            ended_at = now
        if ended_at is not None and (not pipes.open() or now - ended_at >= READ_GRACE):
            pipes.drain()  # pipes still open here are held by a process outside the group
            return True
        if deadline is not None and now >= deadline:
            return False
        limit = _POLL if deadline is None else min(_POLL, deadline - now)
        if pipes.open():
            pipes.pump(limit)  # wakes up at once on output or end-of-file
        else:  # output closed, leader still running (or just exiting)
            time.sleep(min(next(naps), limit))


def _naps() -> Iterator[float]:
    """Sleeps that start short (a leader is usually exiting when its pipes close) and
    grow to _POLL."""
    nap = 0.0001
    while True:
        yield nap
        nap = min(nap * 2, _POLL)


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    input: str | None = None,
) -> Completed:
    """Run argv to completion, capturing text output; kill its process group on timeout."""
    argv = tuple(str(a) for a in argv)
    started = time.monotonic()
    try:
        popen = _start(argv, cwd=cwd, env=env, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        return Completed(argv, 127, "", str(exc), 0, missing=True)
    data = input.encode(locale.getpreferredencoding(False), "replace") if input is not None else None
    pipes: _Pipes | None = None
    try:
        pipes = _Pipes(popen, data)
        finished = _pump_until_done(popen, pipes, None if timeout is None else started + timeout)
        if not finished:  # kill first, then take what the pipes still hold for a moment
            _killpg(popen.pid, signal.SIGKILL)
            _pump_until_done(popen, pipes, time.monotonic() + READ_GRACE)
        out, err = pipes.output(popen.stdout), pipes.output(popen.stderr)
    finally:
        if pipes is not None:
            pipes.close()
        returncode = _end(popen)
    ms = int((time.monotonic() - started) * 1000)
    return Completed(argv, returncode if finished else 124, _text(out), _text(err), ms, not finished)


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
    popen: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)

    def lines(self) -> Iterator[str]:
        """Output lines as they come, until the output closes or READ_GRACE after the
        leader ended (what a process outside the group writes then is not its output)."""
        assert self.popen.stdout is not None
        fd = self.popen.stdout.fileno()
        os.set_blocking(fd, False)
        decoder = io.IncrementalNewlineDecoder(_decoder(), translate=True)
        rest, ended_at = "", None
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                chunk = _read_ready(selector, fd)
                if chunk == b"":
                    break
                if chunk:
                    *done, rest = (rest + decoder.decode(chunk)).split("\n")
                    yield from (line + "\n" for line in done)
                now = time.monotonic()
                if ended_at is None and _leader_ended(self.popen):
                    ended_at = now
                elif ended_at is not None and now - ended_at >= READ_GRACE:
                    break
        rest += decoder.decode(b"", final=True)
        if rest:
            yield rest

    def poll(self) -> int | None:
        """The leader's exit status if it has ended (what is left of its group is killed
        then), else None."""
        return _end(self.popen) if _leader_ended(self.popen) else None

    def wait(self, timeout: float | None = None) -> int:
        """The leader's exit status once it has ended (what is left of its group is killed
        then); raises subprocess.TimeoutExpired after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        naps = _naps()
        while not _leader_ended(self.popen):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(list(self.argv), timeout or 0.0)
            time.sleep(next(naps) if left is None else min(next(naps), left))
        return _end(self.popen)

    def terminate(self, grace: float = 5.0) -> None:
        """SIGTERM the whole process group, then SIGKILL after `grace` seconds."""
        _killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _end(self.popen)


def _decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder(locale.getpreferredencoding(False))(errors="replace")


def _read_ready(selector: selectors.BaseSelector, fd: int) -> bytes | None:
    """A chunk when one is ready within _POLL, b"" at end of output, None when nothing came."""
    if not selector.select(_POLL):
        return None
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def stream(
    argv: Sequence[str], *, cwd: str | None = None, env: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None,
) -> Streamed:
    """Start argv with stdout+stderr merged, readable through `.lines()` (or to `stdout`)."""
    argv = tuple(str(a) for a in argv)
    popen = _start(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                   stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.STDOUT)
    return Streamed(argv, popen)


def replace(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Replace envdoctor with argv (an interactive shell the user takes over: `sim shell`);
    returns only when argv cannot be started (127, with one line on stderr)."""
    argv = tuple(str(a) for a in argv)
    try:
        os.execvpe(argv[0], argv, dict(env))
    except OSError as exc:
        sys.stderr.write(f"cannot start {argv[0]}: {exc.strerror or exc}\n")
    return 127
