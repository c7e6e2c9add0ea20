"""The simulated target: a node directory (made by `envdoctor sim create`) opened for use.

Its sim.json (`meta`) says which top-level directories the node maps (`/software`, `/opt`,
...), its local git upstreams, the interpreters that play the recipe's Python versions and the
services it runs; every answer below that differs from the real machine's comes from there or
from the node's directory.
"""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping

from envdoctor.targets.base import Built, TargetBase, check_fact

# Why a simulated node cannot show a fact (`Target.lacks`).
_LACKS = {
    "network": "a simulated node never uses the network",
    "quotas": "quotas are not simulated",
}

# What reaches the real scheduler from this machine when a job is submitted from the node's
# shell (the node's scheduler stand-ins exec the real commands).
_SCHEDULER_PASSTHROUGH = ("SLURM_CONF", "MUNGE_SOCKET", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")


@dataclass(frozen=True)
class SimTarget(TargetBase):
    """A simulated node: recipe roots live under `root`, the user's home under root/home."""

    home: str
    user: str
    hostname: str
    root: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return "sim"

    @property
    def simulated(self) -> bool:
        return True

    # --- paths and text ----------------------------------------------------------------
    def _mapped(self, p: str) -> bool:
        return p.startswith("/") and p.split("/")[1] in self.meta.get("mapped_roots", ())

    def path(self, p: str) -> str:
        return self.root + p if self._mapped(p) else super().path(p)

    def unmap(self, p: str) -> str:
        shown = super().unmap(p)
        if shown == p and p.startswith(self.root + "/"):
            return p[len(self.root):]
        return shown

    def unmap_text(self, text: str) -> str:
        return text.replace(self.home, "~").replace(self.root, "")

    def mapped_prefixes(self) -> tuple[str, ...]:
        return tuple(sorted({self.root, os.path.realpath(self.root)}, key=len, reverse=True))

    def display_home(self) -> str:
        return f"/home/{self.user}"

    def map_command(self, cmd: str) -> str:
        roots = "|".join(re.escape(r) for r in self.meta.get("mapped_roots", ()))
        if not roots:
            return cmd
        return re.sub(rf"(?<![\w/.~-])/(?:{roots})(?=/|\b)", lambda m: self.root + m.group(0), cmd)

    # --- shells and processes ------------------------------------------------------------
    def login_env(self) -> dict[str, str]:
        env = super().login_env()
        env["HOSTNAME"] = self.hostname  # bash would take this machine's otherwise
        return env

    def current_env(self) -> dict[str, str]:
        return {}  # the node's "current shell" is its login shell (the `shells` collector)

    def typed_env(self) -> dict[str, str]:
        from envdoctor import proc

        r = proc.bash("login", "env -0", env=self.login_env(), cwd=self.home, timeout=60)
        env = dict(item.split("=", 1) for item in r.stdout.split("\0") if "=" in item)
        if not env:
            env = self.login_env()
        for key in _SCHEDULER_PASSTHROUGH:
            if key in os.environ:
                env.setdefault(key, os.environ[key])
        return env

    def process_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = super().process_env(base)
        env.update(HOME=self.home, USER=self.user, LOGNAME=self.user)
        if "inference" in self.meta.get("services", ()):
            from envdoctor.targets.sim import inference  # the node's stand-in endpoint, started on demand

            env.update(inference.process_env(self))
        return env

    def workload_env(self) -> dict[str, str]:
        return {"ENVDOCTOR_SIM_ROOT": self.root}  # lets the node's vendor stand-ins find /opt

    def own_command(self, recipe_path: str) -> str | None:
        own = self.path(recipe_path)
        return own if os.access(own, os.X_OK) else None

    def cached_download(self, name: str) -> str | None:
        return os.path.join(self.root, "cache", name)  # the builder puts the course's downloads there

    def signs_in_unattended(self) -> bool:
        return True  # the node's stand-in Globus Auth signs the helper in without a browser

    def http_proxies(self) -> dict[str, str]:
        return {}  # the node's services are on loopback: never through a proxy

    # --- facts and the command line ----------------------------------------------------------
    def lacks(self, fact: str) -> str:
        return _LACKS.get(check_fact(fact), "")

    def built_for(self) -> Built | None:
        platform = self.meta.get("platform")
        if not platform:
            return None
        release = self.meta.get("release")
        return str(platform), str(release) if release else None

    def cli_argv(self) -> list[str]:
        return ["--target", "sim", "--sim-root", self.root]

    def cli_args(self) -> str:
        return " " + " ".join(shlex.quote(a) for a in self.cli_argv())

    def describe(self) -> str:
        return f"simulated node {self.hostname} at {self.root}"
