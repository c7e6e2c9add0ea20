"""Python checks: the recipe's interpreter, and the recipe's environment.

The environment checks are written once and registered twice: `venv.*` for venv (and
system-provided venv) recipes, `conda.env-*` for the conda recipe. Each says exists,
healthy (interpreter still there, pyvenv.cfg consistent), built with the right Python,
and active in the user's shell.
"""
from __future__ import annotations

import shlex

from packaging.utils import canonicalize_name

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.checks.host import current_env, is_simulated
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.python_env import EnvFacts, PythonEnvFacts
from envdoctor.collectors.shells import ShellFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (PythonEnvFacts, HostFacts, ShellFacts)


def version_matches(actual: str, expected: str) -> bool:
    """'3.10.13' matches '3.10' and '3.10.13'; not '3.10.12' or '3.11'."""
    if not actual or not expected:
        return False
    want = expected.split(".")
    return actual.split(".")[: len(want)] == want


def canonical(name: str) -> str:
    return str(canonicalize_name(name))


def pip_step_commands(recipe: Recipe, names: set[str] | None = None) -> list[str]:
    """The recipe's own pip commands (its setup steps) that provide `names` (all when None)."""
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: only to show a pip step's commands

    cmds: list[str] = []
    for step in recipe.steps:
        if step.kind != "pip":
            continue
        provides = set()
        for text in step.get("requires", []) or []:
            try:
                provides.add(canonical(Requirement(text).name))
            except InvalidRequirement:
                provides.add(canonical(text))
        if names is not None and not (provides & names):
            continue
        parts = []
        if step.get("cwd"):
            parts.append(f"cd {step.get('cwd')}")
        for path in step.get("remove_first", []) or []:
            parts.append(f"rm -rf {path}")
        if step.get("freeze_to"):  # the course pins what the env already has first (frozen.txt)
            parts.append(f"pip list --format=freeze > {_quote(step.get('freeze_to'))}")
        parts.append("pip " + " ".join(_quote(a) for a in step.get("args", [])) + _pip_options(recipe))
        cmds.append(" && ".join(parts))
    return cmds


def _quote(arg: str) -> str:
    return arg if arg.startswith("~/") and " " not in arg else shlex.quote(arg)


def _pip_options(recipe: Recipe) -> str:
    opts = recipe.pip.options()
    return (" " + " ".join(shlex.quote(o) for o in opts)) if opts else ""


def activate_command(recipe: Recipe) -> str:
    env = recipe.environment
    if env.activate:
        return env.activate
    return f"conda activate {env.name}" if env.kind == "conda" else f"source {env.path}/bin/activate"


def create_commands(recipe: Recipe) -> list[str]:
    env = recipe.environment
    if env.kind == "conda":
        return [f"conda create -n {env.name} python={env.python} -y", activate_command(recipe)]
    if env.kind == "system":
        return []
    parent = env.path.rstrip("/").rsplit("/", 1)[0]
    mk = [f"mkdir -p {parent}"] if parent not in ("~", "") else []
    if env.creator == "virtualenv":
        create = f"virtualenv -p {env.interpreter} {env.path}"
    else:
        create = f"{env.interpreter} -m venv" + (" --system-site-packages" if env.system_site_packages else "") + \
            f" {env.path}"
    return mk + [create, activate_command(recipe)]


def remove_commands(recipe: Recipe) -> list[str]:
    env = recipe.environment
    if env.kind == "conda":
        return ["conda deactivate", f"conda remove -n {env.name} --all -y"]
    return [f"rm -rf {env.path}"]


def rebuild_commands(recipe: Recipe) -> list[str]:
    return remove_commands(recipe) + create_commands(recipe) + pip_step_commands(recipe)


def env_facts(probe: Probe) -> EnvFacts:
    return probe.of(PythonEnvFacts).env


# ---------------------------------------------------------------------------------------------
@check("python.interpreter", "python", "the course's Python interpreter is there, at the right version",
       step="venv", applies=lambda r: bool(r.environment.interpreter))
