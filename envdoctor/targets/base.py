"""The `Target` protocol, and what its two implementations share.

A target is where the work happens: `RealTarget` (targets/real.py) is this machine as it is,
`SimTarget` (targets/sim/target.py) a simulated node opened from its directory. Every way the
two differ is a method of the protocol, so that no caller outside `envdoctor.targets` decides
anything by asking which one it holds (tests/targets/test_targets_protocol.py greps for that).
"""
from __future__ import annotations

import fnmatch
import os
from typing import Any, Mapping, Optional, Protocol, Tuple, runtime_checkable

# Startup environment of a fresh ssh login: what sshd/login hand to bash, before any
# startup file has run. Shell contexts are probed from this, never from envdoctor's own
# environment, so that a fix made in the current session cannot hide a broken dotfile.
LOGIN_KEEP = ("TERM", "LANG", "LC_ALL", "TZ")
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"

# What a target may be unable to show (`Target.lacks`): a name outside this list is a
# programming error, so a misspelt fact fails on every target, not only on the one that lacks it.
FACTS = ("network", "quotas")

# (platform, release) a simulated node was built for; the release may be unrecorded.
Built = Tuple[str, Optional[str]]


@runtime_checkable
class Target(Protocol):
    """What every caller may ask of a target. Attributes are read-only."""

    @property
    def name(self) -> str:
        """"real" or "sim": for reports and the JSON contract, never for decisions."""

    @property
    def home(self) -> str:
        """The user's home directory, as a path on this machine."""

    @property
    def user(self) -> str: ...

    @property
    def hostname(self) -> str: ...

    @property
    def root(self) -> str:
        """The simulated node's directory ("" on the real machine). Only for what names the
        node directory itself (`sim` subcommands, a run record's sim_root), never to choose
        between behaviours: ask one of the methods below instead."""

    @property
    def meta(self) -> Mapping[str, Any]:
        """The simulated node's sim.json (empty on the real machine)."""

    @property
    def simulated(self) -> bool:
        """Reported as a fact (`host.simulated`) so checks can word their advice."""

    # --- paths, URLs and text ---------------------------------------------------------
    def path(self, p: str) -> str:
        """The on-this-machine path of a recipe path (`~`, `/software/...`, ...)."""

    def unmap(self, p: str) -> str:
        """The recipe-style spelling of a target path, for messages and plans (`~/x`)."""

    def unmap_text(self, text: str) -> str:
        """Output of a command run on the target with its paths spelled the course's way."""

    def mapped_prefixes(self) -> tuple[str, ...]:
        """Directories that stand for the node's `/` (longest first); none on the real machine."""

    def display_home(self) -> str:
        """The home directory as the user knows it (a simulated node's is /home/USER)."""

    def url(self, u: str) -> str:
        """Where to fetch a recipe URL from (a simulated node's local upstream, or itself)."""

    def unmap_url(self, u: str) -> str:
        """The recipe URL a fetch URL stands for (inverse of `url`)."""

    def interpreter(self, recipe_path: str) -> str: ...

    def expected_python(self, required: str) -> str:
        """The Python version an env must have: the recipe's, or the version that plays it."""

    def map_command(self, cmd: str) -> str:
        """A recipe command line with its node paths (`/opt/...`) as this machine reaches them."""

    # --- shells and processes ---------------------------------------------------------
    def login_env(self) -> dict[str, str]:
        """Environment of a fresh login, before startup files (see LOGIN_KEEP)."""

    def current_env(self) -> dict[str, str]:
        """The environment of the user's current shell (envdoctor's own on the real machine:
        it was started from it); empty on a simulated node, where the user has no shell but
        the login shell the `shells` collector probes."""

    def typed_env(self) -> dict[str, str]:
        """The environment a job is submitted from: the student's shell."""

    def process_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for commands envdoctor runs on the target's behalf (setup, runs)."""

    def workload_env(self) -> dict[str, str]:
        """Variables a reference run's programs need on this target (none on the real one)."""

    def own_command(self, recipe_path: str) -> str | None:
        """The target's own copy of a node command (`/opt/slurm/bin/sbatch`) that comes before
        PATH, or None where PATH decides (the real machine)."""

    def cached_download(self, name: str) -> str | None:
        """The local copy of a file the course downloads (an installer), or None: download it."""

    def signs_in_unattended(self) -> bool:
        """Whether a service sign-in (Globus) can run without a person at a browser."""

    def http_proxies(self) -> dict[str, str]:
        """Proxies for envdoctor's own HTTP requests to the target's services."""

    # --- facts ------------------------------------------------------------------------
    def node_role(self, login: tuple[str, ...], run: tuple[str, ...]) -> str: ...

    def lacks(self, fact: str) -> str:
        """Why the target cannot show `fact` (one of FACTS), "" when it can."""

    def built_for(self) -> Built | None:
        """(platform, release) the target was built for; None when it serves any."""

    # --- the command line ---------------------------------------------------------------
    def cli_argv(self) -> list[str]:
        """The options that name this target to a new envdoctor process."""

    def cli_args(self) -> str:
        """The options that name this target in printed hints ("" for the default)."""

    def describe(self) -> str: ...


def node_role(hostname: str, login: tuple[str, ...], run: tuple[str, ...]) -> str:
    """"run", "login" or "other": which of the recipe's host patterns `hostname` matches."""
    host = hostname.lower()
    short = host.split(".")[0]
    for role, patterns in (("run", run), ("login", login)):
        if any(fnmatch.fnmatch(host, p) or fnmatch.fnmatch(short, p) for p in patterns):
            return role
    return "other"


def check_fact(fact: str) -> str:
    if fact not in FACTS:
        raise ValueError(f"unknown target fact {fact!r} (known: {', '.join(FACTS)})")
    return fact


class TargetBase:
    """Behaviour both targets share, written once in terms of `home`, `user`, `hostname`
    and `meta` (empty on the real machine, so the meta-driven maps are identities there)."""

    home: str
    user: str
    hostname: str
    meta: Mapping[str, Any]

    def path(self, p: str) -> str:
        if p == "~" or p.startswith("~/"):
            return self.home + p[1:]
        return p

    def unmap(self, p: str) -> str:
        if p == self.home or p.startswith(self.home + "/"):
            return "~" + p[len(self.home):]
        return p

    def url(self, u: str) -> str:
        return str(self.meta.get("upstreams", {}).get(u, u))

    def unmap_url(self, u: str) -> str:
        for real, local in (self.meta.get("upstreams") or {}).items():
            local = str(local).rstrip("/")
            if u.rstrip("/") in (local, local.replace("file://", "", 1)):
                return str(real)
        return u

    def interpreter(self, recipe_path: str) -> str:
        return self.path(recipe_path)

    def expected_python(self, required: str) -> str:
        played = self.meta.get("python_versions", {}).get(required)
        return str(played) if played else required

    def login_env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in LOGIN_KEEP if k in os.environ}
        env.update(HOME=self.home, USER=self.user, LOGNAME=self.user, SHELL="/bin/bash",
                   PATH=BASE_PATH, TERM=env.get("TERM", "dumb"), LANG=env.get("LANG", "C.UTF-8"))
        return env

    def process_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        # envdoctor's pip calls install into the course's env, never into the user site that
        # `packages.user-site` warns about: a student's PIP_USER=1 would send a conda env's
        # installs to ~/.local, shared by every testbed system.
        env["PIP_USER"] = "0"
        env.update({str(k): str(v) for k, v in self.meta.get("process_env", {}).items()})
        return env

    def node_role(self, login: tuple[str, ...], run: tuple[str, ...]) -> str:
        return node_role(self.hostname, login, run)
