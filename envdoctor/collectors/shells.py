"""Shell facts: the user's startup files, and what really happens when bash starts.

Two kinds of facts, so checks can say *why*:
- static: each startup file (readable? `bash -n` clean? where is the conda initialize block,
  the interactive-only guard, the line that sources ~/.bashrc?), and which of
  ~/.bash_profile, ~/.bash_login, ~/.profile a login shell reads;
- dynamic: bash started the way each context starts it (login, interactive, batch, script;
  see proc.SHELL_FLAGS) from the target's fresh-login environment, with `-x`: does `conda`
  resolve, where was its function defined (`declare -F` under extdebug), which files were
  sourced, did ~/.bashrc `return` early, did the conda block run, PATH and environment.
"""
from __future__ import annotations

import os
import re
import shlex
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from envdoctor import proc
from envdoctor.collectors.host import keep_env, unmap_value
from envdoctor.probe import ProbeContext, collector
from envdoctor.targets import Target

LOGIN_FILES = ("~/.bash_profile", "~/.bash_login", "~/.profile")
STARTUP_FILES = LOGIN_FILES + ("~/.bashrc",)
MODES = ("login", "interactive", "batch", "script")
BEGIN = "@@ENVDOCTOR-PROBE-BEGIN@@"
ENV_MARK = "@@ENVDOCTOR-PROBE-ENV@@"
START_CMD = ": envdoctor-probe-start"
# The commands every shell context is asked to resolve (besides the recipe's own).
BASE_COMMANDS = ("conda", "python", "python3", "pip", "git", "virtualenv")

BLOCK_START = re.compile(r"^\s*#\s*>>>\s*conda initialize\s*>>>")
BLOCK_END = re.compile(r"^\s*#\s*<<<\s*conda initialize\s*<<<")
CONDA_EXE_IN_BLOCK = re.compile(r"""['"]?(/[^'"\s$]+?)/(?:bin|condabin)/conda['"]?""")
CONDA_SH = re.compile(r"""(/[^'"\s$]+?)/etc/profile\.d/conda\.sh""")
GUARD_TEST = re.compile(r"""(\$-|\$\{-\}|\bPS1\b)""")
CASE_GUARD = re.compile(r"""^\s*case\s+["']?\$(-|\{-\})["']?\s+in""")
SOURCES_BASHRC = re.compile(
    r"""(^|[;&|{\s])(\.|source)\s+["']?(~|\$HOME|\$\{HOME\}|/[^\s'"]*)/\.bashrc["']?""")
ACTIVATE_LINE = re.compile(
    r"""(\bconda\s+activate\b|/bin/activate\b|etc/profile\.d/conda\.sh|shell\.(bash|posix)\s+hook)""")


def _strip_comment(line: str) -> str:
    s = line.strip()
    return "" if s.startswith("#") else s


def analyse_text(text: str) -> dict[str, Any]:
    """Static facts of one startup file: conda blocks, interactive guards, sourcing lines."""
    lines = text.splitlines()
    blocks: list[dict[str, Any]] = []
    guards: list[dict[str, Any]] = []
    sources_bashrc: list[int] = []
    activations: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for i, raw in enumerate(lines, start=1):
        if BLOCK_START.match(raw):
            current = {"start": i, "end": 0, "prefix": ""}
            continue
        if current is not None:
            if BLOCK_END.match(raw):
                current["end"] = i
                blocks.append(current)
                current = None
                continue
            m = CONDA_EXE_IN_BLOCK.search(raw) or CONDA_SH.search(raw)
            if m and not current["prefix"] and not raw.lstrip().startswith("#"):
                current["prefix"] = m.group(1)
            continue
        code = _strip_comment(raw)
        if not code:
            continue
        if SOURCES_BASHRC.search(code):
            sources_bashrc.append(i)
        if ACTIVATE_LINE.search(code):
            activations.append({"line": i, "text": code[:200]})
        guard = _guard_at(lines, i - 1)
        if guard:
            guards.append({"line": i, "text": code[:200]})
    if current is not None:  # an unterminated block still counts (and is a finding)
        current["end"] = 0
        blocks.append(current)
    return {"lines": len(lines), "conda_blocks": blocks, "guards": guards,
            "sources_bashrc": sources_bashrc, "activations": activations}


