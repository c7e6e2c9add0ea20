"""Build a simulated node: `create(platform, root=..., ready=..., faults=...)`.

The layout follows docs/internals.md ("The simulated node"). What the recipe says (hosts,
interpreters, scheduler, repositories, requirements) is derived from the recipe; what only a
real node has (SDK trees, vendor commands, stand-in wheels, upstream repositories) comes
from the recipe's `sim:` section (envdoctor.recipe.Sim) and from the files under its
payload directory, `<sim.payload>/{common,<release>}/` (by default
payload/platforms/<platform>/; a recipe outside the package names its own).
"""
from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import sys
from pathlib import Path

from envdoctor.errors import UsageError
from envdoctor.recipe import Recipe, Sim, catalog
from envdoctor.targets import Target, default_sim_root, node_role, open_sim
from envdoctor.targets.sim import interpreters, upstreams, wheels
from envdoctor.targets.sim.node import MAPPED_ROOTS, SCHEMA, SimNode

PAYLOAD = Path(__file__).with_name("payload")
ACCELSIM = Path(__file__).with_name("accelsim")
INSTALLER = "/cache/Miniconda3-latest-Linux-x86_64.sh"  # under R (not a mapped root: R/cache)


# Scheduler kinds (not platforms): where the node keeps each kind's commands, and which
# commands the stand-in answers as.
SCHEDULER_BIN = {"pbs": "/opt/pbs/bin", "slurm": "/opt/slurm/bin"}
SCHEDULER_COMMANDS = {"pbs": ("qsub", "qstat", "qdel"), "slurm": ("srun", "sbatch", "squeue", "scancel", "sinfo")}


def platform_data(recipe: Recipe) -> Sim:
    """The recipe's `sim:` section; a release without one shares its platform's default
    release's (cerebras R_2.3.0 and R_2.10.0 are one kind of node)."""
    if recipe.sim is not None:
        return recipe.sim
    options = catalog().releases(recipe.platform)
    default = next((r for r in options if r.default and r.sim is not None), None)
    default = default or next((r for r in options if r.sim is not None), None)
    return default.sim if default is not None and default.sim is not None else \
        Sim(str(PAYLOAD / "platforms" / recipe.platform))


# --- entry point -------------------------------------------------------------------------

def create(platform: str, *, release: str | None = None, root: str | None = None, ready: bool = False,
           faults: tuple[str, ...] = (), force: bool = False, user: str | None = None) -> Target:
    """Build a simulated node of `platform` at `root`; returns `envdoctor.targets.open_sim(root)`.
    `user` names the account the node stands in for (default: this machine's user)."""
    from envdoctor.targets.sim import faults as fault_mod

    recipe = catalog().get(platform, release)
    chosen = fault_mod.resolve(recipe, faults)
    where = Path(os.path.abspath(os.path.expanduser(root or default_sim_root(platform))))
    if user is not None and not re.fullmatch(r"[a-z_][a-z0-9._-]{0,31}", user):
        raise UsageError(f"{user!r} is not a user name (lower-case letters, digits, '.', '_', '-')")
    _prepare_root(where, force)
    try:
        node = SimNode(where, recipe, _meta(recipe, where, user or _user()))
        fault_mod.check_injectable(node, chosen)
        build_fresh(node)
        if ready or any(f.base == "ready" for f in chosen):
            from envdoctor.targets.sim import ready as ready_mod

            ready_mod.apply(node)
            node.meta["ready"] = True
        for fault in chosen:
            fault.apply(node)
            node.meta["faults"].append(fault.name)
        node.save_meta()
    except BaseException:
        shutil.rmtree(where, ignore_errors=True)  # we made it (see _prepare_root); leave nothing half-built
        raise
    return open_sim(str(where))