def interpreter(probe: Probe, recipe: Recipe) -> Outcome:
    py = probe.of(PythonEnvFacts)
    it = py.interpreter
    if it is None:  # a probe collected for a recipe that names no interpreter
        return skip("the probe has no facts about the course's interpreter")
    want, expected = py.required, py.expected
    shown = it.recipe
    played = f" (played by Python {expected} on this simulated node)" if expected != want and want else ""
    if it.broken:
        return fail(f"{shown} is a symlink to {it.link_target}, which does not exist (the Python it pointed "
                    "to was removed or upgraded)", "use a node where the course's interpreter is installed, or ask "
                    "ALCF support; venvs built from it are broken too", [f"ls -l {shown}"], [f"{shown} -> {it.link_target}"])
    if not it.exists:
        return fail(f"{shown} does not exist on this node: {recipe.title} builds its environment with it",
                    f"run on a {recipe.platform} node that has it" + (f" ({recipe.hosts.next_hop})" if recipe.hosts.next_hop else ""),
                    [f"ls -l {shown}"] + ([recipe.hosts.next_hop] if recipe.hosts.next_hop else []))
    if not it.executable:
        return fail(f"{shown} exists but is not an executable file", "ask ALCF support", [f"ls -l {shown}"])
    if not it.version:
        return fail(f"{shown} does not start: {it.error}", "ask ALCF support; use another node meanwhile",
                    [f"{shown} --version"])
    if want and not version_matches(it.version, expected):
        return fail(f"{shown} is Python {it.version}, but {recipe.title} needs Python {want}{played}",
                    "use the interpreter the course names (check the release you follow)", [f"{shown} --version"])
    return ok(f"{shown}: Python {it.version}{played}")


# ---------------------------------------------------------------------------------------------
def _exists(probe: Probe, recipe: Recipe) -> Outcome:
    env = env_facts(probe)
    shown = recipe.environment.path
    if env.exists:
        return ok(f"{shown} exists")
    if recipe.environment.kind == "system":
        return fail(f"the system environment {shown} does not exist on this node; it comes with the SDK install",
                    f"run on a {recipe.platform} node that provides it"
                    + (f" ({recipe.hosts.next_hop})" if recipe.hosts.next_hop else ""),
                    [recipe.hosts.next_hop] if recipe.hosts.next_hop else [])
    what = f"conda env '{recipe.environment.name}'" if recipe.environment.kind == "conda" else "the venv"
    if env.lexists:
        return fail(f"{shown} exists but is not a directory (a dangling symlink or a file) — {what} cannot be used",
                    "remove it and create the environment", [f"rm -f {shown}"] + create_commands(recipe)
                    + pip_step_commands(recipe))
    return fail(f"{what} does not exist ({shown})", "create it, then install the packages",
                create_commands(recipe) + pip_step_commands(recipe))


def _healthy(probe: Probe, recipe: Recipe) -> Outcome:
    env = env_facts(probe)
    if not env.exists:
        return skip(f"{recipe.environment.path} does not exist")
    shown = recipe.environment.path
    kind = recipe.environment.kind
    problems, evidence = [], []
    py, cfg, home, run = env.python, env.pyvenv_cfg, env.cfg_home, env.run
    if kind in ("venv", "system") and cfg is None:
        problems.append(f"{shown}/pyvenv.cfg is missing, so this is not a venv (python will not isolate packages)")
    if kind == "conda" and not env.conda_meta and cfg is None:
        problems.append(f"{shown} has no conda-meta/: it is not a conda env (a half-removed or copied directory)")
    if py is not None and py.broken:
        problems.append(f"{shown}/bin/python is a symlink to {py.link_target}, which does not exist: the "
                        "interpreter the env was built with is gone, so nothing in the env runs")
    elif py is None or not py.exists:
        problems.append(f"{shown}/bin/python does not exist")
    if home and not home.exists:
        problems.append(f"pyvenv.cfg says home = {home.path}, which does not exist")
    if run and not run.ok:
        problems.append(f"{shown}/bin/python does not start: {run.error}")
    if run and run.ok and cfg:
        # pyvenv.cfg is the user's file: venv writes `version`, virtualenv `version_info`, either may be gone.
        stated = cfg.get("version_info") or cfg.get("version") or ""
        stated3 = ".".join(stated.split(".")[:3])
        if stated3 and stated3 != run.version:
            problems.append(f"pyvenv.cfg records Python {stated3} but bin/python is {run.version} (the base "
                            "interpreter was replaced under the env)")
        evidence.append(f"pyvenv.cfg: home = {home.path if home else '?'}, version = {stated or '?'}")
    if run and run.ok:
        evidence.append(f"bin/python runs: Python {run.version} ({run.executable})")
    if py is not None and py.symlink:
        evidence.append(f"bin/python -> {py.link_target}")
    if not problems:
        return ok(*evidence)
    if kind == "system":
        return fail("; ".join(problems), "the system environment is broken on this node: use another node and "
                    "tell ALCF support", [], evidence)
    return fail("; ".join(problems), "remove the environment and build it again (packages included)",
                rebuild_commands(recipe), evidence)


