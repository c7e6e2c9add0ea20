"""Shell facts: the user's startup files, and what really happens when bash starts.

Two kinds of facts, so checks can say *why*:
- static: each startup file (readable? `bash -n` clean? where is the conda initialize block,
  the interactive-only guard, the line that sources ~/.bashrc?), and which of
  ~/.bash_profile, ~/.bash_login, ~/.profile a login shell reads;
- dynamic: bash started the way each context starts it (login, interactive, batch, script;
  see proc.SHELL_FLAGS) from the target's fresh-login environment, with `-x`: does `conda`
  resolve, where was its function defined (`declare -F` under extdebug), which files were
  sourced, did ~/.bashrc `return` early, did the conda block run, PATH and environment,
  the `module` command, the Python versions, and whether the course's activate command works.

The per-context capture (`context_script`) is the only script that records what a shell
sees: `check --in-job` runs the same snippet inside a batch job and reads its output with
the same parser (`mode_facts`), so a job's shell and a login shell are two `ShellMode`s.
"""
from __future__ import annotations

import functools
import os
import re
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from typing import Callable, Dict, Mapping, Optional, Tuple

from envdoctor import proc, shellcapture
from envdoctor.collectors.host import keep_env, sdk_prefixes, unmap_value
from envdoctor.facts import Facts, FactsError
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Recipe
from envdoctor.redact import name_is_secret
from envdoctor.shellcapture import BEGIN, ENV_MARK, MORE_MARK, START_CMD, capture_script, path_lookup, shell_cwd
from envdoctor.startup_text import FileText, analyse_text
from envdoctor.targets import Target

LOGIN_FILES = ("~/.bash_profile", "~/.bash_login", "~/.profile")
STARTUP_FILES = LOGIN_FILES + ("~/.bashrc",)
MODES = ("login", "interactive", "batch", "script")
# The commands every shell context is asked to resolve (besides the recipe's own).
BASE_COMMANDS = ("conda", "python", "python3", "pip", "git", "virtualenv")
# Variables kept from each shell's environment besides host.KEEP_VARS and the recipe's own:
# the modules loaded (`check --in-job` compares them with a job's).
SHELL_VARS = ("LOADEDMODULES",)
# Extra seconds a context may take for the activate command and the Python versions, after
# its startup files ran (a real `conda activate` starts conda's own Python).
ACTIVATE_SECONDS = 10.0



# --- the facts -------------------------------------------------------------------------

@dataclass(frozen=True)
class StartupFile(FileText):
    """One of ~/.bash_profile, ~/.bash_login, ~/.profile, ~/.bashrc: what its text says
    (FileText's fields, flat on the wire) and whether it can be read at all."""

    display: str = ""
    exists: bool = False
    symlink: bool = False
    readable: bool = False
    error: str = ""  # why it cannot be used ("is a directory, not a file", ...)
    link_target: str = ""
    crlf: bool = False
    syntax_error: str = ""  # `bash -n`'s first message


@dataclass(frozen=True)
class Trace:
    """From `bash -x`: files sourced, files that returned early, where the conda block ran."""

    sourced: Tuple[str, ...] = ()
    returned_early: Tuple[str, ...] = ()
    conda_block_ran_in: Tuple[str, ...] = ()
    errors: Tuple[str, ...] = ()  # bash's own messages while starting


@dataclass(frozen=True)
class PathEntry:
    """One PATH entry as a shell reached it."""

    entry: str  # as the course writes it (`~/bin`, `/opt/...`)
    exists: bool = False
    is_dir: bool = False
    relative: bool = False


@dataclass(frozen=True)
class Location:
    """A line of a file."""

    file: str
    line: int


