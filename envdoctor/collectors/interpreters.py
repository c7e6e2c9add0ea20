"""Interpreter facts: which python3 / python the user's environment resolves, the recipe's
interpreters, and the distributions of the interpreter a snapshot lists packages of when
the recipe has no environment directory (the `python_env` collector lists those of one).

Each distinct interpreter file is started once (python_env's version script), and the
distributions come from python_env's ENV_SCRIPT: one script asks an interpreter for them.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Dict, Optional

from envdoctor import proc
from envdoctor.collectors.python_env import ENV_SCRIPT, EnvRun, interpreter_version, parse_env_run
from envdoctor.collectors.session import effective_env, node_path, run_env, spelling
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector

CMD_TIMEOUT = 15.0


@dataclass(frozen=True)
class PythonAt:
    """One interpreter path: does it exist, where does it resolve, what version does it say."""

    path: str  # the course's spelling; "" when nothing resolved
    found: bool
    realpath: str = ""
    version: str = ""
    error: str = ""  # why it did not start


@dataclass(frozen=True)
class InterpretersFacts(Facts):
    python3: PythonAt  # `python3` on the session's PATH
    python: PythonAt  # `python` on the session's PATH
    recipe: PythonAt  # the recipe environment's bin/python (or its interpreter, without an env directory)
    recipe_base: Optional[PythonAt] = None  # the interpreter the recipe builds its env with, when it names one
    packages_of: str = ""  # the interpreter `run` describes ("" when python_env's env run does)
    run: Optional[EnvRun] = None  # python_env's ENV_SCRIPT, run by `packages_of`


def recipe_python(ctx: ProbeContext) -> str:
    env, t = ctx.recipe.environment, ctx.target
    return os.path.join(t.path(env.path), "bin", "python") if env.path else t.interpreter(env.interpreter)


@collector("interpreters", InterpretersFacts)
def collect_interpreters(ctx: ProbeContext) -> InterpretersFacts:
    t, r_env = ctx.target, ctx.recipe.environment
    norm = spelling(t).normaliser()
    session, _ = effective_env(ctx)
    search = ":".join(node_path(t, (session or {}).get("PATH", t.login_env()["PATH"])))
    paths = {"python3": proc.which("python3", path=search) or "", "python": proc.which("python", path=search) or "",
             "recipe": recipe_python(ctx)}
    if r_env.interpreter:
        paths["recipe_base"] = t.interpreter(r_env.interpreter)
    exists = {p: os.path.exists(p) for p in set(paths.values()) if p}
    real = {p: os.path.realpath(p) for p, ok in exists.items() if ok}
    env = t.login_env()
    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = dict(zip(set(real.values()), pool.map(lambda p: interpreter_version(p, CMD_TIMEOUT, env),
                                                         set(real.values()))))
        # Without an environment directory, the packages a snapshot lists are those of the
        # recipe's interpreter (or python3 on PATH for a snapshot without a recipe).
        packages_of = "" if r_env.path else (paths["recipe"] if r_env.interpreter else paths["python3"])
        run = None
        if packages_of and exists.get(packages_of):
            done = proc.run([packages_of, "-c", ENV_SCRIPT], timeout=CMD_TIMEOUT * 2, env=run_env(ctx, session), cwd="/")
            run = parse_env_run(t, done)

    def at(path: str) -> PythonAt:
        if not path or not exists.get(path):
            return PythonAt(norm(path), False)
        version, error = versions[real[path]]
        return PythonAt(norm(path), True, norm(real[path]), version, error)

    found: Dict[str, PythonAt] = {name: at(p) for name, p in paths.items()}
    return InterpretersFacts(found["python3"], found["python"], found["recipe"], found.get("recipe_base"),
                             norm(packages_of), run)
