"""The real target: this machine as it is, the user's own home, shell and network."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from envdoctor.targets.base import Built, TargetBase, check_fact


@dataclass(frozen=True)
class RealTarget(TargetBase):
    """This machine. Recipe paths are where they are; envdoctor runs in the user's shell."""

    home: str
    user: str
    hostname: str
    meta: Mapping[str, Any] = field(default_factory=dict, init=False, repr=False)  # no sim.json here

    @property
    def name(self) -> str:
        return "real"

    @property
    def root(self) -> str:
        return ""

    @property
    def simulated(self) -> bool:
        return False

    # --- paths and text: the machine's own spelling is the course's -----------------------
    def unmap_text(self, text: str) -> str:
        return text

    def mapped_prefixes(self) -> tuple[str, ...]:
        return ()

    def display_home(self) -> str:
        return self.home

    def map_command(self, cmd: str) -> str:
        return cmd

    # --- shells and processes: envdoctor was started from the user's shell ---------------
    def current_env(self) -> dict[str, str]:
        return dict(os.environ)

    def typed_env(self) -> dict[str, str]:
        return dict(os.environ)

    def workload_env(self) -> dict[str, str]:
        return {}

    def own_command(self, recipe_path: str) -> str | None:
        return None  # PATH decides, as in the user's shell

    def cached_download(self, name: str) -> str | None:
        return None

    def signs_in_unattended(self) -> bool:
        return False  # a Globus sign-in needs the person, their browser and a pasted code

    def http_proxies(self) -> dict[str, str]:
        import urllib.request  # lazy: 30 ms of imports (http, email, ssl), only when proxies are asked

        return dict(urllib.request.getproxies())  # the environment's, as any client here

    # --- facts and the command line -------------------------------------------------------
    def lacks(self, fact: str) -> str:
        check_fact(fact)
        return ""

    def built_for(self) -> Built | None:
        return None

    def cli_argv(self) -> list[str]:
        return ["--target", "real"]

    def cli_args(self) -> str:
        return ""  # the default target needs no options

    def describe(self) -> str:
        return f"this machine ({self.hostname})"