@dataclass(frozen=True)
class ShellMode(Facts):
    """What one shell context sees once its startup files ran (or why it did not get there).

    Also the facts of a batch job's shell (`check --in-job`, mode "job"): same capture,
    same parser, so the two compare field by field.
    """

    mode: str
    reached: bool  # the capture ran (the startup files did not `exit`, `exec` or hang)
    argv: str = ""
    returncode: int = 0
    timed_out: bool = False  # the startup files did not finish in time
    duration_ms: int = 0
    flags: str = ""  # $-
    conda_type: str = ""  # type -t conda: function, file, alias or ""
    conda_file: str = ""
    conda_def: str = ""  # declare -F conda under extdebug: "conda LINE FILE"
    conda_defined_at: Optional[Location] = None
    python_type: str = ""
    module_type: str = ""  # type -t module
    python_version: str = ""  # of `python`, as the shell resolves it (aliases included)
    python3_version: str = ""
    activate: str = ""  # the course's activate command: "ok", "failed", "timeout", "" (none)
    activated_python: str = ""  # `python`'s version once activated
    which: Dict[str, str] = field(default_factory=dict)  # command -> type -P (this machine's path)
    env: Dict[str, str] = field(default_factory=dict)  # kept variables, course spelling, URLs redacted
    path: Tuple[PathEntry, ...] = ()
    trace: Trace = field(default_factory=Trace)
    stderr_tail: str = ""  # the last line bash printed when the capture was not reached
    reused: bool = False  # from the last capture: nothing it read has changed (shellcapture)


@dataclass(frozen=True)
class CondaInstall:
    """The Miniconda install the recipe names."""

    prefix: str
    display: str
    exists: bool = False
    conda_exe: bool = False
    condabin: bool = False
    conda_sh: bool = False
    activate: bool = False
    version: str = ""
    auto_activate_base: Optional[bool] = None
    condarc: str = ""


@dataclass(frozen=True)
class ShellFacts(Facts):
    """The startup files, what each shell context sees, and the conda install."""

    files: Dict[str, StartupFile]
    login_reads: str
    modes: Dict[str, ShellMode]
    conda: CondaInstall
    commands: Tuple[str, ...] = ()


# --- startup files ---------------------------------------------------------------------

