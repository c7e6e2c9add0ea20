"""`--ready`: do what a student following the course does, by really running its commands.

The course's steps are the recipe's `steps` (the same data the setup engine plans from), but
this module does not use the setup engine: it types the commands the way the hands-on pages
say (git clone + checkout, the installer answered "yes", conda create, virtualenv, pip from
the wheelhouse, cp of the ALCF configs, export lines appended to ~/.bashrc). A node made this
way is the independent reference the setup engine and the checks are tested against.
"""
from __future__ import annotations

import glob
import shutil
from pathlib import Path
from typing import Callable

from envdoctor.errors import UsageError
from envdoctor.recipe import Edit, Step
from envdoctor.targets.sim.builder import create_virtualenv
from envdoctor.targets.sim.node import SimNode


def apply(node: SimNode) -> None:
    steps = list(node.recipe.steps)
    i = 0
    while i < len(steps):
        step = steps[i]
        handler = HANDLERS.get(step.kind)
        if handler is None:
            raise UsageError(f"the simulated node cannot play setup step kind {step.kind!r} yet")
        if _upgrades_only_pip(step):
            # The env's pip was seeded from the newest pip wheel, the same one the wheelhouse
            # holds: the course's `pip install --upgrade pip` would change nothing (and cost
            # a pip start-up, seconds per node).
            pass
        elif step.kind == "pip" and _mergeable(step):
            # Consecutive plain `pip install` steps run as one pip command: the same packages end
            # up installed, with one pip start-up and one resolution instead of several.
            group = [step]
            while i + 1 < len(steps) and steps[i + 1].kind == "pip" and _mergeable(steps[i + 1]):
                i += 1
                group.append(steps[i])
            run_pip_group(node, group)
        else:
            handler(node, step)
        i += 1
    for var in node.recipe.variables:
        if var.value.startswith("~/"):
            node.path(var.value).mkdir(parents=True, exist_ok=True)  # mkdir ~/tmp (POPTORCH_CACHE_DIR)


def mapped(node: SimNode, value: str) -> str:
    """A recipe value as typed on the node: paths mapped, other values unchanged."""
    return str(node.path(value)) if value.startswith(("/", "~")) else value


# --- conda ---------------------------------------------------------------------------------

def conda_prefix(node: SimNode) -> Path:
    conda = node.recipe.environment.conda
    return node.path(conda.prefix if conda else "~/miniconda3")


def conda_exe(node: SimNode) -> Path:
    return conda_prefix(node) / "bin" / "conda"


def install_miniconda(node: SimNode, *, init: bool = True, batch: bool = False) -> None:
    """Run the installer like the ALCF page says (answer yes to everything) or with -b."""
    prefix = conda_prefix(node)
    installer = node.meta["installer"]
    if batch:
        node.run(["bash", installer, "-b", "-p", prefix], cwd=node.home)
        return
    answers = "\n".join(["", "yes", str(prefix), "yes" if init else "no"]) + "\n"
    node.run(["bash", installer], cwd=node.home, input=answers)


def _conda_install(node: SimNode, step: Step) -> None:
    if not conda_exe(node).exists():
        install_miniconda(node)


def _shell_init(node: SimNode, step: Step) -> None:
    node.run([conda_exe(node), "init", step.get("shell", "bash")], cwd=node.home)


def create_conda_env(node: SimNode, python: str | None = None) -> None:
    env = node.recipe.environment
    node.run([conda_exe(node), "create", "-n", env.name, f"python={python or env.python}", "-y"], cwd=node.home,
             timeout=180)


def _conda_env(node: SimNode, step: Step) -> None:
    create_conda_env(node)


# --- venv, pip ------------------------------------------------------------------------------

def create_venv(node: SimNode, interpreter: str | Path | None = None) -> None:
    env = node.recipe.environment
    extra = ("--system-site-packages",) if env.system_site_packages else ()
    create_virtualenv(node, interpreter or node.path(env.interpreter), node.path(env.path), *extra)


def _venv(node: SimNode, step: Step) -> None:
    create_venv(node)


PATH_OPTIONS = ("-e", "--editable", "-r", "--requirement", "-c", "--constraint")