def _prepare_root(root: Path, force: bool) -> None:
    """Refuse to touch a user's files: only an empty directory or (with force) a sim node."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a directory; choose another --root")
    if root.is_dir() and any(root.iterdir()):
        meta = root / "sim.json"
        if not force:
            raise UsageError(f"{root} already exists and is not empty; pass --force to replace "
                             f"{'the simulated node there' if meta.is_file() else 'it'} or choose another --root")
        if not _is_sim_node(meta):
            raise UsageError(f"refusing to replace {root}: it is not a simulated node (no envdoctor sim.json); "
                             "choose another --root")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)


def _is_sim_node(meta: Path) -> bool:
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("schema") == SCHEMA
    except (OSError, ValueError, AttributeError):
        return False


# --- sim.json ----------------------------------------------------------------------------

def hostnames(recipe: Recipe) -> tuple[str, str]:
    """(run node, login node) host names of the platform, from the recipe's hosts."""
    run = _first_host([recipe.hosts.next_hop.split()[-1] if recipe.hosts.next_hop else ""]
                      + [_expand(p) for p in recipe.hosts.run], recipe, "run")
    login = _first_host([recipe.hosts.login_address] + [_expand(p) for p in recipe.hosts.login], recipe, "login")
    return run or "sim-node-01", login


def _expand(pattern: str) -> str:
    """A host name matching a glob pattern: gc-poplar-0[2-4]* -> gc-poplar-02."""
    name = re.sub(r"\[(.)[^\]]*\]", r"\1", pattern)
    return re.sub(r"0\*$", "01", name).replace("*", "")


def _first_host(candidates: list[str], recipe: Recipe, role: str) -> str:
    for name in candidates:
        short = name.split(".")[0] if name else ""
        for host in (short, name):
            if host and node_role(host, recipe.hosts.login, recipe.hosts.run) == role:
                return host
    return ""


def _meta(recipe: Recipe, root: Path, user: str) -> dict:
    played = interpreters.play(recipe.environment.python or "3.11")
    system = interpreters.other_than({played.minor})
    base = max((i for i in interpreters.host_interpreters() if i.minor >= interpreters.MIN_SEEDABLE),
               key=lambda i: i.minor)
    run_host, _ = hostnames(recipe)
    wheelhouse = str(root / "wheelhouse")
    return {
        "schema": SCHEMA, "platform": recipe.platform, "release": recipe.release, "user": user,
        "hostname": run_host, "ready": False, "faults": [],
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mapped_roots": list(MAPPED_ROOTS),
        "upstreams": {r.url: f"file://{root}/upstreams/{u.slug}.git" for r in _all_repos(recipe)
                      for u in [upstreams.for_url(r.url)] if u},
        "python_versions": {recipe.environment.python: played.version} if recipe.environment.python else {},
        "interpreters": {recipe.environment.python: played.path} if recipe.environment.python else {},
        "system_python3": {"path": system.path, "version": system.version} if system else None,
        "conda_python": {"path": base.path, "version": base.version},
        "process_env": {
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": wheelhouse, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CONFIG_FILE": os.devnull, "VIRTUALENV_NO_DOWNLOAD": "1", "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "VIRTUALENV_OVERRIDE_APP_DATA": _virtualenv_app_data(),
        },
        "slurm": _slurm_kind() if recipe.scheduler.kind == "slurm" else None,
        "installer": str(root) + INSTALLER,
    }


def _user() -> str:
    # The node's user is this machine's user, so `whoami` in job scripts agrees with $USER.
    from envdoctor.targets import _user as current

    name = current()
    return name if re.fullmatch(r"[A-Za-z0-9._-]+", name) else "student"


def _virtualenv_app_data() -> str:
    """virtualenv's wheel cache outside the node's home (a warm cache keeps builds fast)."""
    if os.environ.get("VIRTUALENV_OVERRIDE_APP_DATA"):
        return os.environ["VIRTUALENV_OVERRIDE_APP_DATA"]
    try:
        from platformdirs import user_data_dir

        return user_data_dir("virtualenv", appauthor=False)
    except ImportError:  # pragma: no cover - platformdirs comes with virtualenv
        return os.path.join(os.path.expanduser("~"), ".local", "share", "virtualenv")


def _slurm_kind() -> str:
    from envdoctor import proc

    if not (os.environ.get("SLURM_CONF") or os.path.exists("/etc/slurm/slurm.conf")):
        return "stand-in"
    return "real" if proc.run(["scontrol", "ping"], timeout=5).ok else "stand-in"


def _all_repos(recipe: Recipe) -> list:
    """The repos of every release of the platform (one node can rehearse any of them)."""
    seen: dict[str, object] = {}
    for r in catalog().releases(recipe.platform):
        for repo in r.repos:
            seen.setdefault(repo.url, repo)
    return list(seen.values())


# --- the fresh node ----------------------------------------------------------------------

