"""Conda facts: the conda installation the user has (the recipe's prefix, the one their login
shell finds, or a usual one in ~), its version, environments and channels (`conda info`).

The `shells` collector looks at conda's files (conda.sh, condabin, conda-meta); this one asks
conda itself, once: `conda info --json`, or `conda env list --json` when that fails.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from envdoctor import proc
from envdoctor.collectors.session import spelling
from envdoctor.collectors.shells import login_environment
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector

CMD_TIMEOUT = 30.0
USUAL = ("miniconda3", "anaconda3", "miniforge3", "mambaforge")


@dataclass(frozen=True)
class CondaFacts(Facts):
    installed: bool
    expected_prefix: str = ""  # not installed: where the recipe (or the login shell) expects it
    prefix: str = ""
    version: str = ""
    envs: Tuple[str, ...] = ()
    env_names: Tuple[str, ...] = ()  # "base" for the prefix itself
    channels: Optional[Tuple[str, ...]] = None  # None: conda did not say
    error: str = ""  # why `conda info --json` gave nothing


def candidates(ctx: ProbeContext) -> List[str]:
    """Prefixes to look at, in order: the recipe's, the login shell's `conda`, the usual ones in ~."""
    t, found = ctx.target, []
    if ctx.recipe.environment.conda is not None:
        found.append(t.path(ctx.recipe.environment.conda.prefix))
    login = login_environment(ctx) or {}
    which = proc.which("conda", path=login.get("PATH", "")) if login.get("PATH") else None
    if which:
        found.append(os.path.dirname(os.path.dirname(which)))
    return found + [os.path.join(t.home, d) for d in USUAL]


def conda_info(ctx: ProbeContext, prefix: str) -> Tuple[Dict[str, Any], str]:
    """(what conda says about itself, why `conda info` failed or "")."""
    exe = os.path.join(prefix, "bin", "conda")
    env = ctx.target.process_env(ctx.target.login_env())
    env["PATH"] = os.path.join(prefix, "bin") + os.pathsep + env.get("PATH", "")
    done = proc.run((exe, "info", "--json"), env=env, timeout=CMD_TIMEOUT)
    data: Any = {}
    if done.ok:
        try:
            data = json.loads(done.stdout)
        except ValueError:
            data = {}
    if isinstance(data, dict) and data:
        return data, ""
    listed = proc.run((exe, "env", "list", "--json"), env=env, timeout=CMD_TIMEOUT)
    try:
        envs = json.loads(listed.stdout).get("envs", []) if listed.ok else []
    except (ValueError, AttributeError):
        envs = []
    return ({"envs": envs} if envs or listed.ok else {}), done.describe()


@collector("conda", CondaFacts)
def collect_conda(ctx: ProbeContext) -> CondaFacts:
    norm = spelling(ctx.target).normaliser()
    found = candidates(ctx)
    prefix = next((c for c in found if os.path.exists(os.path.join(c, "bin", "conda"))), "")
    if not prefix:
        return CondaFacts(False, expected_prefix=norm(found[0]) if found else "")
    data, error = conda_info(ctx, prefix)
    envs = sorted(str(e) for e in data.get("envs", []) if isinstance(e, str))
    channels = tuple(str(c) for c in data["channels"]) if isinstance(data.get("channels"), list) else None
    return CondaFacts(True, prefix=norm(prefix), version=str(data.get("conda_version", "")),
                      envs=tuple(norm(e) for e in envs),
                      env_names=tuple(sorted(os.path.basename(e) if e != prefix else "base" for e in envs)),
                      channels=channels, error=error)