def _remove_first(node: SimNode, step: Step) -> None:
    for path in step.get("remove_first", []) or []:
        target = node.path(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _pip_args(node: SimNode, step: Step) -> list[str]:
    """The step's pip arguments with paths mapped, globs expanded and relative paths made
    absolute against the step's cwd (so that several steps can share one pip command)."""
    cwd = node.path(step.get("cwd")) if step.get("cwd") else node.home
    args: list[str] = []
    previous = ""
    for arg in step.get("args", []):
        value = mapped(node, arg)
        if previous in PATH_OPTIONS or value == "." or value.startswith(("./", "../")):
            value = str((cwd / value).resolve())
        matches = sorted(glob.glob(value)) if "*" in value else []
        args += matches or [value]
        previous = arg
    return args


def _upgrades_only_pip(step: Step) -> bool:
    return step.kind == "pip" and list(step.get("args", [])) == ["install", "--upgrade", "pip"]


def _mergeable(step: Step) -> bool:
    args = list(step.get("args", []))
    return bool(args) and args[0] == "install" and not step.get("freeze_to") \
        and not any(a.startswith("-") and a not in PATH_OPTIONS for a in args)


def run_pip_group(node: SimNode, steps: list[Step]) -> None:
    for step in steps:
        _remove_first(node, step)
    args = ["install"] + [a for step in steps for a in _pip_args(node, step)[1:]]
    node.run([node.path(node.recipe.environment.path) / "bin" / "pip", *args], cwd=node.home, timeout=300)


def run_pip(node: SimNode, step: Step) -> None:
    _remove_first(node, step)
    cwd = node.path(step.get("cwd")) if step.get("cwd") else node.home
    pip = node.path(node.recipe.environment.path) / "bin" / "pip"
    if step.get("freeze_to"):  # the course's `pip list --format=freeze > frozen.txt` first
        frozen = node.run([pip, "list", "--format=freeze"], cwd=cwd, timeout=300).stdout
        (Path(cwd) / step.get("freeze_to")).write_text(frozen, encoding="utf-8")
    node.run([pip, *_pip_args(node, step)], cwd=cwd, timeout=300)


def rerun_pip_steps(node: SimNode) -> None:
    """All the recipe's pip steps again (after an env was rebuilt), grouped like apply()."""
    steps = [s for s in node.recipe.steps if s.kind == "pip"]
    plain = [s for s in steps if _mergeable(s)]
    for step in steps:
        if not _mergeable(step):
            run_pip(node, step)
    if plain:
        run_pip_group(node, plain)


# --- git, edits, variables ------------------------------------------------------------------

def _git(node: SimNode, step: Step) -> None:
    repo = node.recipe.repo(step.get("repo"))
    dest = node.path(repo.dest)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        node.run(["git", "clone", "-q", node.target.url(repo.url), dest], cwd=dest.parent)
    checkout(node, dest, repo.ref)


def checkout(node: SimNode, dest: Path, ref: str) -> None:
    node.run(["git", "-c", "advice.detachedHead=false", "checkout", "-q", ref], cwd=dest)


def apply_edit(node: SimNode, edit: Edit) -> None:
    target = node.path(edit.file)
    target.parent.mkdir(parents=True, exist_ok=True)
    if edit.copy_from:
        shutil.copyfile(node.path(edit.copy_from), target)  # cp /software/.../x.yaml configs/
    if edit.kind == "yaml" and edit.set:
        set_yaml(target, {k: mapped(node, v) for k, v in edit.set})
    elif edit.kind == "replace":
        text = target.read_text(encoding="utf-8")
        for old, new in edit.replace:
            text = text.replace(old, mapped(node, new) if new.startswith(("/", "~")) else new)
        target.write_text(text, encoding="utf-8")


def set_yaml(path: Path, values: dict[str, str]) -> None:
    """Set dotted keys in a YAML file, keeping its comments and order (what a student's editor does)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    data = yaml.load(path.read_text(encoding="utf-8"))
    for dotted, value in values.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def _edit(node: SimNode, step: Step) -> None:
    apply_edit(node, next(e for e in node.recipe.edits if e.name == step.get("edit")))


def variable_lines(node: SimNode, names: list[str]) -> dict[Path, list[str]]:
    """The export lines for the recipe's variables, grouped by the file they go to."""
    out: dict[Path, list[str]] = {}
    for var in node.recipe.variables:
        if var.name in names:
            for name in var.names():
                out.setdefault(node.path(var.file), []).append(f"export {name}={mapped(node, var.value)}")
    return out


def _env_vars(node: SimNode, step: Step) -> None:
    for path, lines in variable_lines(node, list(step.get("variables", []))).items():
        node.append(path, f"\n# {node.recipe.platform} hands-on ({node.recipe.release})\n" + "\n".join(lines) + "\n")


def _already_so(node: SimNode, step: Step) -> None:
    """Steps that guard against states a fresh course account is not in: no personal conda
    on the venv platforms (conda-base), the SDK enabled by the node at login (sdk-enable)."""


HANDLERS: dict[str, Callable[[SimNode, Step], None]] = {
    "conda-install": _conda_install, "shell-init": _shell_init, "conda-env": _conda_env, "venv": _venv,
    "pip": run_pip, "git": _git, "edit": _edit, "env-vars": _env_vars,
    "conda-base": _already_so, "sdk-enable": _already_so,
}
HANDLERS.update(__import__("envdoctor.targets.sim.inference", fromlist=["READY_HANDLERS"]).READY_HANDLERS)
