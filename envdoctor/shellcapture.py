"""The capture every shell context runs, and the shells `envdoctor check` starts first.

`capture_script` is the only bash that records what a shell sees (`collectors/shells.py`
parses its output into a `ShellMode`; `check --in-job` runs it inside a batch job). It does
not depend on the recipe: what the recipe adds (which variables to keep, where its commands
resolve) is read from the captured environment afterwards. So `envdoctor check P` can start
the probe's shells before the recipe, typer or the checks are even imported (`start_early`,
called from envdoctor's entry point), and envdoctor's own start-up then runs beside them on
the other core: on a ready simulated node the shells are most of a check's time.

Kept light on purpose (proc and targets only): everything it imports is paid before the
first shell starts.

A batch or script shell's facts are reused (`reusable`/`remember`) while nothing it read has
changed: the startup files bash reads and every file they sourced (from the `-x` trace),
the directories on the PATH and MODULEPATH it reached, conda's program and settings, and the
environment and envdoctor it started with. The login shell always runs: the sdk collector
runs the vendor tools in its whole environment, which is never stored. ENVDOCTOR_FRESH=1
turns reuse off.
"""
from __future__ import annotations

import hashlib
import os
import threading
from typing import Any, Dict, Iterable, List

from envdoctor import __version__, proc
from envdoctor.targets import Target, open_target

BEGIN = "@@ENVDOCTOR-PROBE-BEGIN@@"
ENV_MARK = "@@ENVDOCTOR-PROBE-ENV@@"
MORE_MARK = "@@ENVDOCTOR-PROBE-MORE@@"  # after the environment: the slower facts (Python, activate)
START_CMD = ": envdoctor-probe-start"
# The shell contexts a check probe runs from the start; the interactive one only when the
# login shell does not find conda (collectors/shells.py).
EARLY_MODES = ("login", "batch", "script")
# The modes whose facts may be reused (see the module's docstring).
REUSABLE_MODES = ("batch", "script")
# -S: no site import (a third of the start-up time); the version is the interpreter's either way.
_PY_VERSION = "-S -c 'import sys; print(sys.version.split()[0])' 2>/dev/null"


def capture_script(activate: str = "", details: bool = False) -> str:
    """Bash that prints the facts of the shell it runs in: `key<TAB>value` lines after BEGIN,
    the exported environment (NUL-separated) after ENV_MARK, then, with `details`, after
    MORE_MARK the slower facts (Python versions; the course's activate command, tried in a
    subshell so the facts above stay those of the shell as it started)."""
    lines = [
        START_CMD,
        "set +x",
        f"printf '\\n%s\\n' {BEGIN}",
        "printf 'flags\\t%s\\n' \"$-\"",
        "printf 'conda_type\\t%s\\n' \"$(type -t conda 2>/dev/null)\"",
        "printf 'conda_file\\t%s\\n' \"$(type -P conda 2>/dev/null)\"",
        "shopt -s extdebug",
        "printf 'conda_def\\t%s\\n' \"$(declare -F conda 2>/dev/null)\"",
        "shopt -u extdebug",
        "printf 'python_type\\t%s\\n' \"$(type -t python 2>/dev/null)\"",
        "printf 'module_type\\t%s\\n' \"$(type -t module 2>/dev/null)\"",
        f"printf '%s\\n' {ENV_MARK}",
        "for n in $(compgen -e); do printf '%s=%s\\0' \"$n\" \"${!n}\"; done",
        f"printf '%s\\n' {MORE_MARK}",
    ]
    if details:  # no check reads them, and each costs a Python (or conda) start
        lines += [
            # `python` as typed (an alias counts: it is what the user gets), python3 from PATH.
            f"printf 'python_version\\t%s\\n' \"$(python {_PY_VERSION} | head -n 1)\"",
            f"printf 'python3_version\\t%s\\n' \"$(command python3 {_PY_VERSION} | head -n 1)\"",
        ]
        if activate:
            lines.append(f"( if {{ {activate}\n}} </dev/null >/dev/null 2>&1; then printf 'activate\\tok\\n'; "
                         f"printf 'activated_python\\t%s\\n' \"$(command python {_PY_VERSION} | head -n 1)\"; "
                         "else printf 'activate\\tfailed\\n'; fi )")
    return "\n".join(lines) + "\n"


def path_lookup(path: str, name: str, cwd: str) -> str:
    """What bash's `type -P NAME` prints in a shell whose PATH is `path` and whose working
    directory is `cwd`: the first executable file (a directory does not count; an empty or
    relative entry is searched from `cwd` and printed as bash prints it, `./NAME`). bash's
    hash table does not enter: assigning PATH, as every startup file does, empties it."""
    if not path:  # PATH set but empty: bash searches the working directory, printed in full
        here = os.path.join(cwd, name)
        return here if os.path.isfile(here) and os.access(here, os.X_OK) else ""
    for entry in path.split(":"):
        shown = os.path.join(entry or ".", name)
        real = shown if shown.startswith("/") else os.path.join(cwd, shown)
        if os.path.isfile(real) and os.access(real, os.X_OK):
            return shown
    return ""


