"""Scheduler checks: the scheduler's commands are on PATH, and jobs go out from the right host."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.scheduler import SchedulerFacts
from envdoctor.collectors.shells import ShellFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (SchedulerFacts, HostFacts, ShellFacts)


@check("scheduler.commands", "scheduler", "the scheduler's commands are on PATH in a login shell",
       applies=lambda r: bool(r.scheduler.commands))
def commands(probe: Probe, recipe: Recipe) -> Outcome:
    host = probe.of(HostFacts)
    sh = probe.of(ShellFacts)
    login = sh.modes.get("login")
    if login is None or not login.reached:
        return skip("the login shell did not start (see shell.startup-files)")
    which = login.which
    missing = [c for c in recipe.scheduler.commands if not which.get(c)]
    found = [f"{c}: {which[c]}" for c in recipe.scheduler.commands if which.get(c)]
    if not missing:
        return ok(*found)
    role = host.role
    if role == "other" and not host.simulated:
        return skip(f"{', '.join(missing)} not on PATH, as expected off the {recipe.platform} nodes")
    if role == "login" and recipe.scheduler.submit_from == "run":
        return warn(f"{', '.join(missing)} not on PATH here: {recipe.scheduler.kind} commands exist on the run nodes",
                    "go to a run node first", [recipe.hosts.next_hop] if recipe.hosts.next_hop else [], found)
    hint = {"slurm": "/opt/slurm/bin", "pbs": "/opt/pbs/bin"}.get(recipe.scheduler.kind, "")
    bashrc = sh.files.get("~/.bashrc")
    reads = sh.login_reads
    if bashrc is not None and bashrc.exists and "~/.bashrc" not in login.trace.sourced and reads:
        return fail(f"{', '.join(missing)} not found in a login shell: the login shell reads {reads}, which never "
                    "sources ~/.bashrc, and ~/.bashrc is what sources the node's /etc/bashrc (scheduler PATH, SDK "
                    "setup)", f"make {reads} source ~/.bashrc, then log in again",
                    [f"echo '[ -f ~/.bashrc ] && . ~/.bashrc' >> {reads}", "# log out and log in again"], found)
    return fail(f"{', '.join(missing)} not found in a login shell's PATH on a {recipe.platform} run node: the "
                "node's login environment did not set up PATH (a startup file resets PATH?)",
                "restore the system PATH in your startup files (do not overwrite PATH; prepend to it)",
                ([f"export PATH={hint}:$PATH"] if hint else []) + ["grep -n 'PATH=' ~/.bashrc ~/.bash_profile"],
                found + [f"PATH={':'.join(e.entry for e in login.path)}"])


@check("scheduler.submit-host", "scheduler", "jobs are submitted the way the system requires",
       applies=lambda r: r.scheduler.kind in ("pbs", "slurm"))
def submit_host(probe: Probe, recipe: Recipe) -> Outcome:
    host = probe.of(HostFacts)
    sched = recipe.scheduler
    role, name = host.role, host.hostname
    rule = sched.note or ""
    if sched.kind == "pbs":
        if role == "run":
            return ok(f"{name} is a run node: qsub works here", rule)
        if role == "login":
            return warn(f"{name} is a login node: qsub is not supported here; PBS jobs are submitted from the "
                        f"run nodes ({', '.join(recipe.hosts.run)}). {rule}".strip(),
                        "ssh to a run node and submit from there", [recipe.hosts.next_hop] if recipe.hosts.next_hop else [])
        return skip(f"{name} is not a {recipe.platform} node. Rule: {rule}".strip())
    via = " or ".join(sched.launch_via) or "srun or sbatch"
    in_job = probe.of(SchedulerFacts).in_job
    statement = (f"accelerator work starts only through {via} (a `python` started directly fails to get a device "
                 f"or disturbs other users' jobs). {rule}").strip()
    if role == "login" and sched.submit_from == "run":
        return warn(f"{name} is a login node. {statement}", f"ssh to a run node, then start runs with {via}",
                    [recipe.hosts.next_hop] if recipe.hosts.next_hop else [])
    if role == "run":
        job = f"; inside job {in_job.get('SLURM_JOB_ID') or in_job.get('SLURM_JOBID')}" if in_job else ""
        return ok(f"{name} is a run node{job}", f"rule: {statement}")
    return skip(f"{name} is not a {recipe.platform} node. Rule: {statement}")
