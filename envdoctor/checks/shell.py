"""Shell checks: startup files that break, PATH entries that do not exist, recipe variables."""
from __future__ import annotations

import re

from envdoctor.checks import Outcome, check, fail, ok, warn
from envdoctor.checks.host import is_simulated, login_env
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.shells import ShellFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (ShellFacts, HostFacts)

CONVENTIONAL = ("~/.local/bin", "~/bin")
PROXY_NAME = re.compile(r"(?i)^(http|https|ftp|all|no)_proxy$")
MODE_TEXT = {
    "login": "a login shell (ssh; bash -l -i)",
    "interactive": "an interactive shell (a new terminal, or `bash`; bash -i)",
    "batch": "a batch job's shell (PBS runs a non-interactive login shell; bash -l)",
    "script": "a plain script (bash script.sh; bash -c)",
}


def read_by(name: str, login_reads: str) -> list[str]:
    """Which shell contexts read this startup file by themselves (not through another file)."""
    if name == "~/.bashrc":
        return ["interactive"]
    return ["login", "batch"] if name == login_reads else []


@check("shell.startup-files", "shell", "shell startup files are readable and valid bash")
def startup_files(probe: Probe, recipe: Recipe) -> Outcome:
    sh = probe.of(ShellFacts)
    files, reads = sh.files, sh.login_reads
    problems: list[str] = []
    fixes: list[str] = []
    commands: list[str] = []
    evidence: list[str] = []
    severe = False
    for name, f in files.items():
        if not f.exists and not f.error:
            continue
        used = read_by(name, reads) or ([] if name != "~/.bashrc" else ["interactive"])
        if f.error:
            problems.append(f"{name} {f.error}")
            fixes.append(f"repair or remove {name}")
            commands.append(f"ls -l {name}")
            severe = severe or bool(used) or name == "~/.bashrc"
            continue
        evidence.append(f"{name}: {f.lines} lines"
                        + (f", read by {', '.join(used)} shells" if used else ""))
        if f.syntax_error:
            problems.append(f"`bash -n {name}` reports: {f.syntax_error} — bash stops reading the file there, "
                            "so everything after it (PATH, conda, the env) is never set up")
            fixes.append(f"fix the syntax error in {name} (the line bash names, or the line before it)")
            commands.append(f"bash -n {name}")
            severe = True
        if f.crlf:
            problems.append(f"{name} has Windows (CRLF) line endings; bash reports `$'\\r': command not found`")
            fixes.append(f"convert {name} to Unix line endings")
            commands.append(f"sed -i 's/\\r$//' {name}")
        for block in f.conda_blocks:
            if not block.end:
                problems.append(f"{name}: the conda initialize block starting at line {block.start} has no "
                                "`# <<< conda initialize <<<` end marker")
                fixes.append(f"remove the broken block from {name} and run `conda init bash` again")
    for mode, m in sh.modes.items():
        if m.timed_out:
            problems.append(f"{MODE_TEXT[mode]} did not finish starting (a startup file waits for input or hangs)")
            fixes.append("find the command that waits (read, ssh, a network mount) in your startup files")
            severe = True
        elif not m.reached:
            problems.append(f"{MODE_TEXT[mode]} never reached its command (a startup file runs `exit` or `exec`): "
                            f"{m.stderr_tail}".rstrip(": "))
            fixes.append("remove `exit`/`exec` lines from your startup files, or guard them with `[[ $- == *i* ]]`")
            severe = True
        for err in m.trace.errors[:3]:
            line = f"{mode} shell: {err}"
            if line not in evidence:
                evidence.append(line)
    if not problems:
        if not any(f.exists for f in files.values()):
            return ok("no ~/.bash_profile, ~/.bash_login, ~/.profile or ~/.bashrc: bash uses the system defaults")
        return ok(*evidence)
    why = "; ".join(problems)
    fix = "; ".join(dict.fromkeys(fixes))
    return (fail if severe else warn)(why, fix, list(dict.fromkeys(commands)), evidence)


@check("shell.path", "shell", "PATH in a login shell has no missing or unsafe entries")
def path_entries(probe: Probe, recipe: Recipe) -> Outcome:
    sh = probe.of(ShellFacts)
    login = sh.modes.get("login")
    if login is None or not login.reached:
        return warn("the login shell did not start (see shell.startup-files), so its PATH is unknown",
                    "fix the startup files first")
    entries = login.path
    # RHEL's default ~/.bashrc adds ~/.local/bin and ~/bin whether or not they exist: harmless.
    missing = [e.entry for e in entries if e.entry and not e.relative and not e.exists and e.entry not in CONVENTIONAL]
    relative = [e.entry or "(empty)" for e in entries if e.relative or not e.entry]
    not_dirs = [e.entry for e in entries if e.exists and not e.is_dir]
    shown = ":".join(e.entry for e in entries)
    if not (missing or relative or not_dirs):
        return ok(f"PATH={shown}")
    parts = []
    if missing:
        parts.append("PATH entries that do not exist: " + ", ".join(dict.fromkeys(missing))
                     + " (usually an SDK, env or conda path left behind after it moved or was removed)")
    if not_dirs:
        parts.append("PATH entries that are files, not directories: " + ", ".join(not_dirs))
    if relative:
        parts.append("relative or empty PATH entries (" + ", ".join(relative) + ") make commands depend on the "
                     "current directory")
    targets = list(dict.fromkeys(missing + not_dirs))
    cmds = [f"grep -n '{e}' ~/.bashrc ~/.bash_profile ~/.profile" for e in targets[:3]]
    return warn("; ".join(parts) + f". The login shell reads {sh.login_reads or 'no personal file'}.",
                "remove or correct the lines of your startup files that add them", cmds, [f"PATH={shown}"])


@check("shell.variables", "shell", "the recipe's environment variables are set at login", step="env-vars",
       applies=lambda r: any(not PROXY_NAME.match(v.name) for v in r.variables))
def variables(probe: Probe, recipe: Recipe) -> Outcome:
    env = login_env(probe)
    missing, wrong, good = [], [], []
    for var in recipe.variables:
        if PROXY_NAME.match(var.name):
            continue  # network.proxy
        for name in var.names():
            value = env.get(name)
            if value is None:
                missing.append((name, var))
            elif _norm(value) != _norm(var.value):
                wrong.append((name, var, value))
            else:
                good.append(f"{name}={value}")
    if not (missing or wrong):
        return ok(*good)
    parts = []
    if missing:
        parts.append("not set in a login shell: " + ", ".join(n for n, _ in missing))
    if wrong:
        parts.append("; ".join(f"{n}={v} (the recipe wants {var.value})" for n, var, v in wrong))
    cmds = [f"echo 'export {n}={var.value}' >> {var.file}" for n, var in missing]
    cmds += [f"sed -i 's|^export {n}=.*|export {n}={var.value}|' {var.file}" for n, var, _ in wrong]
    now = [f"export {n}={var.value}" for n, var in missing] + [f"export {n}={var.value}" for n, var, _ in wrong]
    where = "the current shell" if not is_simulated(probe) else "this session"
    return fail("; ".join(parts), f"set them in {missing[0][1].file if missing else wrong[0][1].file} so every "
                f"login has them (and export them in {where} now)", cmds + now)


def _norm(value: str) -> str:
    return value.rstrip("/")