def read_startup_file(target: Target, recipe_path: str) -> StartupFile:
    path = target.path(recipe_path)
    facts = StartupFile(display=recipe_path, symlink=os.path.islink(path),
                        link_target=os.readlink(path) if os.path.islink(path) else "")
    if not os.path.lexists(path):
        return facts
    if not os.path.exists(path):
        return replace(facts, error=f"is a symlink to {facts.link_target}, which does not exist")
    facts = replace(facts, exists=True)
    if os.path.isdir(path):
        return replace(facts, error="is a directory, not a file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(2_000_000)
    except OSError as exc:
        return replace(facts, error=f"cannot be read: {exc.strerror or exc}")
    text = data.decode("utf-8", errors="replace")
    seen = analyse_text(text)
    return replace(facts, readable=True, crlf="\r\n" in text,
                   **{f.name: getattr(seen, f.name) for f in fields(FileText)})


def login_reads(files: Mapping[str, StartupFile]) -> str:
    """bash reads the FIRST of ~/.bash_profile, ~/.bash_login, ~/.profile that exists and is readable."""
    for name in LOGIN_FILES:
        f = files.get(name)
        if f is not None and f.exists and f.readable:
            return name
    return ""


# --- the capture: what a shell sees -------------------------------------------------------

def map_command(cmd: str, target: Target) -> str:
    """A recipe command with its node paths (`/opt/...`) mapped onto a simulated node."""
    return target.map_command(cmd)


def recipe_commands(recipe: Recipe) -> tuple[str, ...]:
    """The commands each context resolves: the usual ones, the scheduler's, the vendor tools."""
    names = list(BASE_COMMANDS) + list(recipe.scheduler.commands) + [s.argv[0] for s in recipe.sdk if not s.in_env]
    return tuple(dict.fromkeys(n for n in names if n and "/" not in n))


def capture_vars(recipe: Recipe) -> tuple[str, ...]:
    """Variables kept besides host.KEEP_VARS: the recipe's own (a secret-looking name the
    course sets is kept too: it is the course's) and SHELL_VARS."""
    return tuple(dict.fromkeys([n for v in recipe.variables for n in v.names()] + list(SHELL_VARS)))


def activation(recipe: Recipe, target: Target) -> str:
    return map_command(recipe.environment.activate, target) if recipe.environment.activate else ""


def context_script(recipe: Recipe, target: Target) -> str:
    """The capture with its details (Python versions, the course's activate command): what
    `check --in-job` runs inside a batch job (see envdoctor.shellcapture)."""
    return capture_script(activation(recipe, target), details=True)


def parse_trace(stderr: str) -> Trace:
    """Which files were sourced, which returned early, where the conda block ran (from `bash -x`).

    As root bash ignores PS4 from the environment, so the trace has the default `+ ` prefix;
    its repetition counts the source/eval nesting, which is enough to attribute a `return`
    or the conda block's `__conda_setup=` to the file being sourced at that depth.
    """
    stack: dict[int, str] = {}
    sourced: list[str] = []
    returns: list[str] = []
    block_ran: list[str] = []
    errors: list[str] = []
    for line in stderr.splitlines():
        m = re.match(r"^(\++) (.*)$", line)
        if not m:
            if line.startswith("bash: ") and "job control" not in line and "terminal process group" not in line:
                errors.append(line[:300])
            continue
        depth, cmd = len(m.group(1)), m.group(2)
        if cmd == START_CMD:
            break
        sm = re.match(r"""^(?:\.|source) (?:'([^']+)'|(\S+))""", cmd)
        if sm:
            path = sm.group(1) or sm.group(2)
            sourced.append(path)
            for d in [d for d in stack if d > depth]:
                del stack[d]
            stack[depth + 1] = path
        elif cmd == "return" or cmd.startswith("return "):
            returns.append(stack.get(depth, ""))
        elif cmd.startswith("__conda_setup="):
            block_ran.append(stack.get(depth, ""))
    return Trace(tuple(sourced), tuple(returns), tuple(block_ran), tuple(errors[:10]))


@dataclass(frozen=True)
class Captured:
    """The capture's output, parsed (before paths are spelled the course's way)."""

    reached: bool
    values: Dict[str, str] = field(default_factory=dict)  # key -> value lines
    env: Dict[str, str] = field(default_factory=dict)  # the whole exported environment
    finished: bool = False  # got past the environment (MORE_MARK)


def parse_output(stdout: str) -> Captured:
    if BEGIN not in stdout:
        return Captured(False)
    body = stdout.split(BEGIN, 1)[1]
    text, _, rest = body.partition(ENV_MARK + "\n")
    env_part, finished, more = rest.partition(MORE_MARK + "\n")
    values: dict[str, str] = {}
    for line in (text + "\n" + more).splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            values[parts[0]] = parts[1]
    env: dict[str, str] = {}
    for item in env_part.split("\0"):
        name, sep, value = item.partition("=")
        if sep and name and "\n" not in name:
            env[name] = value
    return Captured(True, values, env, bool(finished))


def mode_facts(target: Target, mode: str, done: proc.Completed, recipe: Recipe, activating: bool = False,
               cwd: str | None = None) -> tuple[ShellMode, Dict[str, str]]:
    """A context's facts from the capture's output (and bash's `-x` trace on stderr, when
    traced), with the whole environment it reached (never stored: it carries secrets). The
    recipe's variables are kept, and its commands resolved on the PATH the shell reached,
    from `cwd` (where the shell started) as bash's `type -P` would."""
    got = parse_output(done.stdout)
    v = got.values
    timed_out = done.timed_out and not got.finished  # a slow activate is not a hanging startup file
    activate = v.get("activate", "timeout" if done.timed_out and activating else "")
    trace = parse_trace(done.stderr)
    trace = replace(trace, sourced=_unmapped(target, trace.sourced),
                    returned_early=_unmapped(target, trace.returned_early),
                    conda_block_ran_in=_unmapped(target, trace.conda_block_ran_in))
    facts = ShellMode(
        mode=mode, reached=got.reached, argv=" ".join(done.argv), returncode=done.returncode, timed_out=timed_out,
        duration_ms=done.duration_ms, flags=v.get("flags", ""), conda_type=v.get("conda_type", ""),
        conda_file=v.get("conda_file", ""), conda_def=v.get("conda_def", ""),
        conda_defined_at=_defined_at(target, v.get("conda_def", "")), python_type=v.get("python_type", ""),
        module_type=v.get("module_type", ""), python_version=v.get("python_version", ""),
        python3_version=v.get("python3_version", ""), activate=activate if got.reached else "",
        activated_python=v.get("activated_python", ""), which=_which(got, recipe_commands(recipe), cwd or shell_cwd(target)),
        env={k: unmap_value(target, val) for k, val in keep_env(got.env, capture_vars(recipe)).items()},
        path=tuple(_path_entry(target, p) for p in got.env["PATH"].split(":")) if "PATH" in got.env else (),
        trace=trace,
        stderr_tail="" if got.reached else (done.stderr.strip().splitlines() or [""])[-1][:300],
    )
    return facts, got.env


def _which(got: Captured, commands: tuple[str, ...], cwd: str) -> Dict[str, str]:
    if not got.reached:
        return {}
    path = got.env.get("PATH")
    return {c: path_lookup(path, c, cwd) if path is not None else "" for c in commands}


def _unmapped(target: Target, paths: Tuple[str, ...]) -> Tuple[str, ...]:
    return tuple(target.unmap(p) if p else "" for p in paths)


def job_facts(recipe: Recipe, target: Target, stdout: str, stderr: str = "", cwd: str | None = None) -> ShellMode:
    """The facts `context_script` printed inside a batch job (mode "job") that ran in `cwd`.
    Its commands are resolved here, on the job's PATH: the job's node sees the same shared
    file systems (home, projects, software) as the node that reads its output."""
    done = proc.Completed(argv=(), returncode=0, stdout=stdout, stderr=stderr)
    return mode_facts(target, "job", done, recipe, bool(activation(recipe, target)), cwd)[0]


def _defined_at(target: Target, conda_def: str) -> Location | None:
    parts = conda_def.split(" ", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return Location(target.unmap(parts[2]), int(parts[1]))
    return None


def run_mode(target: Target, recipe: Recipe, mode: str, timeout: float,
             details: bool = False) -> tuple[ShellMode, Dict[str, str]]:
    """Start bash the way `mode` starts it, traced, and capture what it sees (with `details`,
    also the Python versions and the course's activate command: see ProbeContext)."""
    act = activation(recipe, target) if details else ""
    done = shellcapture.run(target, mode, timeout + (ACTIVATE_SECONDS if act else 0.0), act, details)
    return captured_mode(target, recipe, mode, done, bool(act), details)


def captured_mode(target: Target, recipe: Recipe, mode: str, done: proc.Completed,
                  activating: bool = False, details: bool = False) -> tuple[ShellMode, Dict[str, str]]:
    """The facts of a capture run in `mode` (by run_mode, or started early); those of a
    capture without details are remembered for reuse (shellcapture.remember)."""
    facts, env = mode_facts(target, mode, done, recipe, activating)
    facts = replace(facts, argv=" ".join(proc.bash_argv(mode, "…")))
    if shellcapture.remembers(mode) and not details and facts.reached and not facts.timed_out \
            and not any(name_is_secret(n) for n in facts.env):
        # (a secret-looking variable the course sets is kept in the facts: never on disk)
        shellcapture.remember(target, mode, _read_by(target, facts.conda_file, done.stderr, env), _facts_key(recipe),
                              facts.to_json())
    return facts, env


def _read_by(target: Target, conda_file: str, trace: str, env: Mapping[str, str]) -> list[str]:
    """Every file and directory whose change could change what a capture saw: the startup
    files bash reads itself ($BASH_ENV too), each file they sourced (the trace), the directories of PATH
    (where commands resolve) and MODULEPATH, and conda's program and settings (its hook's
    output depends on them). `trace` is bash's `-x` output: its paths as this machine has them
    (the facts' trace is in the course's spelling)."""
    conda_prefix = os.path.dirname(os.path.dirname(conda_file)) if conda_file else ""
    return [*(target.path(f) for f in STARTUP_FILES), "/etc/profile", "/etc/bash.bashrc", "/etc/bashrc",
            env.get("BASH_ENV", ""),  # what a non-interactive shell reads first, untraced
            *parse_trace(trace).sourced,
            *(d for d in env.get("PATH", "").split(":") if d.startswith("/")),
            *(d for d in env.get("MODULEPATH", "").split(":") if d.startswith("/")),
            env.get("CONDARC", ""), target.path("~/.condarc"), target.path("~/.config/conda/condarc"),
            target.path("~/.conda/condarc"), conda_file,
            *((os.path.join(conda_prefix, ".condarc"), os.path.join(conda_prefix, "condarc")) if conda_prefix else ())]


def _reused(ctx: ProbeContext, mode: str) -> Callable[[], _Login] | None:
    """The facts of `mode`'s last capture on this target for this recipe, when nothing it
    read has changed since (and this probe wants no details)."""
    record = None if ctx.details else shellcapture.reusable(ctx.target, mode)
    facts = record["facts"].get(_facts_key(ctx.recipe)) if record is not None else None
    if not isinstance(facts, dict):
        return None
    try:
        reused = replace(ShellMode.from_json(facts), reused=True)
    except FactsError:  # damaged, or planted: capture afresh
        return None
    return lambda: (reused, {})


def _facts_key(recipe: Recipe) -> str:
    """What of the recipe the parsed facts depend on: the commands resolved, the variables
    kept (its own and every platform's SDK prefixes)."""
    return "\0".join((*recipe_commands(recipe), "", *capture_vars(recipe), "", *sdk_prefixes()))


def _path_entry(target: Target, entry: str) -> PathEntry:
    real = entry if entry.startswith("/") else ""
    return PathEntry(target.unmap(entry) if entry else "", bool(real) and os.path.exists(real),
                     bool(real) and os.path.isdir(real), bool(entry) and not entry.startswith("/"))


def syntax_check(path: str, timeout: float) -> str:
    """`bash -n FILE`: "" when clean, else bash's first message."""
    done = proc.run(["bash", "-n", path], timeout=timeout, env={"PATH": "/usr/bin:/bin", "LANG": "C"})
    if done.ok:
        return ""
    if done.timed_out:
        return "bash -n did not finish"
    return (done.stderr.strip().splitlines() or [f"bash -n exited {done.returncode}"])[0]


def conda_install_facts(target: Target, prefix_recipe: str) -> CondaInstall:
    prefix = target.path(prefix_recipe)
    exe = os.path.join(prefix, "bin", "conda")
    version, auto, condarc = "", None, ""
    meta = os.path.join(prefix, "conda-meta")
    try:
        for name in os.listdir(meta):
            m = re.fullmatch(r"conda-(\d[^-]*)-[^-]+\.json", name)
            if m:
                version = m.group(1)
    except OSError:
        pass
    for rc in (os.path.join(target.home, ".condarc"), os.path.join(prefix, ".condarc")):
        try:
            with open(rc, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    m = re.match(r"^\s*(auto_activate_base|auto_activate)\s*:\s*(\S+)", line)
                    if m:
                        auto, condarc = m.group(2).lower() in ("true", "yes", "1"), target.unmap(rc)
        except OSError:
            continue
    return CondaInstall(
        prefix=prefix, display=prefix_recipe, exists=os.path.isdir(prefix),
        conda_exe=os.path.isfile(exe) and os.access(exe, os.X_OK),
        condabin=os.path.isfile(os.path.join(prefix, "condabin", "conda")),
        conda_sh=os.path.isfile(os.path.join(prefix, "etc", "profile.d", "conda.sh")),
        activate=os.path.isfile(os.path.join(prefix, "bin", "activate")),
        version=version, auto_activate_base=auto, condarc=condarc)


# The login shell is started once per probe and shared: the sdk collector runs the vendor
# commands in the environment it reaches instead of starting login shells of its own.
# Keyed by id(ctx) with a weak reference to check identity (ids are reused after a context dies).
_Login = Tuple[ShellMode, Dict[str, str]]
_LOGIN: OrderedDict[int, tuple[weakref.ref[ProbeContext], Future[_Login]]] = OrderedDict()
_LOGIN_LOCK = threading.Lock()


def _claim_early(ctx: ProbeContext, mode: str) -> Callable[[], _Login] | None:
    """The facts of the shell of `mode` that `envdoctor check` started early for this
    target (shellcapture.start_early), as a function that waits for it; None when there is
    none, or when this probe wants details (the early ones run without)."""
    early = None if ctx.details else shellcapture.claim(ctx.target, mode, ctx.timeout)
    if early is None:
        return None
    return lambda: captured_mode(ctx.target, ctx.recipe, mode, early.result())


def _login_future(ctx: ProbeContext) -> Future[_Login]:
    with _LOGIN_LOCK:
        entry = _LOGIN.get(id(ctx))
        if entry is not None and entry[0]() is ctx:
            return entry[1]
        early = _claim_early(ctx, "login")
        fut: Future[_Login] = Future()
        _LOGIN[id(ctx)] = (weakref.ref(ctx), fut)
        while len(_LOGIN) > 8:
            _LOGIN.popitem(last=False)
    try:
        fut.set_result(early() if early is not None else run_mode(ctx.target, ctx.recipe, "login", ctx.timeout,
                                                                  ctx.details))
    except BaseException as exc:  # noqa: BLE001 - handed to every waiter
        fut.set_exception(exc)
    return fut


def login_environment(ctx: ProbeContext) -> dict[str, str] | None:
    """The full environment a fresh login shell of the target's user reaches (None if it did not start)."""
    facts, env = _login_future(ctx).result()
    return dict(env) if facts.reached else None


def _with_conda_prefixes(target: Target, f: StartupFile) -> StartupFile:
    blocks = tuple(replace(b, prefix_display=target.unmap(b.prefix),
                           prefix_exists=os.path.isfile(os.path.join(b.prefix, "bin", "conda")))
                   if b.prefix else b for b in f.conda_blocks)
    return replace(f, conda_blocks=blocks)


@collector("shells", ShellFacts)
def collect_shells(ctx: ProbeContext) -> ShellFacts:
    t, r = ctx.target, ctx.recipe
    prefix = r.environment.conda.prefix if r.environment.conda else "~/miniconda3"
    with ThreadPoolExecutor(max_workers=len(MODES) + 2) as pool:
        # The interactive shell only explains a failing login shell (`bash` inside the session
        # finds conda, ssh does not): started only when the login shell does not find conda.
        futures = {m: pool.submit(_claim_early(ctx, m) or _reused(ctx, m)
                                  or functools.partial(run_mode, t, r, m, ctx.timeout, ctx.details))
                   for m in MODES if m not in ("login", "interactive")}
        files = {name: read_startup_file(t, name) for name in STARTUP_FILES}
        checks = {name: pool.submit(syntax_check, t.path(name), ctx.timeout)
                  for name, f in files.items() if f.readable}
        futures["login"] = _login_future(ctx)  # runs here, or already running for the sdk collector
        conda = conda_install_facts(t, prefix)
        for name, fut in checks.items():
            msg = fut.result()
            files[name] = replace(files[name], syntax_error=msg.replace(t.path(name), name) if msg else "")
        login = futures["login"].result()[0]
        conda_ok = login.conda_type == "function" or r.environment.kind != "conda"
        if not (login.reached and conda_ok):
            futures["interactive"] = pool.submit(run_mode, t, r, "interactive", ctx.timeout, ctx.details)
        modes = {m: futures[m].result()[0] for m in MODES if m in futures}
    files = {name: _with_conda_prefixes(t, f) for name, f in files.items()}
    return ShellFacts(files, login_reads(files), modes, conda, recipe_commands(r))
