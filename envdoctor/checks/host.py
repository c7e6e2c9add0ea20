"""Host checks: are we on the node the course runs from, and is home usable?

Also the small helpers other check modules share (the user's current shell environment,
the login shell's, whether the node is simulated).
"""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.shells import ShellFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (HostFacts, ShellFacts)


def current_env(probe: Probe) -> tuple[dict[str, str], str]:
    """The environment of the shell the user works in, and how to name it in messages.

    Real machine: envdoctor's own environment (the shell it was started from). Simulated
    node: the state its interactive login shell reaches (what a student has after ssh).
    """
    current = probe.of(HostFacts).current_env
    if current is not None:
        return dict(current), "your current shell"
    return login_env(probe), "a fresh login shell"


def login_env(probe: Probe) -> dict[str, str]:
    """The variables a fresh login shell reaches ({} when it did not start)."""
    login = probe.of(ShellFacts).modes.get("login")
    return dict(login.env) if login is not None else {}


def is_simulated(probe: Probe) -> bool:
    return probe.of(HostFacts).simulated


@check("host.node-role", "host", "on a node the course runs from", step="")
def node_role(probe: Probe, recipe: Recipe) -> Outcome:
    host = probe.of(HostFacts)
    name, role = host.hostname, host.role
    hosts, sched = recipe.hosts, recipe.scheduler
    runs_from = ", ".join(hosts.run) or "the run nodes"
    if recipe.retired and role == "other" and not host.simulated:
        return skip(f"{recipe.title} is retired: {recipe.retired.split('. ')[0]}.")
    if role == "run":
        return ok(f"{name} matches the run-node pattern ({runs_from})")
    if role == "login":
        if sched.submit_from == "run" and hosts.next_hop:
            return warn(
                f"{name} is a {recipe.platform} login node; runs and job submission start from the run nodes "
                f"({runs_from}).",
                f"go to a run node first ({hosts.next_hop}), then run envdoctor there again",
                [hosts.next_hop], [f"hostname {name} matches a login pattern ({', '.join(hosts.login)})"])
        return ok(f"{name} is a login node; this platform runs from login nodes")
    where = (f"log in with `ssh <user>@{hosts.login_address}`" if hosts.login_address else "log in to the system")
    hop = f", then `{hosts.next_hop}`" if hosts.next_hop else ""
    return skip(f"{name} is not a {recipe.platform} node ({where}{hop}); node checks describe this machine only")


@check("host.home", "host", "home directory exists and is writable")
def home_writable(probe: Probe, recipe: Recipe) -> Outcome:
    state = probe.of(HostFacts).home_state
    if state.writable:
        return ok(f"~ is writable ({state.mode})")
    problem = state.error or "is not writable"
    return fail(f"your home directory ~ {problem}: setup cannot create the env, clones or configs there, and "
                "tools write caches under ~ (pip, conda, ~/.cache)",
                "check the permissions of your home (it must be yours and writable by you); if it is full or "
                "read-only, contact ALCF support",
                ["ls -ld ~", "chmod u+rwx ~"], [f"~: {problem}"])