def build_fresh(node: SimNode) -> None:
    """Everything a new account on the node sees before following the course."""
    node.save_meta()
    _trees(node)
    _python_links(node)
    _dotfiles(node)
    _etc_bashrc(node)
    _wheelhouse(node)
    for repo in _all_repos(node.recipe):
        up = upstreams.for_url(repo.url)
        if up:
            upstreams.build(up, node.root)
    _schedulers(node)
    _installer(node)
    _system_env(node)
    from envdoctor.targets.sim import inference

    inference.build(node)  # the inference service's stand-ins (recipes with extra.inference)


def _substitute(text: str, node: SimNode) -> str:
    return text.replace("@ROOT@", str(node.root)).replace("@HOSTNAME@", node.meta["hostname"])


def _trees(node: SimNode) -> None:
    for d in ("etc", "usr/bin", "opt", "software", "data", "projects", "var", "cache", "home"):
        (node.root / d).mkdir(parents=True, exist_ok=True)
    node.home.mkdir(mode=0o755, exist_ok=True)
    base = Path(platform_data(node.recipe).payload)
    for layer in (base / "common", base / node.recipe.release):
        if layer.is_dir():
            _copy_tree(layer, node)
    for d in platform_data(node.recipe).user_dirs:
        node.path(d.format(user=node.meta["user"])).mkdir(parents=True, exist_ok=True)


def _copy_tree(src: Path, node: SimNode) -> None:
    for path in sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        rel = path.relative_to(src)
        text = _substitute(path.read_text(encoding="utf-8"), node)
        executable = text.startswith("#!") or "bin" in rel.parts[:-1]
        node.write(node.root / rel, text, 0o755 if executable else 0o644)


def _python_links(node: SimNode) -> None:
    env = node.recipe.environment
    played = node.meta["interpreters"].get(env.python)
    if played:
        links = {f"/usr/bin/python{'.'.join(env.python.split('.')[:2])}"}
        if env.kind == "venv" and env.interpreter:
            links.add(env.interpreter)
        if env.kind == "conda":
            links.clear()  # conda brings its own Python; the node's /usr/bin has only python3
        for link in sorted(links):
            _symlink(node.path(link), played)
    system = node.meta.get("system_python3")
    if system:
        _symlink(node.root / "usr/bin/python3", system["path"])


def _symlink(link: Path, to: str) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(to)


BASH_PROFILE = """# .bash_profile

# Get the aliases and functions
if [ -f ~/.bashrc ]; then
	. ~/.bashrc
fi

# User specific environment and startup programs
"""

BASHRC = """# .bashrc

# Source global definitions
if [ -f {etc_bashrc} ]; then
	. {etc_bashrc}
fi

# User specific environment
if ! [[ "$PATH" =~ "$HOME/.local/bin:$HOME/bin:" ]]
then
    PATH="$HOME/.local/bin:$HOME/bin:$PATH"
fi
export PATH

# Uncomment the following line if you don't like systemctl's auto-paging feature:
# export SYSTEMD_PAGER=

# User specific aliases and functions
"""


def _dotfiles(node: SimNode) -> None:
    """ALCF (RHEL) skeleton dotfiles: .bash_profile sources .bashrc, .bashrc sources /etc/bashrc."""
    node.write(node.home / ".bash_profile", BASH_PROFILE)
    node.write(node.home / ".bashrc", BASHRC.format(etc_bashrc=node.root / "etc/bashrc"))
    node.write(node.home / ".bash_logout", "# ~/.bash_logout\n")


def etc_bashrc_text(node: SimNode, *, with_sources: bool = True) -> str:
    data = platform_data(node.recipe)
    dirs = [*data.bin_dirs]
    if node.recipe.scheduler.kind in SCHEDULER_BIN:
        dirs.append(SCHEDULER_BIN[node.recipe.scheduler.kind])
    short = node.meta["hostname"].split(".")[0]
    lines = [f"# /etc/bashrc of the simulated node {node.meta['hostname']} ({node.recipe.platform}, envdoctor).",
             "# System-wide environment and startup programs; sourced by ~/.bashrc as on RHEL.", "",
             "__sim_path_prepend() {", '    case ":$PATH:" in *":$1:"*) ;; *) PATH="$1${PATH:+:$PATH}" ;; esac', "}"]
    lines += [f"__sim_path_prepend {node.path(d)}" for d in reversed(dirs)]
    lines += ["unset -f __sim_path_prepend", "export PATH", "",
              "# The simulated node is offline: its package index is the node's wheelhouse.",
              f"export PIP_NO_INDEX=1 PIP_FIND_LINKS={node.wheelhouse} PIP_CONFIG_FILE=/dev/null",
              "export PIP_DISABLE_PIP_VERSION_CHECK=1", ""]
    if with_sources:
        for script in data.sources:
            lines += ["# Enable the platform SDK at login.", f"if [ -f {node.path(script)} ]; then",
                      f"    . {node.path(script)}", "fi", ""]
    lines += ["case $- in", f"    *i*) PS1='[\\u@{short} \\W]\\$ ' ;;", "esac", ""]
    return "\n".join(lines)


