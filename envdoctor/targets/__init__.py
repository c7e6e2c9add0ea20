"""Targets: where the work happens. `real` is this machine; `sim` a simulated node.

A target maps the recipe's roots (home, /software, /opt, interpreters, upstream URLs,
hostname) to where they are on this machine, so that the same recipe drives both. `Target`
(targets/base.py) is the protocol every caller uses; `RealTarget` (targets/real.py) and
`SimTarget` (targets/sim/target.py) implement it. Callers never test which one they hold.
"""
from __future__ import annotations

import getpass
import json
import os
import socket
from pathlib import Path

from envdoctor.errors import UsageError
from envdoctor.targets.base import BASE_PATH, LOGIN_KEEP, Target, node_role
from envdoctor.targets.real import RealTarget
from envdoctor.targets.sim.target import SimTarget

__all__ = ["BASE_PATH", "LOGIN_KEEP", "RealTarget", "SimTarget", "Target", "default_sim_root", "node_role",
           "open_sim", "open_target", "real"]


def real() -> RealTarget:
    return RealTarget(os.path.expanduser("~"), _user(), socket.gethostname())


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
    return SimTarget(home, meta["user"], meta["hostname"], root, meta)


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
