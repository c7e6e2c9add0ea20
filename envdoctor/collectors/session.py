"""Session facts: the environment the user works in, and how the target spells its paths.

"The user's environment" is their current shell when envdoctor runs in it (the real
machine, their own home); otherwise the state a fresh login shell reaches (the one the
`shells` collector starts: one login per probe). Only variables a snapshot records are
kept (an allow-list, never the whole environment), URL credentials redacted.

The spelling (`Spelling`) says which directories stand for `~` and for the node's `/`, so
that a view of the probe writes every path the way the course does (`~/...`, and on a
simulated node `/software/...` without the node's directory) without asking the target.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from envdoctor.collectors.host import keep_env, redact_url, unmap_value
from envdoctor.collectors.shells import login_environment
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import catalog
from envdoctor.targets import Target

CURRENT = "current shell"
LOGIN = "login shell"

# Environment variables worth recording: an allow-list, never the whole environment.
ENV_NAMES = frozenset({
    "PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONSTARTUP",
    "LD_LIBRARY_PATH", "LD_PRELOAD", "LIBRARY_PATH", "CPATH", "VIRTUAL_ENV", "SHELL", "LANG", "LC_ALL", "TMPDIR",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST", "PIP_NO_INDEX", "PIP_USER",
    "PIP_REQUIRE_VIRTUALENV", "PIP_CONFIG_FILE", "PIP_CERT", "PIP_TARGET", "PIP_PREFIX",
    "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
    "LOADEDMODULES", "MODULEPATH", "HF_HOME", "HF_DATASETS_CACHE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_CACHE",
    "TORCH_HOME", "XDG_CACHE_HOME", "OMP_NUM_THREADS",
    "SLURM_JOB_ID", "SLURM_JOB_PARTITION", "SLURM_CLUSTER_NAME", "SLURM_JOB_NODELIST", "SLURM_NTASKS", "SLURM_CONF",
})
# Conda, PBS and Open MPI here; each platform's SDK prefixes (POPLAR_, GROQ, ...) are its recipe's `env_prefixes`.
ENV_PREFIXES = ("CONDA_", "PBS_", "OPAL_")
PROXY_NAMES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")


@functools.lru_cache(maxsize=None)
def _prefixes() -> Tuple[str, ...]:
    return ENV_PREFIXES + catalog().env_prefixes()


def env_allowed(name: str) -> bool:
    return name in ENV_NAMES or name.startswith(_prefixes()) or name.lower() in PROXY_NAMES


@dataclass(frozen=True)
class Spelling:
    """Directories written another way in what the course reads: `homes` as `~`, `roots`
    (a simulated node's directory, as given and resolved) as nothing."""

    homes: Tuple[str, ...] = ()
    roots: Tuple[str, ...] = ()

    def normaliser(self) -> Callable[[str], str]:
        subs: List[Tuple[re.Pattern[str], str]] = []
        for h in sorted(self.homes, key=len, reverse=True):
            if h and h != "/":
                subs.append((re.compile(re.escape(h) + r"(?=[/:\s\"',;]|$)"), "~"))
        for r in sorted(self.roots, key=len, reverse=True):
            subs.append((re.compile(re.escape(r) + r"(?=/)"), ""))

        def norm(s: str) -> str:
            for pattern, repl in subs:
                s = pattern.sub(repl, s)
            return s

        return norm


def spelling(target: Target) -> Spelling:
    homes = tuple(sorted({target.home, os.path.realpath(target.home)}))
    roots = tuple(sorted(target.mapped_prefixes()))
    return Spelling(homes, roots)


@dataclass(frozen=True)
class PathDir:
    dir: str  # the course's spelling
    is_dir: bool


@dataclass(frozen=True)
class SessionFacts(Facts):
    source: str  # CURRENT or LOGIN
    env: Dict[str, str]  # allow-listed variables (env_allowed), URL credentials redacted, paths spelled ~/...
    path: Tuple[PathDir, ...]  # PATH, in order
    spelling: Spelling = field(default_factory=Spelling)


def node_path(target: Target, path: str) -> List[str]:
    """PATH's entries as directories on this machine: a shell on a simulated node has the
    node's own `/usr/bin` in its PATH, which is under the node's directory here."""
    return [target.path(target.unmap(p)) for p in path.split(":") if p]


def effective_env(ctx: ProbeContext) -> Tuple[Optional[Dict[str, str]], str]:
    """The user's working environment (full, as on this machine) and where it comes from;
    None when it is the login shell's and that did not start."""
    t = ctx.target
    current = t.current_env()  # empty on a simulated node: its user has no shell but the probed one
    if current and os.path.realpath(t.home) == os.path.realpath(os.path.expanduser("~")):
        return dict(current), CURRENT
    return login_environment(ctx), LOGIN


def run_env(ctx: ProbeContext, env: Optional[Mapping[str, str]]) -> Dict[str, str]:
    """A fresh login's environment with the session's Python variables: how a snapshot starts
    the user's interpreters (their PYTHONPATH / user-site settings apply, their PATH does not)."""
    out = ctx.target.login_env()
    for k in ("PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONHOME"):
        if env and env.get(k):
            out[k] = env[k]
    return out


@collector("session", SessionFacts)
def collect_session(ctx: ProbeContext) -> SessionFacts:
    t = ctx.target
    full, source = effective_env(ctx)
    env = full or {}
    if source == LOGIN:  # the variables the probe keeps of a login shell (as `shells` records them)
        extra = tuple(n for v in ctx.recipe.variables for n in v.names())
        kept = {k: unmap_value(t, v) for k, v in keep_env(env, extra).items()}
    else:
        kept = {k: redact_url(v) for k, v in env.items()}
    sp = spelling(t)
    norm = sp.normaliser()
    allowed = {k: norm(kept[k]) for k in sorted(kept) if env_allowed(k)}
    path = tuple(PathDir(norm(p), os.path.isdir(p)) for p in node_path(t, env.get("PATH", "")))
    return SessionFacts(source, allowed, path, sp)