def shell_cwd(target: Target) -> str:
    """Where the probe's shells start: the user's home, as a login does (envdoctor's own
    directory when the home is missing)."""
    return target.home if os.path.isdir(target.home) else os.getcwd()


def run(target: Target, mode: str, timeout: float, activate: str = "", details: bool = False) -> proc.Completed:
    """Start bash the way `mode` starts it, traced (`-x`), from the target's fresh-login
    environment, and capture what it sees."""
    return proc.bash(mode, capture_script(activate, details), env=target.login_env(), cwd=shell_cwd(target),
                     timeout=timeout, xtrace=True)


class Early:
    """A capture started before its probe: the probe waits on `result()`. (Not a
    concurrent.futures.Future: that import, with logging and traceback, would cost about
    15 ms before the first shell starts.)"""

    def __init__(self, target: Target, mode: str, timeout: float) -> None:
        self.timeout = timeout
        self._done = threading.Event()
        self._result: proc.Completed | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(target, mode), name=f"envdoctor-early-{mode}", daemon=True).start()

    def _run(self, target: Target, mode: str) -> None:
        try:
            self._result = run(target, mode, self.timeout)
        except BaseException as exc:  # noqa: BLE001 - raised again in the probe that claims it
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> proc.Completed:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


_EARLY: dict[tuple[str, str], Early] = {}
_EARLY_LOCK = threading.Lock()


def start(target: Target, timeout: float) -> None:
    """Start the shells of a probe that is about to be made (without details), but for
    those whose facts it will reuse (the login shell first: it is the longest)."""
    for mode in EARLY_MODES:
        if reusable(target, mode) is not None:
            continue
        early = Early(target, mode, timeout)
        with _EARLY_LOCK:
            _EARLY[(repr(target), mode)] = early


def claim(target: Target, mode: str, timeout: float) -> Early | None:
    """The capture of `mode` started early for this target with this timeout, if any (each
    is claimed once: a second probe starts its own)."""
    with _EARLY_LOCK:
        early = _EARLY.pop((repr(target), mode), None)
    return early if early is not None and early.timeout == timeout else None


def pending() -> int:
    """How many early captures are still unclaimed (tests)."""
    with _EARLY_LOCK:
        return len(_EARLY)


def forget() -> None:
    """Drop the unclaimed early captures once their shells have ended (a command that
    stopped before its probe; tests: a shell left running would still be one of proc's live
    groups in the next test)."""
    with _EARLY_LOCK:
        dropped = list(_EARLY.values())
        _EARLY.clear()
    for early in dropped:
        try:
            early.result()
        except BaseException:  # noqa: BLE001 - only its end is waited for
            pass


def start_early(platform: str, target: str, sim_root: str | None, timeout: float = proc.PROBE_TIMEOUT) -> None:
    """`envdoctor check`'s entry point: start the probe's shells now. Anything wrong here
    (a missing node) is left for the command to report properly; this only saves time."""
    try:
        start(open_target(target, platform, sim_root), timeout)
    except Exception:  # noqa: BLE001 - the command reports the same problem properly
        return


# --- reuse --------------------------------------------------------------------------------

def remembers(mode: str) -> bool:
    """Are `mode`'s facts filed and reused? (not with ENVDOCTOR_FRESH set)"""
    return mode in REUSABLE_MODES and os.environ.get("ENVDOCTOR_FRESH", "") in ("", "0")


def _material(target: Target, mode: str) -> tuple[str, ...]:
    """What a capture's record is filed under: envdoctor, the capture, the mode, the target,
    where the shell starts and a digest of the environment it starts with (never the
    environment itself: it may hold secrets)."""
    env = hashlib.sha256("\0".join(f"{k}={v}" for k, v in sorted(target.login_env().items())).encode("utf-8",
                                                                                                     "replace"))
    return __version__, capture_script(), mode, repr(target), shell_cwd(target), env.hexdigest()


def stamp(path: str) -> List[int]:
    """What tells a file's change: size, modification time, inode ([] when it is not there)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return []
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def reusable(target: Target, mode: str) -> Dict[str, Any] | None:
    """The record of `mode`'s last capture on this target, if nothing it read has changed."""
    if not remembers(mode):
        return None
    from envdoctor import cache  # lazy: hashlib and json for the early start only when it asks

    record = cache.read("shell", *_material(target, mode))
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict) \
            or not isinstance(record.get("facts"), dict):
        return None
    if any(stamp(path) != was for path, was in record["files"].items()):
        return None
    return record


def remember(target: Target, mode: str, files: Iterable[str], key: str, facts: Dict[str, Any]) -> None:
    """File `facts` (a ShellMode's JSON, for the recipe `key`) under what the capture read
    (the caller asks `remembers(mode)` first)."""
    from envdoctor import cache  # lazy: see reusable

    stamps = {path: stamp(path) for path in sorted(set(files)) if path}
    material = _material(target, mode)
    record = cache.read("shell", *material)
    known = record.get("facts") if isinstance(record, dict) and record.get("files") == stamps else None
    cache.write("shell", {"files": stamps, "facts": {**(known if isinstance(known, dict) else {}), key: facts}},
                *material)
