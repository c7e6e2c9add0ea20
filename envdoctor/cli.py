"""The command line: typer declarations only; every command forwards to envdoctor.commands.*."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
import typer.core

# Plain help everywhere (rich_markup_mode=None), yet typer up to 0.20 (the last for Python 3.8)
# still escapes "[required]" / "[default: ...]" for rich ("\\[required]") whenever rich is
# installed. Told that rich is absent, typer prints them plainly (and skips importing rich).
for _flag in ("HAS_RICH", "rich"):
    if getattr(typer.core, _flag, None):
        setattr(typer.core, _flag, False if _flag == "HAS_RICH" else None)

# Plain click help (rich_markup_mode=None): rendering help through rich costs ~0.1 s.
# add_completion: typer's --install-completion / --show-completion (bash, zsh, fish); the shell
# is only detected when one of them is given, so --help costs the same (benchmarks/cli_startup.py).
app = typer.Typer(
    name="envdoctor", add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Set up and diagnose the software environments of the ALCF AI Testbed "
         "(Cerebras, SambaNova, Graphcore, Groq), on real or simulated nodes.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
sim_app = typer.Typer(help="Simulated nodes: a directory that stands in for a platform's node.",
                      no_args_is_help=True, rich_markup_mode=None)
recipe_app = typer.Typer(help="Recipes: the data that describes each platform.", no_args_is_help=True,
                         rich_markup_mode=None)
class_app = typer.Typer(help="For instructors: a whole class at once.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(sim_app, name="sim")
app.add_typer(recipe_app, name="recipe")
app.add_typer(class_app, name="class")

TARGET = typer.Option("real", "--target", help="real: this machine; sim: a simulated node.")
SIM_ROOT = typer.Option(None, "--sim-root", help="Directory of the simulated node (default: per platform).")
RELEASE = typer.Option(None, "--release", "-r", help="Recipe release (default: the current one).")
JSON = typer.Option(False, "--json", help="Print JSON for tools instead of text.")
PLATFORM = typer.Argument(..., metavar="PLATFORM",
                          help="A platform from `envdoctor platforms` (a recipe's platform: cerebras, groq, ...).")


def _version(value: bool) -> None:
    if value:
        from envdoctor import version_line

        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print envdoctor's version and the Python it runs on, and exit."),
) -> None:
    """Set up and diagnose the software environments of the ALCF AI Testbed
    (Cerebras, SambaNova, Graphcore, Groq), on real or simulated nodes."""


@app.command()
def platforms() -> int:
    """List platforms and releases, and say which applies to this host."""
    from envdoctor.commands.platforms import platforms as cmd

    return cmd()


@app.command()
def check(
    platform: str = PLATFORM,
    release: Optional[str] = RELEASE, target: str = TARGET, sim_root: Optional[str] = SIM_ROOT,
    json_out: bool = JSON,
    junit: Optional[Path] = typer.Option(None, "--junit", help="Also write a JUnit XML report to FILE."),
    offline: bool = typer.Option(False, "--offline", help="Skip network reachability checks."),
    only: List[str] = typer.Option([], "--only", help="Run only these check ids (or areas, like conda)."),
    skip: List[str] = typer.Option([], "--skip", help="Do not run these check ids (or areas)."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show evidence and timings for every check."),
    fix: bool = typer.Option(False, "--fix", help="Apply the setup steps that repair the failing checks."),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --fix: show the plan, change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --fix: do not ask before changing things."),
    deep: bool = typer.Option(False, "--deep", help="Also run the shortest reference run as a check."),
    in_job: bool = typer.Option(False, "--in-job", help="Also run the checks inside a short batch job and compare."),
    nodes: Optional[str] = typer.Option(None, "--nodes", help="With --in-job: 'all' runs node checks on every node."),
    share: Optional[Path] = typer.Option(None, "--share", help="Also write the JSON report to DIR/<user>/<platform>.json."),
) -> int:
    """Say what is wrong with this environment, why, and the exact commands that fix it."""
    from envdoctor.commands.check import CheckOptions, check as cmd

    return cmd(CheckOptions(platform, release, target, sim_root, json_out, junit, offline, tuple(only), tuple(skip),
                            verbose, fix, dry_run, yes, deep, in_job, nodes, share))


@app.command()
def setup(
    platform: str = PLATFORM, release: Optional[str] = RELEASE, target: str = TARGET,
    sim_root: Optional[str] = SIM_ROOT,
    plan: bool = typer.Option(False, "--plan", help="Show the commands and file diffs; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before changing things."),
    json_out: bool = JSON,
) -> int:
    """Build the environment the course documents, idempotently, showing every command and diff first."""
    from envdoctor.commands.setup import setup as cmd

    return cmd(platform, release, target, sim_root, plan, yes, json_out)


@app.command()
def run(
    platform: str = PLATFORM,
    example: Optional[str] = typer.Argument(None, help="Reference run (default: the platform's first)."),
    sets: List[str] = typer.Option([], "--set", help="KEY=VALUE for a tunable parameter; repeatable."),
    release: Optional[str] = RELEASE, target: str = TARGET, sim_root: Optional[str] = SIM_ROOT,
    no_check: bool = typer.Option(False, "--no-check", help="Do not check the environment first."),
    json_out: bool = JSON,
) -> int:
    """Launch a reference run, stream its output, and record its metrics."""
    from envdoctor.commands.run import run as cmd

    return cmd(platform, example, tuple(sets), release, target, sim_root, no_check, json_out)


@app.command()
def runs(
    action: str = typer.Argument("list", help="list, compare or export"),
    ids: List[str] = typer.Argument(None, help="Run ids (default: all, or the latest of each example)."),
    markdown: bool = typer.Option(False, "--markdown", help="A Markdown table (for a homework submission)."),
    csv: bool = typer.Option(False, "--csv", help="CSV."),
    json_out: bool = JSON,
    html: Optional[Path] = typer.Option(None, "--html", help="Write a page with charts to FILE."),
    platform: Optional[str] = typer.Option(None, "--platform", help="Only runs of this platform."),
    include_all: bool = typer.Option(False, "--all", help="Also cancelled runs and `check --deep` runs."),
) -> int:
    """Recorded runs: list them, compare them side by side (a section per example), export them."""
    from envdoctor.commands.runs import runs as cmd

    return cmd(action, tuple(ids or ()), markdown, csv, json_out, html, platform, include_all)


@app.command()
def explain(
    file: str = typer.Argument("-", help="Log file, or - for standard input."),
    platform: Optional[str] = typer.Option(None, "--platform", help="Only faults of this platform (and generic ones)."),
    json_out: bool = JSON,
) -> int:
    """Turn an error log into its cause and the fix."""
    from envdoctor.commands.explain import explain as cmd

    return cmd(file, platform, json_out)


@app.command()
def snapshot(
    platform_arg: Optional[str] = typer.Argument(None, metavar="[PLATFORM]", help="Platform (same as --platform)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to FILE instead of standard output."),
    platform: Optional[str] = typer.Option(None, "--platform", help="Platform whose recipe decides what to record."),
    release: Optional[str] = RELEASE, target: str = TARGET, sim_root: Optional[str] = SIM_ROOT,
    anonymize: bool = typer.Option(False, "--anonymize", help="Also mask user and host names."),
) -> int:
    """Record, redacted, what decides whether a hands-on works."""
    from envdoctor.commands.common import one_platform
    from envdoctor.commands.snapshot import snapshot as cmd

    return cmd(output, one_platform(platform_arg, platform), release, target, sim_root, anonymize)


@app.command()
def diff(
    a: Path = typer.Argument(..., help="The first snapshot (JSON from `envdoctor snapshot`), e.g. the one that works."),
    b: Path = typer.Argument(..., help="The second snapshot, e.g. the one that fails."),
    json_out: bool = JSON,
) -> int:
    """Compare two snapshots, most likely cause of "works for her, not for me" first."""
    from envdoctor.commands.snapshot import diff as cmd

    return cmd(a, b, json_out)


@app.command()
def bundle(
    logs: List[Path] = typer.Argument(None, help="Logs to include (a platform name first is taken as --platform)."),
    output: Path = typer.Option(Path("envdoctor-bundle.tar.gz"), "-o", "--output", help="The archive to write."),
    platform: Optional[str] = typer.Option(None, "--platform", help="Platform whose recipe decides what to record."),
    release: Optional[str] = RELEASE, target: str = TARGET, sim_root: Optional[str] = SIM_ROOT,
    anonymize: bool = typer.Option(False, "--anonymize", help="Also mask user and host names."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Write without asking."),
) -> int:
    """Pack a redacted snapshot, the check report and logs for a support ticket (`bundle [PLATFORM] [LOG...]`)."""
    from envdoctor.commands.common import platform_and_logs
    from envdoctor.commands.snapshot import bundle as cmd

    platform, files = platform_and_logs(tuple(logs or ()), platform)
    return cmd(output, files, platform, release, target, sim_root, anonymize, yes)


@sim_app.command("create")
def sim_create(
    platform: str = PLATFORM, release: Optional[str] = RELEASE,
    root: Optional[str] = typer.Option(None, "--root", help="Directory for the node (default: per platform)."),
    ready: bool = typer.Option(False, "--ready", help="Leave it set up as the course documents."),
    faults: List[str] = typer.Option([], "--fault", help="Inject a fault (see `sim faults`); repeatable."),
    force: bool = typer.Option(False, "--force", help="Replace an existing simulated node at ROOT."),
    user: Optional[str] = typer.Option(None, "--user", help="The account the node stands in for (default: you)."),
) -> int:
    """Build a simulated node for PLATFORM."""
    from envdoctor.commands.sim import create as cmd

    return cmd(platform, release, root, ready, tuple(faults), force, user)


@sim_app.command("faults")
def sim_faults(platform: str = PLATFORM, release: Optional[str] = RELEASE) -> int:
    """List the faults that can be injected into a simulated node, one name a line."""
    from envdoctor.commands.sim import faults as cmd

    return cmd(platform, release)


@sim_app.command("shell")
def sim_shell(
    platform: Optional[str] = typer.Argument(None, help="Platform of the node (its default root), or use --root."),
    root: Optional[str] = typer.Option(None, "--root", help="Directory of the simulated node."),
    command: Optional[str] = typer.Option(None, "-c", "--command", help="Run COMMAND as `bash -l -c` would, then exit."),
) -> int:
    """Open the student's login shell on a simulated node, where ALCF paths and upstream URLs work."""
    from envdoctor.commands.sim import shell as cmd

    return cmd(platform, root, command)


