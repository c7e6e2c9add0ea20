"""Targets: where the work happens. `real` is this machine; `sim` a simulated node.

A target maps the recipe's roots (home, /software, /opt, interpreters, upstream URLs,
hostname) to where they are on this machine, so that the same recipe drives both.
"""
from __future__ import annotations

import fnmatch
import getpass
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from envdoctor.errors import UsageError

# Startup environment of a fresh ssh login: what sshd/login hand to bash, before any
# startup file has run. Shell contexts are probed from this, never from envdoctor's own
# environment, so that a fix made in the current session cannot hide a broken dotfile.
_LOGIN_KEEP = ("TERM", "LANG", "LC_ALL", "TZ")
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Target:
    """Where recipe paths live, and how to start a fresh shell of the target's user."""

    name: str  # "real" or "sim"
    home: str
    user: str
    hostname: str
    root: str = ""  # the simulated node's directory; "" for real
    meta: Mapping[str, Any] = field(default_factory=dict)  # sim.json of a simulated node

    # --- paths and URLs -------------------------------------------------
    def path(self, p: str) -> str:
        """The on-this-machine path of a recipe path (`~`, `/software/...`, ...)."""
        if p == "~" or p.startswith("~/"):
            return self.home + p[1:]
        if self.root and p.startswith("/") and p.split("/")[1] in self.meta.get("mapped_roots", ()):
            return self.root + p
        return p

    def unmap(self, p: str) -> str:
        """The recipe-style spelling of a target path, for messages and plans (`~/x`)."""
        if p == self.home or p.startswith(self.home + "/"):
            return "~" + p[len(self.home):]
        if self.root and p.startswith(self.root + "/"):
            return p[len(self.root):]
        return p

    def url(self, u: str) -> str:
        """Where to fetch a recipe URL from (a sim node's local upstream, or itself)."""
        return str(self.meta.get("upstreams", {}).get(u, u))

    def interpreter(self, recipe_path: str) -> str:
        return self.path(recipe_path)

    def expected_python(self, required: str) -> str:
        """The Python version an env must have: the recipe's, or on a sim node the version
        of the real interpreter that plays it (recorded in sim.json)."""
        played = self.meta.get("python_versions", {}).get(required)
        return str(played) if played else required

    # --- shells and processes -------------------------------------------
    def login_env(self) -> dict[str, str]:
        """Environment of a fresh login, before startup files (see _LOGIN_KEEP)."""
        env = {k: os.environ[k] for k in _LOGIN_KEEP if k in os.environ}
        env.update(HOME=self.home, USER=self.user, LOGNAME=self.user, SHELL="/bin/bash",
                   PATH=BASE_PATH, TERM=env.get("TERM", "dumb"), LANG=env.get("LANG", "C.UTF-8"))
        if self.root:
            env["HOSTNAME"] = self.hostname
        return env

    def current_env(self) -> dict[str, str]:
        """The environment of the user's current shell: envdoctor's own on the real
        machine; on a simulated node, the state its interactive login shell reaches."""
        return dict(os.environ) if not self.root else {}

    def process_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for commands envdoctor runs on the target's behalf (setup, runs)."""
        env = dict(os.environ if base is None else base)
        # envdoctor's pip calls install into the course's env, never into the user site that
        # `packages.user-site` warns about: a student's PIP_USER=1 would send a conda env's
        # installs to ~/.local, shared by every testbed system.
        env["PIP_USER"] = "0"
        env.update({str(k): str(v) for k, v in self.meta.get("process_env", {}).items()})
        if self.root:
            env.update(HOME=self.home, USER=self.user, LOGNAME=self.user)
        if self.root and "inference" in self.meta.get("services", ()):
            from envdoctor.targets.sim import inference  # the node's stand-in endpoint, started on demand

            env.update(inference.process_env(self))
        return env

    def node_role(self, login: tuple[str, ...], run: tuple[str, ...]) -> str:
        host = self.hostname.lower()
        short = host.split(".")[0]
        for role, patterns in (("run", run), ("login", login)):
            if any(fnmatch.fnmatch(host, p) or fnmatch.fnmatch(short, p) for p in patterns):
                return role
        return "other"

    def cli_args(self) -> str:
        """The options that name this target on envdoctor's command line (for printed hints)."""
        import shlex

        return f" --target sim --sim-root {shlex.quote(self.root)}" if self.root else ""

    def describe(self) -> str:
        return f"simulated node {self.hostname} at {self.root}" if self.root else f"this machine ({self.hostname})"


def real() -> Target:
    return Target("real", os.path.expanduser("~"), _user(), socket.gethostname())


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


DEFAULT_SIM_ROOT = os.path.join("~", ".local", "share", "envdoctor", "sim")


def default_sim_root(platform: str) -> str:
    base = os.environ.get("ENVDOCTOR_SIM_HOME") or os.path.expanduser(DEFAULT_SIM_ROOT)
    return os.path.join(base, platform)


def open_sim(root: str | os.PathLike[str]) -> Target:
    """Open an existing simulated node (made by `envdoctor sim create`)."""
    import json

    root = os.path.abspath(os.fspath(root))
    meta_file = Path(root) / "sim.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{root} is not a simulated node (no sim.json); create one with "
                         f"`envdoctor sim create PLATFORM --root {root}`") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{meta_file}: unreadable simulated-node description ({exc})") from None
    if not isinstance(meta, dict) or meta.get("schema") != "envdoctor/sim@1":
        raise UsageError(f"{meta_file}: not an envdoctor simulated node (schema {meta.get('schema')!r})")
    home = os.path.join(root, "home", meta["user"])
    return Target("sim", home, meta["user"], meta["hostname"], root, meta)


def open_target(kind: str, platform: str, sim_root: str | None) -> Target:
    """The target named on the command line (`--target real|sim [--sim-root DIR]`)."""
    if kind == "real":
        if sim_root:
            raise UsageError("--sim-root goes with --target sim")
        return real()
    if kind == "sim":
        root = sim_root or default_sim_root(platform)
        target = open_sim(root)
        if target.meta.get("platform") != platform:
            raise UsageError(f"{root} simulates {target.meta.get('platform')}, not {platform}; "
                             f"use --sim-root to pick another node")
        return target
    raise UsageError(f"unknown target {kind!r}: choose real or sim")
