"""Helpers for the simulated-node tests: real shells of the node's user."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable

from envdoctor.targets import Target


def shell(target: Target, script: str, *flags: str, cwd: str | None = None, timeout: float = 60,
          extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh bash of the node's user (flags: -l, -i, ...)."""
    env = target.login_env()
    env.update(extra or {})
    return subprocess.run(["bash", *flags, "-c", script], env=env, cwd=cwd or target.home, text=True,
                          capture_output=True, timeout=timeout)


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], text=True, capture_output=True, check=True).stdout.strip()