def _guard_at(lines: list[str], idx: int) -> bool:
    """Is line idx an interactive-only guard (returns early when the shell is not interactive)?"""
    code = _strip_comment(lines[idx])
    if CASE_GUARD.search(code):
        window = " ".join(_strip_comment(x) for x in lines[idx: idx + 5])
        return bool(re.search(r"\*\)\s*return\b", window)) and "*i*" in window
    if GUARD_TEST.search(code) and ("return" in code or idx + 1 < len(lines)):
        window = code if re.search(r"\breturn\b", code) else " ".join(
            _strip_comment(x) for x in lines[idx: idx + 3])
        if not re.search(r"\breturn\b", window):
            return False
        # [ -z "$PS1" ] && return  |  [[ $- != *i* ]] && return  |  if ...; then return
        return bool(re.search(r"""-z\s+["']?\$\{?PS1""", window) or re.search(r"\$\{?-\}?[\"']?\s*!?=+\s*\*i\*", window)
                    or re.search(r"""\[\s*!?\s*-n\s+["']?\$\{?PS1""", window))
    return False


def read_startup_file(target: Target, recipe_path: str) -> dict[str, Any]:
    path = target.path(recipe_path)
    facts: dict[str, Any] = {"display": recipe_path, "path": path, "exists": False, "symlink": os.path.islink(path),
                             "readable": False, "error": ""}
    if facts["symlink"]:
        facts["link_target"] = os.readlink(path)
    if not os.path.lexists(path):
        return facts
    if not os.path.exists(path):
        facts["error"] = f"is a symlink to {facts.get('link_target')}, which does not exist"
        return facts
    facts["exists"] = True
    if os.path.isdir(path):
        facts["error"] = "is a directory, not a file"
        return facts
    try:
        with open(path, "rb") as fh:
            data = fh.read(2_000_000)
    except OSError as exc:
        facts["error"] = f"cannot be read: {exc.strerror or exc}"
        return facts
    facts["readable"] = True
    text = data.decode("utf-8", errors="replace")
    facts["crlf"] = "\r\n" in text
    facts.update(analyse_text(text))
    return facts


def login_reads(files: dict[str, dict[str, Any]]) -> str:
    """bash reads the FIRST of ~/.bash_profile, ~/.bash_login, ~/.profile that exists and is readable."""
    for name in LOGIN_FILES:
        f = files.get(name, {})
        if f.get("exists") and f.get("readable"):
            return name
    return ""


def probe_script(commands: tuple[str, ...]) -> str:
    names = " ".join(shlex.quote(c) for c in commands)
    return "\n".join([
        START_CMD,
        "set +x",
        f"printf '\\n%s\\n' {shlex.quote(BEGIN)}",
        "printf 'flags\\t%s\\n' \"$-\"",
        "printf 'conda_type\\t%s\\n' \"$(type -t conda 2>/dev/null)\"",
        "printf 'conda_file\\t%s\\n' \"$(type -P conda 2>/dev/null)\"",
        "shopt -s extdebug",
        "printf 'conda_def\\t%s\\n' \"$(declare -F conda 2>/dev/null)\"",
        "shopt -u extdebug",
        "printf 'python_type\\t%s\\n' \"$(type -t python 2>/dev/null)\"",
        f"for c in {names}; do printf 'which\\t%s\\t%s\\n' \"$c\" \"$(type -P \"$c\" 2>/dev/null)\"; done",
        f"printf '%s\\n' {shlex.quote(ENV_MARK)}",
        "for n in $(compgen -e); do printf '%s=%s\\0' \"$n\" \"${!n}\"; done",
    ])


def parse_trace(stderr: str) -> dict[str, Any]:
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
    return {"sourced": sourced, "returned_early": returns, "conda_block_ran_in": block_ran, "errors": errors[:10]}


