"""Package checks: the recipe's requirements in the env, and ~/.local packages that leak in."""
from __future__ import annotations

import re
from typing import Optional, Sequence

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.checks.python import activate_command, canonical, env_facts, pip_step_commands
from envdoctor.collectors.python_env import Dist, EnvRun, PythonEnvFacts, UserDist
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe, Requirement

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (PythonEnvFacts,)


def installed(run: EnvRun) -> dict[str, Dist]:
    """canonical name -> the distribution Python finds first (sys.path order, as importlib does)."""
    found: dict[str, Dist] = {}
    for d in run.dists:
        found.setdefault(canonical(d.name), d)
    return found


def _editable_ok(dist: Dist, clone: str) -> bool:
    clone = clone.rstrip("/")
    url_path = dist.url_path.rstrip("/")
    loc = dist.location.rstrip("/")
    if dist.editable and (url_path == clone or url_path.startswith(clone + "/")):
        return True
    return loc == clone or loc.startswith(clone + "/")  # legacy `setup.py develop` (egg-info in the clone)


def requirement_problem(req: Requirement, dist: Optional[Dist], run: EnvRun, recipe: Recipe) -> str:
    if dist is None:
        return f"{req.text or req.name} is not installed"
    version = dist.version
    if req.spec:
        try:
            if not SpecifierSet(req.spec).contains(Version(version), prereleases=True):
                where = " (from ~/.local, shadowing the env)" if dist.in_user_site else ""
                return f"{req.name} {version} is installed{where}, but the course needs {req.name}{req.spec}"
        except InvalidVersion:
            return f"{req.name} has an unparseable version {version!r}"
    if req.editable:
        try:
            clone = recipe.repo(req.editable).dest
        except KeyError:
            clone = ""
        if clone and not _editable_ok(dist, clone):
            how = f"from {dist.url_path or dist.location}"
            return (f"{req.name} {version} is installed {how}, not in editable mode from the clone {clone} "
                    f"(`pip install -e`)")
    for name in req.imports:
        top = name.split(".")[0]
        info = run.imports.get(top)  # None: not asked (a probe of an older recipe)
        if info is not None and not info.found:
            return f"{req.name} is installed but `import {top}` finds no module{': ' + info.error if info.error else ''}"
        if info is not None and info.in_user_site:
            return f"`import {top}` loads {info.origin} from ~/.local, not the env's copy"
    return ""


@check("packages.required", "packages", "the course's packages are installed at the right versions", step="pip",
       applies=lambda r: bool(r.requirements))
def required(probe: Probe, recipe: Recipe) -> Outcome:
    env = env_facts(probe)
    run = env.run
    if not env.exists:
        return skip(f"{recipe.environment.path} does not exist (see the environment checks)")
    if run is None or not run.ok:
        return skip("the environment's python does not run (see the environment checks)")
    if run.error:
        return fail(f"cannot list the env's packages: {run.error}", "repair or rebuild the environment",
                    [activate_command(recipe), "python -m pip list"])
    found = installed(run)
    problems, bad, good = [], set(), []
    for req in recipe.requirements:
        dist = found.get(canonical(req.name))
        problem = requirement_problem(req, dist, run, recipe)
        if problem:
            problems.append(problem)
            bad.add(canonical(req.name))
        else:
            extra = " (editable)" if req.editable else ""
            good.append(f"{req.name} {dist.version if dist else ''}{extra}")
    if not problems:
        return ok(*good, f"{len(found)} distributions in the env (listed by one `python -c` in {run.duration_ms} ms)")
    cmds = pip_step_commands(recipe, bad)
    if not cmds:
        specs = [r.text for r in recipe.requirements if canonical(r.name) in bad]
        cmds = ["pip install " + " ".join(f"'{s}'" for s in specs)]
    return fail("; ".join(problems), "install them in the environment with the course's commands "
                "(activate it first)", [activate_command(recipe), *cmds], good)


@check("packages.user-site", "packages", "no ~/.local packages shadow the env (home is shared by all systems)",
       step="")
