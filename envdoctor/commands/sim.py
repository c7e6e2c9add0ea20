"""`envdoctor sim create` and `envdoctor sim faults`."""
from __future__ import annotations

import shlex
import sys
import time

from envdoctor.commands.common import err, out


def create(platform: str, release: str | None, root: str | None, ready: bool, faults: tuple[str, ...],
           force: bool, user: str | None = None) -> int:
    from envdoctor.recipe import catalog
    from envdoctor.targets.sim import faults as fault_mod
    from envdoctor.targets.sim.builder import create as build

    fault_mod.resolve(catalog().get(platform, release), faults)  # bad input: one line, before any work
    started = time.monotonic()
    if sys.stderr.isatty():  # progress for a person; errors stay one line for scripts
        err(f"building a simulated {platform} node{' (ready)' if ready else ''}"
            + (f" with {', '.join(faults)}" if faults else "") + " ...")
    target = build(platform, release=release, root=root, ready=ready, faults=tuple(faults), force=force, user=user)
    meta = target.meta
    state = "set up as the course documents" if meta.get("ready") else "a fresh account (nothing set up yet)"
    if meta.get("faults"):
        state += ", then broken as below"
    lines = [
        f"simulated {meta['platform']} node ({meta['release']}) at {target.root}",
        f"  hostname  {target.hostname}   user {target.user}   home {target.home}",
        f"  state     {state}",
        f"  faults    {', '.join(meta.get('faults') or []) or 'none'}",
        "  python    " + ", ".join(f"{k} played by {v}" for k, v in meta.get("python_versions", {}).items()),
        f"  built in  {time.monotonic() - started:.1f} s",
        "next:",
        f"  envdoctor check {meta['platform']}{target.cli_args()}",
        f"  envdoctor sim shell --root {shlex.quote(target.root)}    (log in to it as the student)",
    ]
    out("\n".join(lines) + "\n")
    return 0


def faults(platform: str, release: str | None) -> int:
    from envdoctor.recipe import catalog
    from envdoctor.targets.sim.faults import available

    found = available(catalog().get(platform, release))
    tty = sys.stdout.isatty()
    width = max((len(f.name) for f in found), default=0)
    for fault in found:
        # stdout stays machine-readable (one name a line); summaries only for a person at a terminal.
        out(f"{fault.name:<{width}}  {fault.summary}\n" if tty else f"{fault.name}\n")
    return 0


def shell(platform: str | None, root: str | None, command: str | None) -> int:
    """Replace envdoctor with the student's login shell on the node (or `bash -l -c COMMAND`)."""
    from envdoctor import proc
    from envdoctor.errors import UsageError
    from envdoctor.targets import default_sim_root, open_sim
    from envdoctor.targets.sim import shell as sim_shell

    if root is None and platform is None:
        raise UsageError("sim shell needs the node: `envdoctor sim shell PLATFORM` or `--root DIR`")
    if platform is not None:
        from envdoctor.recipe import catalog

        catalog().get(platform)  # an unknown platform: one line naming the known ones
    target = open_sim(root or default_sim_root(str(platform)))
    if platform is not None and target.meta.get("platform") != platform:
        raise UsageError(f"{target.root} simulates {target.meta.get('platform')}, not {platform}")
    planned = sim_shell.plan(target, command)
    if planned.note:
        err(planned.note)
    if command is None and sys.stdin.isatty():
        err(sim_shell.describe(target))
    sys.stdout.flush()
    sys.stderr.flush()
    return proc.replace(planned.argv, planned.env)
