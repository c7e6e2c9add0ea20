"""Host facts: who and where we are (hostname, node role, home), and the job context.

Also home-grown helpers the other collectors share: URL redaction and the environment of
"the user's current shell" (envdoctor's own on a real machine).
"""
from __future__ import annotations

import functools
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import catalog
from envdoctor.targets import Target

# Variables worth keeping from a shell's environment (values of others are never stored:
# the probe is shared in bug reports, and environments carry tokens).
KEEP_VARS = re.compile(
    r"^(PATH|HOME|USER|SHELL|HOSTNAME|VIRTUAL_ENV|VIRTUAL_ENV_PROMPT|PS1|BASH_ENV|ENV"
    r"|CONDA_[A-Z_]+|_CE_CONDA|PYTHON[A-Z_]*|PIP_[A-Z_]+|LD_LIBRARY_PATH"
    r"|(?i:(HTTP|HTTPS|FTP|ALL|NO)_PROXY)"
    r"|SLURM_JOB_ID|SLURM_JOBID|PBS_JOBID|PBS_ENVIRONMENT)$"
)  # and each platform's SDK variables: its recipe's `env_prefixes` (POPLAR_, GROQ, ...)
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*)(:(?P<pw>[^@/\s]*))?@")
_SECRETISH = re.compile(r"(?i)(token|secret|password|passwd|api_?key|auth)")


def redact_url(value: str) -> str:
    """`http://user:pw@proxy:3128` -> `http://user:***@proxy:3128` (secrets never leave the probe)."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}{':***' if m['pw'] is not None else ''}@", value)


@functools.lru_cache(maxsize=None)
def sdk_prefixes() -> tuple[str, ...]:
    return catalog().env_prefixes()


def keep_env(env: Mapping[str, str], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The variables of `env` envdoctor reasons about, with URL credentials redacted."""
    out = {}
    for name, value in env.items():
        if (KEEP_VARS.match(name) or name.startswith(sdk_prefixes()) or name in extra) \
                and not (_SECRETISH.search(name) and name not in extra):
            out[name] = redact_url(value)
    return out


def unmap_value(target: Target, value: str) -> str:
    """Show paths in a variable the way the course writes them (`~/...`, `/software/...`)."""
    if ":" in value and "://" not in value:
        return ":".join(target.unmap(p) if p.startswith("/") else p for p in value.split(":"))
    return target.unmap(value) if value.startswith("/") else value


@dataclass(frozen=True)
class HomeState:
    """Can the user work in ~? (`mode` and `owner_uid` only once ~ could be stat'ed.)"""

    exists: bool
    writable: bool = False
    error: str = ""
    mode: str = ""
    owner_uid: Optional[int] = None


@dataclass(frozen=True)
class HostFacts(Facts):
    """The host envdoctor looks at: its role, the user, the home."""

    hostname: str
    short: str
    role: str  # "run", "login" or "other" (the recipe's host patterns)
    target: str
    simulated: bool
    user: str
    home: str
    home_display: str
    home_state: HomeState
    # The kept variables of the user's current shell; None on a simulated node, whose
    # "current shell" is its login shell (collected by `shells`).
    current_env: Optional[Dict[str, str]] = None
    job: Dict[str, str] = field(default_factory=dict)


def home_state(home: str) -> HomeState:
    exists = os.path.isdir(home)
    if not os.path.lexists(home):
        return HomeState(exists, error="does not exist")
    if not exists:
        return HomeState(exists, error="is not a directory")
    mode, uid = "", None
    try:
        st = os.stat(home)
        mode, uid = stat.filemode(st.st_mode), st.st_uid
        fd, tmp = tempfile.mkstemp(prefix=".envdoctor-write-test.", dir=home)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return HomeState(exists, error=exc.strerror or str(exc), mode=mode, owner_uid=uid)
    return HomeState(exists, writable=True, mode=mode, owner_uid=uid)


@collector("host", HostFacts)
def collect_host(ctx: ProbeContext) -> HostFacts:
    t, recipe = ctx.target, ctx.recipe
    role = t.node_role(recipe.hosts.login, recipe.hosts.run)
    shell = t.current_env()  # empty on a simulated node: its current shell is its login shell
    current = {k: unmap_value(t, v) for k, v in keep_env(shell).items()}
    return HostFacts(
        hostname=t.hostname,
        short=t.hostname.split(".")[0],
        role=role,
        target=t.name,
        simulated=t.simulated,
        user=t.user,
        home=t.home,
        home_display="~",
        home_state=home_state(t.home),
        current_env=current if shell else None,
        job={k: current[k] for k in ("SLURM_JOB_ID", "PBS_JOBID") if k in current},
    )