def user_site(probe: Probe, recipe: Recipe) -> Outcome:
    py = probe.of(PythonEnvFacts)
    us = py.user_site
    run = py.env.run or EnvRun(False)  # the env's python did not run: nothing of ~/.local is known to load
    if recipe.user_site_ok:
        return skip("this recipe uses ~/.local on purpose")
    if not us.exists or not (us.dists or us.pth):
        return ok(f"{us.dir or '~/.local/lib/pythonX.Y/site-packages'}: no packages")
    names = {canonical(d.name): d for d in us.dists}
    env_names = {canonical(d.name) for d in run.dists if not d.in_user_site}
    wanted = {canonical(r.name) for r in recipe.requirements}
    # What Python really loads: the first distribution of each name in sys.path order.
    winners = [d for n, d in installed(run).items() if d.in_user_site]
    effective = run.enable_user_site
    overlap = sorted(set(names) & (env_names | wanted))
    listing = ", ".join(f"{d.name} {d.version}" for d in us.dists[:12])
    xy_dir = us.dir.rsplit("/site-packages", 1)[0]
    cmds = [f"mv {xy_dir} {xy_dir}.disabled"]
    evidence = [f"{us.dir}: {listing}" + (" …" if len(us.dists) > 12 else "")]
    if us.pth:
        evidence.append("path hooks: " + ", ".join(us.pth))
    leak = ("~/.local is shared by every env and every testbed system (home is shared), which is why ALCF warns "
            "about \"mysterious package dependency/version issues\"")
    own = envdoctor_own(us.dists)
    if own:
        mine, uninstall = _own_install(own, us.dir)
        if len(own) == len(us.dists) and not us.pth:
            return _only_envdoctor(mine, uninstall, us.dir, winners, wanted, leak, evidence)
        cmds.insert(0, uninstall)
        leak += f"; {mine} are envdoctor's own earlier install: `{uninstall}` removes just them"
    if winners:
        hit = sorted(d.name for d in winners)
        required_hit = [n for n in hit if canonical(n) in wanted]
        loads = ", ".join(f"{d.name} {d.version}" for d in winners)
        why = (f"the env's python loads {loads} from {us.dir} "
               "instead of its own site-packages" + (f" — including required {', '.join(required_hit)}"
                                                     if required_hit else "") + f". {leak}.")
        fix = ("move the user-site packages out of the way (or set PYTHONNOUSERSITE=1 in job scripts), then "
               "reinstall anything missing inside the env")
        return (fail if required_hit else warn)(why, fix, cmds + pip_step_commands(recipe, set(
            canonical(n) for n in required_hit)), evidence)
    if effective and overlap:
        return warn(f"{us.dir} holds {', '.join(names[n].name for n in overlap)}, and this env reads ~/.local "
                    f"(after its own packages): whatever is missing from the env is silently taken from there. {leak}",
                    "move the user-site packages out of the way and install what the env needs inside it", cmds,
                    evidence)
    why = (f"{us.dir} holds packages ({listing}) installed with `pip install --user` or pip outside an env; "
           "this env ignores them" if not effective else f"{us.dir} holds packages ({listing})")
    why += ", but they leak into every other env and system through the shared home"
    return warn(why, "install packages only inside an env; move these away unless you need them", cmds, evidence)


def envdoctor_own(dists: Sequence[UserDist]) -> list[UserDist]:
    """What `pip install --user envdoctor` left in ~/.local: envdoctor and the packages it pulled
    in (typer, click, ruamel.yaml, ...), less any that another ~/.local package also needs."""
    by_name = {canonical(d.name): d for d in dists}
    if "envdoctor" not in by_name:
        return []

    def closure(start: list[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(start)
        while todo:
            name = todo.pop()
            if name not in seen and name in by_name:
                seen.add(name)
                todo.extend(canonical(r) for r in by_name[name].requires)
        return seen

    mine = closure(["envdoctor"])
    needed_elsewhere = closure([n for n in by_name if n not in mine])
    return [by_name[n] for n in sorted((mine - needed_elsewhere) | {"envdoctor"})]


def _own_install(own: list[UserDist], user_dir: str) -> tuple[str, str]:
    """('envdoctor 0.1.0 and the N packages it pulled in', the pip command that removes them)."""
    m = re.search(r"python(\d+\.\d+)", user_dir)
    python = f"python{m.group(1)}" if m else "python3"
    names = ["envdoctor"] + [d.name for d in own if canonical(d.name) != "envdoctor"]
    version = next(d.version for d in own if canonical(d.name) == "envdoctor")
    what = f"envdoctor {version}" + (f" and the {len(names) - 1} packages it pulled in ({', '.join(names[1:])})"
                                     if len(names) > 1 else "")
    # pip uninstall has no --user: outside any env, the user site comes first on sys.path.
    return what, f"{python} -m pip uninstall -y {' '.join(names)}"


def _only_envdoctor(mine: str, uninstall: str, user_dir: str, winners: list[Dist], wanted: set[str],
                    leak: str, evidence: list[str]) -> Outcome:
    why = f"{user_dir} holds envdoctor's own earlier install ({mine}), from `pip install --user envdoctor`"
    required_hit = sorted(d.name for d in winners if canonical(d.name) in wanted)
    if winners:
        hit = sorted(d.name for d in winners)
        why += (f"; the env's python takes {len(hit)} of them from there ({', '.join(hit[:6])}"
                + (", …" if len(hit) > 6 else "") + ")" + (f", including required {', '.join(required_hit)}"
                                                          if required_hit else ""))
    fix = ("uninstall it from a shell where no env is active (`deactivate` / `conda deactivate` first), then run "
           "envdoctor with pipx (`pipx install envdoctor`) or the course's envdoctor.pyz: neither puts packages "
           "into ~/.local/lib")
    return (fail if required_hit else warn)(f"{why}. {leak}.", fix, [uninstall], evidence)

