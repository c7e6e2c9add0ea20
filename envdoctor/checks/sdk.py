"""SDK checks: the vendor tools work (the recipe's `sdk` commands), and no conda where unsupported."""
from __future__ import annotations

import re
import shlex

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.checks.host import login_env
from envdoctor.collectors.sdk import SdkFacts, SdkResult
from envdoctor.collectors.shells import ShellFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (SdkFacts, ShellFacts)


@check("sdk.tools", "sdk", "the vendor SDK tools answer as the course expects", step="pip",
       applies=lambda r: bool(r.sdk))
def tools(probe: Probe, recipe: Recipe) -> Outcome:
    results = probe.of(SdkFacts).commands
    problems, fixes, cmds, good, skipped, steps = [], [], [], [], [], []
    for cmd in recipe.sdk:
        # A command the probe has no result for (a probe of an older recipe) did not run.
        r = results[cmd.id] if cmd.id in results else SdkResult(cmd.id, cmd.argv, cmd.in_env)
        shown = " ".join(cmd.argv)
        where = "in the env" if cmd.in_env else "in a login shell"
        if r.skipped:
            skipped.append(f"{cmd.title}: {r.skipped}")
            continue
        out = r.output.strip()
        last = (out.splitlines() or [""])[-1][:200]
        if r.timed_out:
            problems.append(f"`{shown}` ({where}) did not finish in time")
        elif r.not_found or re.search(r"command not found", out):
            problems.append(f"`{shown}` ({where}): {cmd.argv[0]}: command not found — {cmd.title.split(' (')[0]} "
                            "is not set up")
        elif r.returncode != 0:
            problems.append(f"`{shown}` ({where}) exited {r.returncode}: {last}")
        elif cmd.expect and not re.search(cmd.expect, out):
            problems.append(f"`{shown}` ({where}) printed {last!r}, expected /{cmd.expect}/")
        else:
            hit = next((ln for ln in out.splitlines() if cmd.expect and re.search(cmd.expect, ln)), last)
            good.append(f"{cmd.title}: {hit.strip()[:200]}")
            continue
        fixes.append(cmd.fix)
        cmds += persistent(cmd.commands) if cmd.step == "sdk-enable" else list(cmd.commands)
        steps.append(cmd.step)
    if problems:
        # The first failing command's own repair step (an SDK not enabled is not a pip problem).
        return fail("; ".join(problems), "; ".join(dict.fromkeys(fixes)), list(dict.fromkeys(cmds)), good + skipped,
                    step=next((s for s in steps if s), ""))
    if skipped and not good:
        return skip("; ".join(skipped))
    return ok(*good, *skipped)


def persistent(commands: tuple[str, ...]) -> list[str]:
    """An SDK enabled only in this shell is gone at the next login, and this check starts a
    fresh login shell: each `source ...enable` also goes into ~/.bashrc, so the fix holds."""
    out = list(commands)
    for c in commands:
        if c.startswith(("source ", ". ")):
            out.append(f"echo {shlex.quote(c)} >> ~/.bashrc")
    return out


@check("sdk.conda-unsupported", "sdk", "conda stays out of the way (the vendor stack is not supported under conda)",
       applies=lambda r: r.environment.kind != "conda" and not r.environment.conda_supported)
def conda_unsupported(probe: Probe, recipe: Recipe) -> Outcome:
    login = login_env(probe)
    sh = probe.of(ShellFacts)
    active = login.get("CONDA_DEFAULT_ENV") or ""
    blocks = [f"{name}:{b.start}" for name, f in sh.files.items() for b in f.conda_blocks]
    if active:
        return warn(f"every login activates conda env '{active}' ({', '.join(blocks) or 'a startup file'}), but "
                    f"{recipe.title} is not supported under conda: the SDK's wheels and libraries must come from "
                    "the course's environment, not conda's",
                    "keep conda installed if you need it elsewhere, but stop it from activating at login",
                    ["conda config --set auto_activate_base false", "conda deactivate"],
                    [f"login shell: CONDA_DEFAULT_ENV={active}"])
    if blocks:
        return ok(f"conda is initialised ({', '.join(blocks)}) but does not activate an env at login")
    return ok("conda is not initialised in the startup files")
