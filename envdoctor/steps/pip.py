"""`pip`: run the env's pip with the step's arguments and the recipe's pip options.

Done when every `requires` requirement is satisfied in the env (PEP 440 specifiers,
checked against the installed distributions listed by one python process), and a
requirement the recipe wants editable from a clone is installed editable from that clone.
Paths in the arguments are written as the course writes them (`~/...`, `/software/...`,
globs like `poptorch-3.3.0+*.whl`) and mapped to this target before pip sees them.
"""
from __future__ import annotations

import glob
import os
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from envdoctor import proc
from envdoctor.recipe import Step
from envdoctor.steps import envs
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line, move_aside, note, remove_tree


def is_done(step: Step, ctx: Context) -> str | None:
    facts = envs.inspect(ctx)
    if facts is None:
        return f"the env {ctx.display(envs.env_dir(ctx))} does not exist yet"
    dists = facts["dists"]
    assert isinstance(dists, dict)
    for text in step.get("requires", []):
        problem = _unsatisfied(ctx, text, dists)
        if problem:
            return problem
    return _upgrade_problem(ctx, step, dists)


def plan(step: Step, ctx: Context) -> list[Action]:
    cwd = step.get("cwd", "")
    actions = [Action("command", envs.activate_command(ctx))]
    shadow = _shadow_to_move(step, ctx)
    if shadow:
        actions.append(note(f"{ctx.display(shadow)} shadows the env's packages: it is kept, renamed to "
                            f"{ctx.display(ctx.backup_name(shadow))} (the ALCF guide's advice)"))
        actions.append(command(["mv", ctx.display(shadow), ctx.display(ctx.backup_name(shadow))]))
    for path in step.get("remove_first", []):
        if os.path.exists(ctx.path(path)):
            actions.append(command(["rm", "-rf", path]))
    if step.get("freeze_to"):
        freeze = f"pip list --format=freeze > {step.get('freeze_to')}"
        actions.append(Action("command", f"cd {cwd} && {freeze}" if cwd else freeze))
    args, missing = _args(ctx, step, shown=True)
    actions.append(command(["pip", *args, *_options(ctx, shown=True)], cwd))
    actions.extend(note(f"{m} does not exist on this node: this step will fail") for m in missing)
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    python = envs.env_python(ctx)
    if not os.path.exists(python):
        raise fail(step, f"the env {ctx.display(envs.env_dir(ctx))} does not exist", "its env step must run first")
    cwd = ctx.path(step.get("cwd", "") or "~")
    if not os.path.isdir(cwd):
        raise fail(step, f"the directory {ctx.display(cwd)} does not exist", "its clone step must run first")
    args, missing = _args(ctx, step, shown=False)
    if missing:
        raise fail(step, f"{missing[0]} does not exist on this node", "check the SDK installation or the recipe")
    shadow = _shadow_to_move(step, ctx)
    if shadow:
        move_aside(ctx, shadow)
        envs.forget(ctx)
    for path in step.get("remove_first", []):
        remove_tree(ctx.path(path))
    if step.get("freeze_to"):
        _freeze(step, ctx, python, cwd)
    argv = [python, "-m", "pip", *args, *_options(ctx, shown=False)]
    progress.update(f"pip {' '.join(step.get('args', []))}")
    rc, tail = ctx.run_long(argv, progress, cwd=cwd, env=envs.activated_env(ctx))
    envs.forget(ctx)
    if rc != 0:
        shown = command(["pip", *_args(ctx, step, shown=True)[0]]).text
        raise fail(step, f"`{shown}` exited {rc}: {last_line(tail)}",
                   "fix the cause and run setup again (installs already done are kept)")


def _freeze(step: Step, ctx: Context, python: str, cwd: str) -> None:
    """`pip list --format=freeze > FILE` in cwd, as the course pins what the env already has
    (an existing FILE is kept under its backup name)."""
    done = proc.run([python, "-m", "pip", "list", "--format=freeze"], cwd=cwd, env=envs.activated_env(ctx), timeout=300)
    if not done.ok:
        raise fail(step, f"`pip list --format=freeze` failed: {done.describe()}", "repair the env and run setup again")
    target = os.path.join(cwd, step.get("freeze_to"))
    if os.path.exists(target):
        move_aside(ctx, target)
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(done.stdout)