@recipe_app.command("validate")
def recipe_validate(files: List[Path] = typer.Argument(..., help="Recipe files.")) -> int:
    """Validate recipe files; every problem names file, line and key."""
    from envdoctor.commands.recipes import validate as cmd

    return cmd(tuple(files))


@class_app.command("report")
def class_report(
    inputs: List[Path] = typer.Argument(..., help="A --share directory, or report files."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write the class page to FILE."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write one row per student and platform to FILE."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="CSV of expected students."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write one JUnit file per student into DIR."),
) -> int:
    """One page for a class: who will fail, on which system, and why."""
    from envdoctor.commands.klass import report as cmd

    return cmd(tuple(inputs), html, csv, roster, junit)


@class_app.command("accounts")
def class_accounts(
    roster: Path = typer.Argument(..., help="CSV of the class: a `user` column (optional name, email, platforms)."),
    platform: str = typer.Option(..., "--platform", help="The platform the session uses."),
    release: Optional[str] = RELEASE,
    group: Optional[str] = typer.Option(None, "--group", help="The course's project group."),
    partition: Optional[str] = typer.Option(None, "--partition", help="Slurm partition or reservation to submit to."),
    json_out: bool = JSON,
) -> int:
    """Check students' accounts before the session, without the students."""
    from envdoctor.commands.klass import accounts as cmd

    return cmd(roster, platform, release, group, partition, json_out)


def app_for(args: list[str]) -> typer.Typer:
    """The app as this command line needs it: typer turns every command it holds into a click
    command on each start (about 20 ms for all of them, a tenth of `check`'s own start), and
    a command line runs one. So `envdoctor check ...` gets an app holding `check` alone (and
    the callback, whose --version and usage lines stay the same); anything else (no command,
    an option first, a name that is no command, shell completion) gets the whole app."""
    import copy
    import os

    name = args[0] if args else ""
    if "_ENVDOCTOR_COMPLETE" in os.environ or not name or name.startswith("-"):
        return app
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def _command_name(info: typer.models.CommandInfo) -> str:
    return info.name or (typer.main.get_command_name(info.callback.__name__) if info.callback else "")
