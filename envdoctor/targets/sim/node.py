"""The node being built: its root, recipe, sim.json, and helpers that run commands on it.

Every command goes through `envdoctor.proc` with the node's process environment (offline pip
from the wheelhouse, HOME = the node's home) and a timeout; a failure stops the build with
one line that names the command.
"""
from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from envdoctor import proc
from envdoctor.errors import StepFailed
from envdoctor.recipe import Recipe
from envdoctor.targets.sim.target import SimTarget

SCHEMA = "envdoctor/sim@1"
MAPPED_ROOTS = ("software", "opt", "usr", "data", "projects", "etc", "srv", "mnt")


@dataclass
class SimNode:
    root: Path
    recipe: Recipe
    meta: dict[str, Any] = field(default_factory=dict)

    # --- paths ---------------------------------------------------------------------------
    @property
    def target(self) -> SimTarget:
        return SimTarget(str(self.home), self.meta["user"], self.meta["hostname"], str(self.root), self.meta)

    @property
    def home(self) -> Path:
        return self.root / "home" / self.meta["user"]

    def path(self, recipe_path: str) -> Path:
        """Where a recipe path (`~/x`, `/software/x`) lives on this node."""
        return Path(self.target.path(recipe_path))

    @property
    def wheelhouse(self) -> Path:
        return self.root / "wheelhouse"

    def env_python(self) -> Path:
        """The python of the recipe's environment (venv, conda env or system venv)."""
        return self.path(self.recipe.environment.path) / "bin" / "python"

    # --- sim.json --------------------------------------------------------------------------
    def save_meta(self) -> None:
        path = self.root / "sim.json"
        tmp = path.with_name(".sim.json.tmp")
        tmp.write_text(json.dumps(self.meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    # --- processes -------------------------------------------------------------------------
    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = self.target.process_env()
        # The host's own pip configuration (global find-links, constraints) must not leak in.
        env["PIP_CONFIG_FILE"] = os.devnull
        for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_SHLVL", "CONDA_DEFAULT_ENV",
                    "PIP_USER", "PIP_REQUIRE_VIRTUALENV", "PIP_TARGET", "PIP_PREFIX"):
            env.pop(key, None)
        env.update(extra or {})
        return env

    def run(self, argv: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str] | None = None,
            timeout: float = 120, input: str | None = None, extra_env: Mapping[str, str] | None = None) -> proc.Completed:
        done = proc.run([str(a) for a in argv], cwd=str(cwd) if cwd else None, env=self.env(extra_env),
                        timeout=timeout, input=input)
        if not done.ok:
            detail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
            raise StepFailed(f"building the simulated node at {self.root}: `{self.show(done.argv)}` "
                             f"{'timed out' if done.timed_out else f'exited {done.returncode}'}: {detail[0][:300]}")
        return done

    def show(self, argv: Sequence[str]) -> str:
        return " ".join(shlex.quote(self.target.unmap(a)) for a in argv)

    # --- files ---------------------------------------------------------------------------
    def write(self, path: str | os.PathLike[str], text: str, mode: int = 0o644) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        p.chmod(mode)
        return p

    def append(self, path: str | os.PathLike[str], text: str) -> None:
        p = Path(path)
        old = p.read_text(encoding="utf-8") if p.exists() else ""
        sep = "" if not old or old.endswith("\n") else "\n"
        self.write(p, old + sep + text)