def _unsatisfied(ctx: Context, text: str, dists: dict[str, dict[str, str]]) -> str | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return f"the recipe's requirement {text!r} is not valid"
    key = _key(req.name)
    have = dists.get(key)
    if have is None:
        return f"{req.name} is not installed in {ctx.display(envs.env_dir(ctx))}"
    shadow = _shadowing(ctx)
    if shadow and _under(have.get("location", ""), shadow):
        return (f"{req.name} {have['version']} comes from {ctx.display(shadow)}, which shadows the env "
                "(home is shared by all systems)")
    if req.specifier and not req.specifier.contains(have["version"], prereleases=True):
        return f"{req.name} {have['version']} is installed, the recipe needs {text}"
    repo = _editable_repo(ctx, key)
    if repo:
        source = have.get("editable", "")
        want = os.path.realpath(ctx.path(ctx.recipe.repo(repo).dest))
        if not source:
            return f"{req.name} is installed, but not in editable mode from the clone {ctx.display(want)}"
        got = os.path.realpath(unquote(source[len("file://"):] if source.startswith("file://") else source))
        if got != want and not got.startswith(want + os.sep):
            return f"{req.name} is installed editable from {ctx.display(got)}, not from {ctx.display(want)}"
    return None


def _shadowing(ctx: Context) -> str:
    facts = envs.inspect(ctx) or {}
    user_site = str(facts.get("user_site") or "")
    return user_site if user_site and os.path.isdir(user_site) else ""


def _shadow_to_move(step: Step, ctx: Context) -> str:
    """The user site directory when one of this step's requirements is loaded from it."""
    facts = envs.inspect(ctx)
    shadow = _shadowing(ctx)
    if not facts or not shadow:
        return ""
    dists = facts["dists"]
    assert isinstance(dists, dict)
    for text in step.get("requires", []):
        try:
            have = dists.get(_key(Requirement(text).name))
        except InvalidRequirement:
            continue
        if have and _under(have.get("location", ""), shadow):
            return shadow
    return ""


def _under(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory + os.sep)


def _upgrade_problem(ctx: Context, step: Step, dists: dict[str, dict[str, str]]) -> str | None:
    """`pip install --upgrade X`: not done while a newer X sits in a local wheel directory
    the install reads (the sim wheelhouse, the recipe's --find-links); an index is never
    asked, so on a real node the step's `requires` decide."""
    args = step.get("args", [])
    if not {"--upgrade", "-U"} & set(args):
        return None
    for arg in args[1:]:
        if arg.startswith(("-", "~", "/", ".")):
            continue
        try:
            name = _key(Requirement(arg).name)
        except InvalidRequirement:
            continue
        have, newest = dists.get(name, {}).get("version"), _newest_local(ctx, name)
        try:
            if have and newest and Version(newest) > Version(have):
                return f"{arg} {have} is installed; the wheel directory has {newest} and this step upgrades to it"
        except InvalidVersion:
            continue
    return None


def _newest_local(ctx: Context, key: str) -> str | None:
    dirs = ctx.env.get("PIP_FIND_LINKS", "").split()
    opts = ctx.recipe.pip.find_links
    dirs += [ctx.path(d) for d in opts if d.startswith(("/", "~"))]
    best: Version | None = None
    for d in dirs:
        for wheel in glob.glob(os.path.join(d, "*.whl")):
            parts = os.path.basename(wheel).split("-")
            if len(parts) >= 3 and _key(parts[0]) == key:
                try:
                    v = Version(parts[1])
                except InvalidVersion:
                    continue
                best = v if best is None or v > best else best
    return str(best) if best else None


def _editable_repo(ctx: Context, key: str) -> str:
    for r in ctx.recipe.requirements:
        if _key(r.name) == key and r.editable:
            return r.editable
    return ""


def _key(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _args(ctx: Context, step: Step, *, shown: bool) -> tuple[list[str], list[str]]:
    """The step's args with recipe paths mapped (shown: in the course's spelling, with
    globs resolved to the file they match); plus the paths that match nothing."""
    out: list[str] = []
    missing: list[str] = []
    for arg in step.get("args", []):
        if not (arg.startswith("~") or arg.startswith("/")):
            out.append(arg)
            continue
        real = ctx.path(arg)
        if any(c in arg for c in "*?["):
            matches = sorted(glob.glob(real))
            if not matches:
                missing.append(arg)
                out.append(arg if shown else real)
                continue
            real = matches[-1]
        out.append(ctx.display(real) if shown else real)
    return out, missing


def _options(ctx: Context, *, shown: bool) -> list[str]:
    opts = list(ctx.recipe.pip.options())
    for i, opt in enumerate(opts[:-1]):
        if opt == "--find-links" and (opts[i + 1].startswith("/") or opts[i + 1].startswith("~")):
            opts[i + 1] = ctx.display(ctx.path(opts[i + 1])) if shown else ctx.path(opts[i + 1])
    return opts
