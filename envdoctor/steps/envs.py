"""The recipe's Python environment (venv or conda env) as the steps see it."""
from __future__ import annotations

import json
import os
from typing import Sequence

from envdoctor.recipe import Step
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line, note, shell_join, topmost_missing

# One python process in the env, as it really runs (so with ~/.local when the env lets it
# in: a package there shadows the env's own): its version, prefix, user site, and every
# distribution it sees first (name, version, editable source, location).
_INSPECT = r"""
import json, site, sys
try:
    from importlib import metadata
except ImportError:
    metadata = None
dists = {}
if metadata is not None:
    for d in metadata.distributions():
        name = (d.metadata["Name"] or "").strip()
        if not name:
            continue
        key = name.lower().replace("_", "-").replace(".", "-")
        editable = ""
        try:
            direct = d.read_text("direct_url.json")
            if direct:
                info = json.loads(direct)
                if info.get("dir_info", {}).get("editable"):
                    editable = info.get("url", "")
        except Exception:
            pass
        try:
            where = str(d.locate_file(""))
        except Exception:
            where = ""
        dists.setdefault(key, {"name": name, "version": d.version, "editable": editable, "location": where})
user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "prefix": sys.prefix, "user_site": user_site,
                  "base_prefix": getattr(sys, "base_prefix", sys.prefix), "dists": dists}))
"""


def env_dir(ctx: Context) -> str:
    return ctx.path(ctx.recipe.environment.path)


def env_python(ctx: Context) -> str:
    return os.path.join(env_dir(ctx), "bin", "python")


def conda_prefix(ctx: Context) -> str:
    conda = ctx.recipe.environment.conda
    return ctx.path(conda.prefix if conda else "~/miniconda3")


def conda_exe(ctx: Context) -> str:
    return os.path.join(conda_prefix(ctx), "bin", "conda")


def activated_env(ctx: Context) -> dict[str, str]:
    """The process environment with the recipe's env activated (what `source
    .../bin/activate` or `conda activate NAME` does for the commands that follow)."""
    env = dict(ctx.env)
    directory = env_dir(ctx)
    env["PATH"] = os.path.join(directory, "bin") + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    if ctx.recipe.environment.kind == "conda":
        env["CONDA_PREFIX"] = directory
        env["CONDA_DEFAULT_ENV"] = ctx.recipe.environment.name
    else:
        env["VIRTUAL_ENV"] = directory
    return env


def activate_command(ctx: Context) -> str:
    env = ctx.recipe.environment
    if env.activate:
        return env.activate
    if env.kind == "conda":
        return f"conda activate {env.name}"
    return f"source {ctx.display(env_dir(ctx))}/bin/activate"


def inspect(ctx: Context, refresh: bool = False) -> dict[str, object] | None:
    """Facts about the env from one python process (memoised per run); None when the
    env's python does not exist or does not run."""
    key = "env.inspect"
    if refresh or key not in ctx.cache:
        python = env_python(ctx)
        facts = None
        if os.path.exists(python):
            got = ctx.run([python, "-E", "-c", _INSPECT], cwd="/", env=activated_env(ctx), timeout=30)
            if got.ok:
                try:
                    facts = json.loads(got.stdout.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    facts = None
        ctx.cache[key] = facts
    memo = ctx.cache[key]
    return memo if isinstance(memo, dict) else None


def forget(ctx: Context) -> None:
    ctx.cache.pop("env.inspect", None)


def version_matches(actual: str, expected: str) -> bool:
    """3.10.13 matches 3.10 and 3.10.13, not 3.1 or 3.10.12."""
    return bool(expected) and (actual == expected or actual.startswith(expected + "."))


def python_problem(ctx: Context) -> str | None:
    """Why the env's interpreter is not the one the recipe needs (None when it is)."""
    facts = inspect(ctx)
    shown = ctx.display(env_dir(ctx))
    if not os.path.isdir(env_dir(ctx)):
        return f"{shown} does not exist"
    if facts is None:
        return f"{shown} exists but its python does not run (a broken or half-made env)"
    required = ctx.recipe.environment.python
    expected = ctx.target.expected_python(required) if required else ""
    if expected and not version_matches(str(facts["version"]), expected):
        return f"{shown} runs Python {facts['version']}, the recipe needs {required}"
    return None


# --- creating the env (shared by the venv and conda-env step kinds) ---------------------

def creates(step: Step, ctx: Context) -> list[str]:
    """What making the env creates from nothing: its topmost missing directory."""
    top = topmost_missing(env_dir(ctx))
    return [top] if top else []


def set_aside_plan(step: Step, ctx: Context, why: str | None, backup: str) -> list[Action]:
    """An unusable env is never deleted: the plan shows it renamed to `backup`."""
    directory = env_dir(ctx)
    if not os.path.lexists(directory):
        return []
    shown = ctx.display(directory)
    return [note(f"{shown} is not usable as it is ({why}); it is kept, renamed to {ctx.display(backup)}"),
            command(["mv", shown, ctx.display(backup)])]


def build(step: Step, ctx: Context, progress: Progress, *, backup: str, argv: Sequence[str],
          shown: Sequence[str], what: str, timeout: float) -> None:
    """Set an unusable env aside, run the command that creates it, and say in one line what
    to do when it fails (the engine removes the half-made env: it is tracked here)."""
    directory = env_dir(ctx)
    if os.path.lexists(directory):
        os.makedirs(os.path.dirname(backup), exist_ok=True)
        unique, n = backup, 1
        while os.path.lexists(unique):
            unique, n = f"{backup}.{n}", n + 1
        try:
            os.rename(directory, unique)
        except OSError as exc:
            raise fail(step, f"cannot set {ctx.display(directory)} aside: {exc.strerror or exc}",
                       "move it away by hand and run setup again") from None
    ctx.track(topmost_missing(directory) or directory)
    os.makedirs(os.path.dirname(directory), exist_ok=True)
    progress.update(f"creating {what}")
    rc, tail = ctx.run_long(list(argv), progress, cwd=ctx.target.home, timeout=timeout)
    forget(ctx)
    if rc != 0:
        raise fail(step, f"`{shell_join(shown)}` exited {rc}: {last_line(tail)}",
                   f"the half-made {what} was removed; fix the cause and run setup again")