def _python(probe: Probe, recipe: Recipe) -> Outcome:
    py = probe.of(PythonEnvFacts)
    run = py.env.run
    if not py.env.exists or run is None or not run.ok:
        return skip("the environment's python does not run (see the checks above)")
    want, expected = py.required, py.expected
    if not want:
        return ok(f"Python {run.version} (the recipe pins no version)")
    played = f" (Python {want} is played by {expected} on this simulated node)" if expected != want else ""
    if version_matches(run.version, expected):
        return ok(f"Python {run.version}{played}")
    base = f" from {run.base_prefix}" if run.base_prefix else ""
    return fail(f"{recipe.environment.path} was built with Python {run.version}{base}, but {recipe.title} needs "
                f"Python {want}{played}; vendor wheels (cp{want.replace('.', '')[:3]}) and pins do not install "
                "or run on another Python",
                "remove the environment and create it again with the right Python", rebuild_commands(recipe))


def _active(probe: Probe, recipe: Recipe) -> Outcome:
    env_f = env_facts(probe)
    cur, where = current_env(probe)
    r_env = recipe.environment
    shown = r_env.path
    venv = cur.get("VIRTUAL_ENV", "")
    cprefix = cur.get("CONDA_PREFIX", "")
    cname = cur.get("CONDA_DEFAULT_ENV", "")
    activate = activate_command(recipe)
    if r_env.kind == "conda":
        active = cprefix.rstrip("/") == shown.rstrip("/") or (cname == r_env.name and not cprefix)
        if active and not venv:
            return ok(f"{where}: CONDA_PREFIX={cprefix or shown}")
        if venv:
            return fail(f"a venv ({venv}) is active in {where}: its python and pip come before conda env "
                        f"'{r_env.name}'", "deactivate the venv, then activate the conda env",
                        ["deactivate", activate], [f"VIRTUAL_ENV={venv}"])
        if cname and cname not in ("base", r_env.name):
            return fail(f"conda env '{cname}' is active in {where}, not '{r_env.name}'",
                        f"switch to '{r_env.name}'", ["conda deactivate", activate], [f"CONDA_DEFAULT_ENV={cname}"])
    else:
        if venv.rstrip("/") == shown.rstrip("/"):
            return ok(f"{where}: VIRTUAL_ENV={venv}")
        if venv:
            return fail(f"another venv ({venv}) is active in {where}, not {shown}",
                        "deactivate it and activate the course's environment", ["deactivate", activate],
                        [f"VIRTUAL_ENV={venv}"])
    if not env_f.exists:
        return skip(f"{shown} does not exist yet")
    if is_simulated(probe):
        return skip(f"a fresh login shell does not activate it (that is normal); activate it with `{activate}`")
    return warn(f"{shown} is not active in {where}: `python` and `pip` here are not the environment's",
                "activate it in every new shell (and in job scripts) before running the examples", [activate],
                [f"VIRTUAL_ENV={venv or '(unset)'}", f"CONDA_DEFAULT_ENV={cname or '(unset)'}"])


def _register(prefix: str, kinds: tuple[str, ...], step_exists: str) -> None:
    def applies(r: Recipe) -> bool:
        return r.environment.kind in kinds

    noun = "conda env" if prefix == "conda.env" else "environment"
    check(f"{prefix}-exists" if prefix == "conda.env" else f"{prefix}.exists", prefix.split(".")[0],
          f"the course's {noun} exists", step=step_exists, applies=applies)(_exists)
    check(f"{prefix}-healthy" if prefix == "conda.env" else f"{prefix}.healthy", prefix.split(".")[0],
          f"the {noun} is healthy (its interpreter runs, pyvenv.cfg consistent)", step=step_exists,
          applies=applies)(_healthy)
    check(f"{prefix}-python" if prefix == "conda.env" else f"{prefix}.python", prefix.split(".")[0],
          f"the {noun} has the course's Python version", step=step_exists, applies=applies)(_python)
    check(f"{prefix}-active" if prefix == "conda.env" else f"{prefix}.active", prefix.split(".")[0],
          f"the {noun} is the active one", step="", applies=applies)(_active)


_register("venv", ("venv", "system"), "venv")
_register("conda.env", ("conda",), "conda-env")