def _etc_bashrc(node: SimNode) -> None:
    node.write(node.root / "etc/bashrc", etc_bashrc_text(node))


def _wheelhouse(node: SimNode) -> None:
    dists = wheels.standin_dists(ACCELSIM if ACCELSIM.is_dir() else None, catalog().recipes)
    wheels.build_wheelhouse(node.wheelhouse, dists)
    for where, name in platform_data(node.recipe).sdk_wheels:
        for dist in dists:
            if dist.name == name:
                wheels.write_wheel(dist, node.path(where))


def _schedulers(node: SimNode) -> None:
    kind = node.recipe.scheduler.kind
    if kind not in SCHEDULER_COMMANDS:
        return
    text = (PAYLOAD / "standins" / "scheduler.py").read_text(encoding="utf-8")
    text = (text.replace("@SIM_ROOT@", str(node.root)).replace("@PBS_SERVER@", platform_data(node.recipe).pbs_server)
            .replace("@LOGIN_PATTERNS@", json.dumps(list(node.recipe.hosts.login)))
            .replace("@PARTITION@", node.recipe.scheduler.partition or "debug"))
    script = f"#!{sys.executable} -I\n{text}"
    for name in SCHEDULER_COMMANDS[kind]:
        node.write(node.path(SCHEDULER_BIN[kind]) / name, script, 0o755)
    (node.root / "var" / kind).mkdir(parents=True, exist_ok=True)


def _installer(node: SimNode) -> None:
    """The Miniconda installer stand-in (every platform: a student can install it anywhere)."""
    table = {f"{i.minor[0]}.{i.minor[1]}": {"path": i.path, "version": i.version}
             for i in interpreters.host_interpreters() if i.minor >= interpreters.MIN_SEEDABLE}
    # The recipe's Python is always played by the interpreter sim.json names.
    for required, path in node.meta["interpreters"].items():
        played = node.meta["python_versions"][required]
        table[".".join(required.split(".")[:2])] = {"path": path, "version": played}
    settings = {"interpreters": table, "virtualenv_python": sys.executable,
                "virtualenv_app_data": node.meta["process_env"]["VIRTUALENV_OVERRIDE_APP_DATA"]}
    text = (PAYLOAD / "standins" / "miniconda_installer.sh").read_text(encoding="utf-8")
    conda_py = (PAYLOAD / "standins" / "conda.py").read_text(encoding="utf-8")
    text = (text.replace("@APP_DATA@", settings["virtualenv_app_data"]).replace("@VIRTUALENV_PYTHON@", sys.executable)
            .replace("@BASE_PYTHON@", node.meta["conda_python"]["path"])
            .replace("@SETTINGS_JSON@", json.dumps(settings, indent=2)).replace("@CONDA_PY@", conda_py.rstrip("\n")))
    node.write(node.root / INSTALLER.lstrip("/"), text, 0o755)


def _system_env(node: SimNode) -> None:
    """A system-provided environment (SambaNova's app venv) exists on every node, ready or not."""
    env = node.recipe.environment
    if env.kind != "system" or not env.path:
        return
    create_virtualenv(node, node.meta["interpreters"][env.python], node.path(env.path))
    reqs = [r.text for r in node.recipe.requirements if not r.editable]
    if reqs:
        node.run([node.path(env.path) / "bin/pip", "install", "--quiet", *reqs], timeout=180)


def create_virtualenv(node: SimNode, interpreter: str | os.PathLike[str], dest: Path, *extra: str) -> None:
    """A real virtualenv (offline, seeded with pip from virtualenv's embedded wheels)."""
    node.run([sys.executable, "-m", "virtualenv", "--quiet", "--no-download", "--no-periodic-update",
              "-p", str(interpreter), *extra, str(dest)], timeout=180)
