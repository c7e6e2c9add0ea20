"""Repository checks: cloned, at the expected tag/branch, vendor package matching the tag."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.checks.packages import installed
from envdoctor.checks.python import activate_command, canonical, env_facts, pip_step_commands
from envdoctor.collectors.python_env import PythonEnvFacts
from envdoctor.collectors.repos import Clone, ReposFacts
from envdoctor.probe import MissingFacts, Probe
from envdoctor.recipe import Recipe, Repo

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (ReposFacts, PythonEnvFacts)


def clone_commands(repo: Repo) -> list[str]:
    parent = repo.dest.rstrip("/").rsplit("/", 1)[0]
    cmds = [f"mkdir -p {parent}"] if parent not in ("~", "") else []
    cmds.append(f"git clone {repo.url} {repo.dest}")
    if repo.ref_kind == "tag" or repo.ref not in ("main", "master"):
        cmds.append(f"cd {repo.dest} && git checkout {repo.ref}")
    return cmds


def _clone(probe: Probe, repo: Repo) -> Clone:
    """The facts of `repo`'s clone (a repo the collector did not see reads as not cloned)."""
    found = probe.of(ReposFacts).clones.get(repo.name)
    return found if found is not None else Clone(repo.name, repo.dest, False, False, repo.ref, repo.ref_kind)


def _setup_py_version(probe: Probe, repo: Repo) -> str:
    try:
        return _clone(probe, repo).setup_py_version
    except MissingFacts:  # only a note; the check decides on the installed package
        return ""


@check("repo.cloned", "repo", "the course's repositories are cloned", step="git", applies=lambda r: bool(r.repos))
def cloned(probe: Probe, recipe: Recipe) -> Outcome:
    problems, cmds, good = [], [], []
    for repo in recipe.repos:
        f = _clone(probe, repo)
        if not f.exists:
            what = "exists but is not a directory" if f.lexists else "does not exist"
            problems.append(f"{repo.dest} {what} (clone of {repo.url})")
            cmds += ([f"rm -f {repo.dest}"] if f.lexists else []) + clone_commands(repo)
        elif not f.is_git:
            problems.append(f"{repo.dest} exists but is not a git clone ({f.entries} entries; a copy or an "
                            "interrupted clone)")
            cmds += [f"mv {repo.dest} {repo.dest}.old"] + clone_commands(repo)
        elif not f.head:
            problems.append(f"{repo.dest} is a broken git clone: {f.git_error or 'no HEAD'}")
            cmds += [f"mv {repo.dest} {repo.dest}.old"] + clone_commands(repo)
        else:
            good.append(f"{repo.dest}: clone of {f.origin or repo.url}")
    if problems:
        return fail("; ".join(problems), "clone the repositories where the course expects them", cmds, good)
    return ok(*good)


@check("repo.ref", "repo", "each clone is at the course's tag or branch", step="git", applies=lambda r: bool(r.repos))
def at_ref(probe: Probe, recipe: Recipe) -> Outcome:
    problems, cmds, good, warn_only = [], [], [], True
    for repo in recipe.repos:
        f = _clone(probe, repo)
        if not f.head:
            continue
        missing_files = [p for p, present in f.required_files.items() if not present]
        head = f.head[:12]
        tags_here = ", ".join(f.tags_at_head)
        if repo.ref_kind == "tag":
            if not f.ref_commit:
                problems.append(f"{repo.dest} has no tag {repo.ref} (HEAD is {head}"
                                + (f", tags here: {tags_here}" if tags_here else "")
                                + "); a `git pull` does not fetch new tags")
                cmds += [f"cd {repo.dest} && git fetch --tags origin && git checkout {repo.ref}"]
                warn_only = False
                continue
            if f.head != f.ref_commit:
                where = f"branch {f.branch}" if f.branch else "a detached HEAD"
                tags = f" (tag {tags_here})" if tags_here else ""
                problems.append(f"{repo.dest} is at {head}{tags} on {where}, not at tag {repo.ref} "
                                f"({f.ref_commit[:12]})")
                cmds.append(f"cd {repo.dest} && git checkout {repo.ref}")
                warn_only = False
                continue
        else:
            if f.branch != repo.ref:
                tags = f", tag {tags_here}" if tags_here else ""
                problems.append(f"{repo.dest} is on {('branch ' + f.branch) if f.branch else 'a detached HEAD'}"
                                f" ({head}{tags}), not on branch {repo.ref}")
                cmds.append(f"cd {repo.dest} && git checkout {repo.ref}")
                continue
        if missing_files:
            problems.append(f"{repo.dest} is at {repo.ref} but {', '.join(missing_files)} is missing: the tag moved "
                            "upstream after you cloned (a `git pull` does not refresh tags), so re-clone")
            cmds += [f"mv {repo.dest} {repo.dest}.old"] + clone_commands(repo)
            warn_only = False
            continue
        good.append(f"{repo.dest}: {repo.ref} ({head})")
    if not problems:
        if not any(_clone(probe, r).head for r in recipe.repos):
            return skip("no clone to inspect (see repo.cloned)")
        return ok(*good)
    outcome = warn if warn_only else fail
    return outcome("; ".join(problems), "check out the course's ref (examples and configs change between "
                   "releases)", cmds, good)


@check("repo.vendor-version", "repo", "the installed vendor package matches the repository's release tag",
       step="pip", applies=lambda r: any(repo.expected_vendor_version() for repo in r.repos))
def vendor_version(probe: Probe, recipe: Recipe) -> Outcome:
    run = env_facts(probe).run
    if run is None or not run.ok:
        return skip("the environment's python does not run (see the environment checks)")
    found = installed(run)
    problems, good, names = [], [], set()
    for repo in recipe.repos:
        want = repo.expected_vendor_version()
        if not want:
            continue
        dist = found.get(canonical(repo.vendor_package))
        setup_v = _setup_py_version(probe, repo)
        if dist is None:
            problems.append(f"{repo.vendor_package} is not installed; {repo.dest} at {repo.ref} needs {want}")
        elif dist.version.split("+")[0] != want:
            problems.append(f"{repo.vendor_package} {dist.version} is installed, but {repo.dest} is the "
                            f"{repo.ref} model zoo, which needs {repo.vendor_package}=={want} (mixing releases gives "
                            "\"cerebras-modelzoo requires cerebras_pytorch==...\" and InconsistentVersion warnings)")
        else:
            good.append(f"{repo.vendor_package} {dist.version} matches {repo.ref}")
            continue
        if setup_v and setup_v != want:
            problems[-1] += f"; note: the clone's setup.py says {setup_v}"
        names.add(canonical(repo.vendor_package))
    if not problems:
        return ok(*good)
    cmds = pip_step_commands(recipe, names) or [f"pip install '{n}=={recipe.repos[0].expected_vendor_version()}'"
                                               for n in sorted(names)]
    return fail("; ".join(problems), "install the vendor package of the same release as the clone",
                [activate_command(recipe), *cmds], good)
