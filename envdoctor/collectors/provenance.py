"""PATH provenance: which startup file put each PATH entry there, per shell context.

Each of the login / interactive / batch contexts is started twice, both times as a fresh
bash of the target's user from `target.login_env()`:
1. for real (`proc.bash(mode, ...)`): the state the context really reaches;
2. replaying bash's startup sequence (`bash --noprofile --norc <mode flags>` that then
   sources /etc/profile, ~/.bash_profile, ... in bash's own order) under `set -x` with a
   PS4 that prints file, line and PATH before each command. Bash ignores PS4 from the
   environment when run as root, which is why PS4 is set inside the replay. Each PATH
   entry is attributed to the command after which it appeared.
Both end with the same state script (`STATE`): PATH, where conda / python / pip resolve,
the python3 version, loaded modules. The `shells` collector's runs are the reference for
what a context reaches: it always starts the login and batch contexts, so this collector
starts for real only the interactive one (which `shells` starts only when a login shell
fails), and adds what no real run can tell: where each PATH entry came from.
"""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from envdoctor import proc
from envdoctor.collectors.session import spelling
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.targets import Target

CONTEXTS = ("login", "interactive", "batch")
REAL = ("interactive",)  # the contexts the `shells` collector may skip
SHELL_TIMEOUT = 20.0
ACTIVE_NAMES = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")

STATE = r"""
printf '\n@@EDSTATE@@\n'
printf 'PATH\t%s\n' "$PATH"
printf 'conda\t%s\n' "$(type -t conda 2>/dev/null)"
printf 'module\t%s\n' "$(type -t module 2>/dev/null)"
for __ed_c in python3 python conda pip; do printf 'which.%s\t%s\n' "$__ed_c" "$(type -P $__ed_c 2>/dev/null)"; done
printf 'python3.version\t%s\n' "$(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null)"
if [ "$(type -t module 2>/dev/null)" = function ]; then
  printf 'modules\t%s\n' "$(module -t list 2>&1 | tr '\n' ' ' | head -c 2000)"
fi
for __ed_v in VIRTUAL_ENV CONDA_PREFIX CONDA_DEFAULT_ENV; do printf 'env.%s\t%s\n' "$__ed_v" "${!__ed_v}"; done
"""

_PS4 = r"+@@EDX@@${BASH_SOURCE:-}@@${LINENO}@@${PATH}@@ "
_TRACE_RE = re.compile(r"^(\++)@@EDX@@(.*?)@@(\d+)@@(.*?)@@ (.*)$")


@dataclass(frozen=True)
class ShellState:
    """What the state script printed at the end of one shell (`reached` False: it never got there)."""

    reached: bool
    timed_out: bool = False
    failure: str = ""  # how the shell ended, when it did not reach the end
    path: str = ""  # PATH, in the course's spelling
    conda: str = ""  # `type -t conda`: function, file or ""
    module: str = ""  # `type -t module`
    which: Dict[str, str] = field(default_factory=dict)  # python3, python, conda, pip -> where they resolve
    python3_version: str = ""
    modules: Optional[Tuple[str, ...]] = None  # `module -t list`, when `module` is a function
    active_env: Dict[str, str] = field(default_factory=dict)  # VIRTUAL_ENV, CONDA_PREFIX, CONDA_DEFAULT_ENV


@dataclass(frozen=True)
class PathChange:
    """One command of a startup file after which PATH was different."""

    file: str  # "" for a command typed into the shell itself
    line: int
    command: str
    added: Tuple[str, ...]
    removed: Tuple[str, ...]
    source_line: str = ""  # the file's line as written (when `file` is set)


@dataclass(frozen=True)
class ShellContext:
    flags: str  # how bash is started for this context ("bash -l")
    files: Tuple[str, ...]  # startup files the replay sourced, in order
    path_changes: Tuple[PathChange, ...]
    origins: Dict[str, str]  # PATH entry -> "file:line" (or "(shell)") that added it
    replay_path: str  # PATH at the end of the replay ("" when it never traced a command)
    replay: ShellState
    real: Optional[ShellState] = None  # REAL contexts only (the others: the `shells` facts)


@dataclass(frozen=True)
class ProvenanceFacts(Facts):
    contexts: Dict[str, ShellContext]
    inherited: Tuple[str, ...]  # PATH entries a fresh login starts with (before any startup file)


def replay_script(mode: str, sys_bashrc: bool) -> str:
    """Bash's startup sequence for `mode`, sourced under xtrace with our PS4."""
    if mode in ("login", "batch"):
        seq = ('if [ -r /etc/profile ]; then . /etc/profile; fi\n'
               'if [ -r "$HOME/.bash_profile" ]; then . "$HOME/.bash_profile"; '
               'elif [ -r "$HOME/.bash_login" ]; then . "$HOME/.bash_login"; '
               'elif [ -r "$HOME/.profile" ]; then . "$HOME/.profile"; fi\n')
    else:
        seq = ('if [ -r /etc/bash.bashrc ]; then . /etc/bash.bashrc; fi\n' if sys_bashrc else '') + \
              'if [ -r "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi\n'
    return f"PS4='{_PS4}'\nset -x\n{seq}set +x\n{STATE}"