def parse_output(stdout: str) -> dict[str, Any]:
    if BEGIN not in stdout:
        return {"reached": False}
    body = stdout.split(BEGIN, 1)[1]
    text, _, env_part = body.partition(ENV_MARK + "\n")
    facts: dict[str, Any] = {"reached": True, "which": {}}
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "which" and len(parts) >= 2:
            facts["which"][parts[1]] = parts[2] if len(parts) > 2 else ""
        elif len(parts) == 2:
            facts[parts[0]] = parts[1]
    env: dict[str, str] = {}
    for item in env_part.split("\0"):
        name, sep, value = item.partition("=")
        if sep and name and "\n" not in name:
            env[name] = value
    facts["env_raw"] = env
    return facts


def run_mode(target: Target, mode: str, commands: tuple[str, ...], timeout: float,
             extra_vars: tuple[str, ...]) -> dict[str, Any]:
    done = proc.bash(mode, probe_script(commands), env=target.login_env(), cwd=target.home if os.path.isdir(target.home) else None,
                     timeout=timeout, xtrace=True)
    facts = parse_output(done.stdout)
    env = facts.pop("env_raw", {})
    facts["_full_env"] = env  # removed before the facts are stored (secrets); see login_environment
    facts.update({
        "mode": mode,
        "argv": " ".join(proc.bash_argv(mode, "…")),
        "returncode": done.returncode,
        "timed_out": done.timed_out,
        "duration_ms": done.duration_ms,
        "trace": parse_trace(done.stderr),
        "env": {k: unmap_value(target, v) for k, v in keep_env(env, extra_vars).items()},
        "path": [_path_entry(target, p) for p in env.get("PATH", "").split(":")] if "PATH" in env else [],
    })
    conda_def = facts.get("conda_def", "")
    if conda_def:
        parts = conda_def.split(" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            facts["conda_defined_at"] = {"file": target.unmap(parts[2]), "line": int(parts[1])}
    trace = facts["trace"]
    for key in ("sourced", "returned_early", "conda_block_ran_in"):
        trace[key] = [target.unmap(p) if p else "" for p in trace[key]]
    if not facts.get("reached"):
        tail = (done.stderr.strip().splitlines() or [""])[-1]
        facts["stderr_tail"] = tail[:300]
    return facts


def _path_entry(target: Target, entry: str) -> dict[str, Any]:
    real = entry if entry.startswith("/") else ""
    return {"entry": target.unmap(entry) if entry else "", "exists": bool(real) and os.path.exists(real),
            "is_dir": bool(real) and os.path.isdir(real), "relative": bool(entry) and not entry.startswith("/")}


def syntax_check(path: str, timeout: float) -> str:
    """`bash -n FILE`: "" when clean, else bash's first message."""
    done = proc.run(["bash", "-n", path], timeout=timeout, env={"PATH": "/usr/bin:/bin", "LANG": "C"})
    if done.ok:
        return ""
    if done.timed_out:
        return "bash -n did not finish"
    return (done.stderr.strip().splitlines() or [f"bash -n exited {done.returncode}"])[0]


def conda_install_facts(target: Target, prefix_recipe: str) -> dict[str, Any]:
    prefix = target.path(prefix_recipe)
    exe = os.path.join(prefix, "bin", "conda")
    facts: dict[str, Any] = {
        "prefix": prefix, "display": prefix_recipe, "exists": os.path.isdir(prefix),
        "conda_exe": os.path.isfile(exe) and os.access(exe, os.X_OK),
        "condabin": os.path.isfile(os.path.join(prefix, "condabin", "conda")),
        "conda_sh": os.path.isfile(os.path.join(prefix, "etc", "profile.d", "conda.sh")),
        "activate": os.path.isfile(os.path.join(prefix, "bin", "activate")),
        "version": "",
        "auto_activate_base": None,
    }
    meta = os.path.join(prefix, "conda-meta")
    try:
        for name in os.listdir(meta):
            m = re.fullmatch(r"conda-(\d[^-]*)-[^-]+\.json", name)
            if m:
                facts["version"] = m.group(1)
    except OSError:
        pass
    for rc in (os.path.join(target.home, ".condarc"), os.path.join(prefix, ".condarc")):
        try:
            with open(rc, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    m = re.match(r"^\s*(auto_activate_base|auto_activate)\s*:\s*(\S+)", line)
                    if m:
                        facts["auto_activate_base"] = m.group(2).lower() in ("true", "yes", "1")
                        facts["condarc"] = target.unmap(rc)
        except OSError:
            continue
    return facts


def recipe_commands(ctx: ProbeContext) -> tuple[str, ...]:
    r = ctx.recipe
    names = list(BASE_COMMANDS) + list(r.scheduler.commands) + [s.argv[0] for s in r.sdk if not s.in_env]
    return tuple(dict.fromkeys(n for n in names if n and "/" not in n))


# The login shell is started once per probe and shared: the sdk collector runs the vendor
# commands in the environment it reaches instead of starting login shells of its own.
# Keyed by id(ctx) with a weak reference to check identity (ids are reused after a context dies).
_LOGIN: OrderedDict[int, tuple[weakref.ref[ProbeContext], Future[dict[str, Any]]]] = OrderedDict()
_LOGIN_LOCK = threading.Lock()


def _login_future(ctx: ProbeContext) -> Future[dict[str, Any]]:
    with _LOGIN_LOCK:
        entry = _LOGIN.get(id(ctx))
        if entry is not None and entry[0]() is ctx:
            return entry[1]
        fut: Future[dict[str, Any]] = Future()
        _LOGIN[id(ctx)] = (weakref.ref(ctx), fut)
        while len(_LOGIN) > 8:
            _LOGIN.popitem(last=False)
    try:
        fut.set_result(run_mode(ctx.target, "login", recipe_commands(ctx), ctx.timeout,
                                tuple(n for v in ctx.recipe.variables for n in v.names())))
    except BaseException as exc:  # noqa: BLE001 - handed to every waiter
        fut.set_exception(exc)
    return fut


def login_environment(ctx: ProbeContext) -> dict[str, str] | None:
    """The full environment a fresh login shell of the target's user reaches (None if it did not start)."""
    facts = _login_future(ctx).result()
    return dict(facts["_full_env"]) if facts.get("reached") else None


@collector("shells")
def collect_shells(ctx: ProbeContext) -> dict[str, Any]:
    t, r = ctx.target, ctx.recipe
    commands = recipe_commands(ctx)
    extra_vars = tuple(n for v in r.variables for n in v.names())
    prefix = r.environment.conda.prefix if r.environment.conda else "~/miniconda3"
    with ThreadPoolExecutor(max_workers=len(MODES) + 2) as pool:
        # The interactive shell only explains a failing login shell (`bash` inside the session
        # finds conda, ssh does not): started only when the login shell does not find conda.
        futures = {m: pool.submit(run_mode, t, m, commands, ctx.timeout, extra_vars)
                   for m in MODES if m not in ("login", "interactive")}
        files = {name: read_startup_file(t, name) for name in STARTUP_FILES}
        checks = {name: pool.submit(syntax_check, f["path"], ctx.timeout)
                  for name, f in files.items() if f.get("readable")}
        futures["login"] = _login_future(ctx)  # runs here, or already running for the sdk collector
        conda = conda_install_facts(t, prefix)
        for name, fut in checks.items():
            msg = fut.result()
            files[name]["syntax_error"] = msg.replace(files[name]["path"], name) if msg else ""
        login = futures["login"].result()
        conda_ok = login.get("conda_type") == "function" or r.environment.kind != "conda"
        if not (login.get("reached") and conda_ok):
            futures["interactive"] = pool.submit(run_mode, t, "interactive", commands, ctx.timeout, extra_vars)
        modes = {m: {k: v for k, v in futures[m].result().items() if k != "_full_env"} for m in MODES if m in futures}
    for f in files.values():
        for block in f.get("conda_blocks", []):
            if block.get("prefix"):
                block["prefix_display"] = t.unmap(block["prefix"])
                block["prefix_exists"] = os.path.isfile(os.path.join(block["prefix"], "bin", "conda"))
        f.pop("path", None)
    return {"files": files, "login_reads": login_reads(files), "modes": modes, "conda": conda,
            "commands": list(commands)}