def bash_has_sys_bashrc() -> bool:
    """Debian-built bash reads /etc/bash.bashrc for interactive shells (SYS_BASHRC)."""
    path = proc.which("bash")
    try:
        return path is not None and b"/etc/bash.bashrc" in Path(path).read_bytes()
    except OSError:
        return False


def parse_state(stdout: str, norm: Callable[[str], str], done: Optional[proc.Completed] = None) -> ShellState:
    """The state script's lines (after its marker) as a ShellState."""
    if "@@EDSTATE@@" not in stdout:
        timed_out = bool(done is not None and done.timed_out)
        return ShellState(False, timed_out, done.describe() if done is not None else "")
    state: Dict[str, str] = {}
    for line in stdout.split("@@EDSTATE@@\n", 1)[1].splitlines():
        key, sep, value = line.partition("\t")
        if sep:
            state[key] = value
    modules = tuple(state["modules"].split()) if "modules" in state else None
    return ShellState(True, path=norm(state.get("PATH", "")), conda=state.get("conda", ""),
                      module=state.get("module", ""), python3_version=state.get("python3.version", ""),
                      which={k[6:]: norm(v) for k, v in sorted(state.items()) if k.startswith("which.")},
                      modules=modules, active_env={k: norm(state.get(f"env.{k}", "")) for k in ACTIVE_NAMES})


def read_line(path: str, lineno: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                if i == lineno:
                    return line.strip()[:300]
    except OSError:
        pass
    return ""


def parse_trace(stderr: str, norm: Callable[[str], str]) -> Tuple[List[str], List[PathChange], Dict[str, str], str]:
    """(files sourced, PATH changes, entry -> where it was added, PATH at the end) of a replay."""
    files: List[str] = []
    changes: List[PathChange] = []
    origins: Dict[str, str] = {}
    prev: Optional[Tuple[str, int, str, str]] = None
    final = ""
    for line in stderr.splitlines():
        m = _TRACE_RE.match(line)
        if not m:
            continue
        # bash 5 counts `source` nesting in the prefix too (group 1): every level is the same shell.
        source, lineno, path, command = m.group(2), int(m.group(3)), norm(m.group(4)), m.group(5)
        if source and source not in files:
            files.append(source)
        if prev is not None and path != prev[3]:
            before, after = prev[3].split(":"), path.split(":")
            added = tuple(p for p in after if p not in before)
            where = f"{norm(prev[0])}:{prev[1]}" if prev[0] else "(shell)"
            for p in added:
                origins[p] = where
            changes.append(PathChange(norm(prev[0]), prev[1], norm(prev[2][:300]), added,
                                      tuple(p for p in before if p not in after),
                                      norm(read_line(prev[0], prev[1])) if prev[0] else ""))
        prev = (source, lineno, command, path)
        final = path
    return [norm(f) for f in files], changes, origins, final


def context(target: Target, mode: str, sys_bashrc: bool, norm: Callable[[str], str]) -> ShellContext:
    """The replay of `mode` (and, for REAL contexts, the real shell's end state)."""
    env = target.login_env()
    cwd = target.home if os.path.isdir(target.home) else None
    replay = proc.run(("bash", "--noprofile", "--norc", *proc.SHELL_FLAGS[mode], "-c", replay_script(mode, sys_bashrc)),
                      env=env, cwd=cwd, timeout=SHELL_TIMEOUT)
    real = proc.bash(mode, STATE, env=env, cwd=cwd, timeout=SHELL_TIMEOUT) if mode in REAL else None
    files, changes, origins, final = parse_trace(replay.stderr, norm)
    return ShellContext(" ".join(("bash",) + proc.SHELL_FLAGS[mode]), tuple(files), tuple(changes), origins, final,
                        parse_state(replay.stdout, norm, replay),
                        parse_state(real.stdout, norm, real) if real is not None else None)


@collector("provenance", ProvenanceFacts)
def collect_provenance(ctx: ProbeContext) -> ProvenanceFacts:
    t = ctx.target
    norm = spelling(t).normaliser()
    sys_bashrc = bash_has_sys_bashrc()
    with ThreadPoolExecutor(max_workers=len(CONTEXTS)) as pool:
        futures = {m: pool.submit(context, t, m, sys_bashrc, norm) for m in CONTEXTS}
        contexts = {m: f.result() for m, f in futures.items()}
    inherited = tuple(norm(p) for p in t.login_env().get("PATH", "").split(":"))
    return ProvenanceFacts(contexts, inherited)
