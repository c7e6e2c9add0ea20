"""`class accounts`: will each student's account work on the day, checked without the students.

Per user: the account exists (pwd), is in the course's project group (grp + getgrouplist),
has a home directory the platform can traverse (Cerebras once required `chmod a+x ~`: its
services read files in the home as another user), has quota left, and on Slurm systems can
submit to the course's partition or reservation (the scheduler layer's test-only submission,
`sbatch --test-only --uid=USER`, which asks the controller without running anything). Each answer is a `CheckResult` with the
exact command that repairs it.
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
from dataclasses import dataclass, field
from typing import Any

from envdoctor import proc
from envdoctor.classroom.roster import Roster, RosterRow
from envdoctor.recipe import DEFAULT_CLASSROOM, Classroom, Recipe, catalog
from envdoctor.reports import Style, mark
from envdoctor.reports.json_report import stamp
from envdoctor.results import CheckResult, Status
from envdoctor.schedulers import SCHEDULERS, Site

SUBMIT_TIMEOUT = 15.0
QUOTA_TIMEOUT = 5.0


@dataclass
class AccountResult:
    user: str
    line: int
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status in (Status.FAIL, Status.ERROR) for c in self.checks)

    @property
    def status(self) -> str:
        for s in (Status.FAIL, Status.ERROR, Status.WARN):
            if any(c.status == s for c in self.checks):
                return s.value
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "roster_line": self.line, "status": self.status,
                "checks": [c.to_dict() for c in self.checks]}


def classroom(recipe: Recipe) -> Classroom:
    """The recipe's `classroom:` data; a release without one shares its platform's default
    release's (the home a platform needs does not change with the release)."""
    if recipe.classroom != DEFAULT_CLASSROOM:
        return recipe.classroom
    return catalog().classroom(recipe.platform)


def home_access(recipe: Recipe) -> str:
    """What the platform needs of a home directory, as chmod says it (`classroom.home_access`;
    the older `extra: {home_access: ...}` still wins)."""
    return str(recipe.extra.get("home_access") or classroom(recipe).home_access)


def check_accounts(roster: Roster, recipe: Recipe, *, group: str | None = None, partition: str | None = None,
                   env: dict[str, str] | None = None) -> list[AccountResult]:
    partition = partition or (recipe.scheduler.partition if recipe.scheduler.kind == "slurm" else "") or None
    results = []
    for row in roster.rows:
        results.append(check_one(row, recipe, group=group, partition=partition, env=env))
    return results


def check_one(row: RosterRow, recipe: Recipe, *, group: str | None, partition: str | None,
              env: dict[str, str] | None = None) -> AccountResult:
    res = AccountResult(row.user, row.line)
    user = row.user
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        res.checks.append(CheckResult(
            "account.exists", "host", "Account exists", Status.FAIL,
            why=f"there is no account {user!r} on this system",
            fix="check the spelling on the roster; if it is right, the student has not finished the account "
                "request (or it is not approved yet)",
            commands=(f"getent passwd {user}",)))
        return res
    res.checks.append(CheckResult("account.exists", "host", "Account exists", Status.OK,
                                  evidence=(f"uid {pw.pw_uid}, home {pw.pw_dir}, shell {pw.pw_shell}",)))
    if group:
        res.checks.append(_group(pw, group))
    res.checks.append(_home(pw, recipe))
    res.checks.append(_quota(pw, recipe))
    if recipe.scheduler.kind == "slurm" or partition:
        res.checks.append(_slurm(pw, partition, env))
    return res


def _group(pw: pwd.struct_passwd, group: str) -> CheckResult:
    title = f"In the project group {group}"
    try:
        gr = grp.getgrnam(group)
    except KeyError:
        return CheckResult("account.group", "host", title, Status.FAIL,
                           why=f"the group {group!r} does not exist on this system",
                           fix="check --group: it is the course's project (allocation) group",
                           commands=(f"getent group {group}",))
    groups = os.getgrouplist(pw.pw_name, pw.pw_gid)
    if gr.gr_gid in groups:
        return CheckResult("account.group", "host", title, Status.OK, evidence=(f"{group} (gid {gr.gr_gid})",))
    names = sorted({_group_name(g) for g in groups})
    return CheckResult("account.group", "host", title, Status.FAIL,
                       why=f"{pw.pw_name} is not a member of {group}, so the course's project directory and "
                           f"allocation are out of reach",
                       fix=f"add {pw.pw_name} to the project {group} (on ALCF systems: the PI approves the project "
                           f"membership request); locally:",
                       commands=(f"usermod -aG {group} {pw.pw_name}",),
                       evidence=(f"{pw.pw_name}'s groups: {', '.join(names)}",))


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


_WHO_BITS = {"u": stat.S_IXUSR, "g": stat.S_IXGRP, "o": stat.S_IXOTH}


def _needed_bits(spec: str) -> dict[str, int]:
    """`a+x` -> {u, g, o}; `o+x` -> {o}; anything else -> {u}."""
    who = spec.split("+", 1)[0] or "a"
    if "a" in who:
        who = "ugo"
    return {w: _WHO_BITS[w] for w in who if w in _WHO_BITS} or {"u": stat.S_IXUSR}


def _home(pw: pwd.struct_passwd, recipe: Recipe) -> CheckResult:
    home, user = pw.pw_dir, pw.pw_name
    spec = home_access(recipe)
    title = f"Home directory is traversable ({spec})"
    try:
        st = os.stat(home)
    except FileNotFoundError:
        return CheckResult("account.home", "disk", title, Status.FAIL,
                           why=f"the home directory {home} does not exist",
                           fix="create it owned by the user (first login usually does this)",
                           commands=(f"mkhomedir_helper {user}", f"# or: install -d -o {user} -g {pw.pw_gid} -m 0750 {home}"))
    except OSError as exc:
        return CheckResult("account.home", "disk", title, Status.ERROR, why=f"cannot stat {home}: {exc.strerror}",
                           fix="check the home file system is mounted here")
    if not stat.S_ISDIR(st.st_mode):
        return CheckResult("account.home", "disk", title, Status.FAIL, why=f"{home} is not a directory",
                           fix="ask support to repair the account's home directory")
    mode = stat.S_IMODE(st.st_mode)
    evidence = [f"{home} mode {mode:04o} owner uid {st.st_uid}"]
    if st.st_uid != pw.pw_uid:
        return CheckResult("account.home", "disk", title, Status.FAIL,
                           why=f"{home} belongs to uid {st.st_uid}, not to {user}",
                           fix="give the home directory back to its user",
                           commands=(f"chown {user}: {home}",), evidence=tuple(evidence))
    needed = _needed_bits(spec)
    lacking = "".join(w for w, bit in needed.items() if not mode & bit)
    if lacking:
        why = f"{home} is mode {mode:04o}: it lacks the x bit for {'/'.join(_WHO[w] for w in lacking)}"
        reason = classroom(recipe).home_access_why
        if reason:
            why += f", and {reason[:1].lower()}{reason[1:]}"
        return CheckResult("account.home", "disk", title, Status.FAIL, why=why,
                           fix="let the platform traverse the home directory (x only, it does not list it)",
                           commands=(f"chmod {spec} {home}",), evidence=tuple(evidence))
    # Every directory above the home needs the same x bits for the others.
    if "o" in needed:
        parent = os.path.dirname(home.rstrip("/"))
        while parent and parent != "/":
            try:
                pmode = stat.S_IMODE(os.stat(parent).st_mode)
            except OSError:
                break
            if not pmode & stat.S_IXOTH:
                return CheckResult("account.home", "disk", title, Status.FAIL,
                                   why=f"{parent}, above the home directory, is mode {pmode:04o} (no x for others)",
                                   fix="ask the system administrators to let others traverse it",
                                   commands=(f"chmod o+x {parent}",), evidence=tuple(evidence))
            parent = os.path.dirname(parent)
    return CheckResult("account.home", "disk", title, Status.OK, evidence=tuple(evidence))


_WHO = {"u": "its owner", "g": "the group", "o": "others"}


def _quota(pw: pwd.struct_passwd, recipe: Recipe) -> CheckResult:
    title = "Disk space and quota left"
    home, user = pw.pw_dir, pw.pw_name
    need_gb = recipe.disk_gb or 1.0
    evidence: list[str] = []
    try:
        du = shutil.disk_usage(home)
    except OSError as exc:
        return CheckResult("account.quota", "disk", title, Status.SKIP, why=f"cannot read {home}: {exc.strerror}")
    free_gb = du.free / 1e9
    evidence.append(f"{home}: {free_gb:.1f} GB free of {du.total / 1e9:.1f} GB on its file system")
    if free_gb < need_gb:
        return CheckResult("account.quota", "disk", title, Status.FAIL,
                           why=f"the file system of {home} has {free_gb:.1f} GB free; the hands-on needs {need_gb:g} GB",
                           fix="free space or move the course's environments to the project directory",
                           commands=(f"du -sh {home}/* | sort -h | tail",), evidence=tuple(evidence))
    if proc.which("quota"):
        r = proc.run(["quota", "-u", "-w", user], timeout=QUOTA_TIMEOUT)
        text = (r.stdout + r.stderr).strip()
        if r.timed_out:
            evidence.append("`quota` did not answer in time (network file system?)")
        elif text:
            evidence.extend(text.splitlines()[-3:])
            over = [ln for ln in text.splitlines()[2:] if "*" in ln]
            if over:
                return CheckResult("account.quota", "disk", title, Status.FAIL,
                                   why=f"{user} is over quota: {over[0].strip()}",
                                   fix="remove files (old environments, caches) or ask for more quota",
                                   commands=(f"quota -s -u {user}", "rm -rf ~/.cache/pip"), evidence=tuple(evidence))
    return CheckResult("account.quota", "disk", title, Status.OK, evidence=tuple(evidence))


def _slurm(pw: pwd.struct_passwd, partition: str | None, env: dict[str, str] | None) -> CheckResult:
    where = f"reservation {partition.split('=', 1)[1]}" if partition and partition.startswith("reservation=") \
        else f"partition {partition}" if partition else "the default partition"
    title = f"Can submit to {where}"
    site = Site(None, env)
    if not site.find("slurm", "sbatch"):
        return CheckResult("account.slurm", "scheduler", title, Status.SKIP,
                           why="no Slurm client (sbatch) on this host; run on a node of the system")
    if os.geteuid() != 0:
        return CheckResult("account.slurm", "scheduler", title, Status.SKIP,
                           why="asking Slurm on another user's behalf (--uid) needs root",
                           commands=(f"sacctmgr show assoc user={pw.pw_name} format=account,partition,qos",))
    answer = SCHEDULERS["slurm"].test_submit(site, user=pw.pw_name, gid=pw.pw_gid, partition=partition or "",
                                             timeout=SUBMIT_TIMEOUT)
    r = answer.completed
    assert r is not None  # sbatch --test-only always runs
    text = (r.stderr.strip() or r.stdout.strip()).splitlines()
    last = answer.message
    evidence = (f"$ {r.command}", *text[-3:])
    if answer.ok:
        return CheckResult("account.slurm", "scheduler", title, Status.OK, evidence=evidence)
    if answer.timed_out:
        return CheckResult("account.slurm", "scheduler", title, Status.ERROR,
                           why=f"sbatch --test-only did not answer in {SUBMIT_TIMEOUT:g} s (is slurmctld up?)",
                           fix="run `scontrol ping`; retry when the controller answers", evidence=evidence)
    low = last.lower()
    cmds: tuple[str, ...]
    if "invalid partition" in low:
        fix, cmds = f"check --partition: {partition!r} is not a partition of this cluster", ("sinfo -s",)
    elif "reservation" in low:
        fix, cmds = f"add {pw.pw_name} to the reservation", (f"scontrol update reservation={(partition or '').split('=', 1)[-1]} users+={pw.pw_name}",)
    elif "account" in low or "association" in low:
        fix, cmds = f"give {pw.pw_name} an association with the course's account", (
            f"sacctmgr -i add user {pw.pw_name} account=COURSE_ACCOUNT",)
    elif "group" in low or "not permitted" in low or "access" in low:
        fix, cmds = f"{pw.pw_name} is not allowed on {where}: add them to the partition's allowed group", (
            f"scontrol show partition {partition or ''}".strip(),)
    elif "invalid user" in low or "uid" in low:
        fix, cmds = f"the Slurm controller does not know {pw.pw_name}: the account has not reached it yet", (
            "scontrol show config | grep -i user", f"id {pw.pw_name}")
    else:
        fix, cmds = "ask the system administrators why the submission is refused", ()
    return CheckResult("account.slurm", "scheduler", title, Status.FAIL,
                       why=f"Slurm refuses a job from {pw.pw_name} on {where}: {last or r.describe()}",
                       fix=fix, commands=cmds, evidence=evidence)


# --- output -----------------------------------------------------------------

def render_table(results: list[AccountResult], roster: Roster, style: Style) -> str:
    lines: list[str] = []
    for p in roster.problems:
        lines.append(style.paint(p.text(), "33"))
    width = max([len(r.user) for r in results] + [4])
    for r in results:
        lines.append(f"{mark(r.status if r.status != 'ok' else 'ok', style)} {style.bold(r.user.ljust(width))}  "
                     + "  ".join(f"{c.id.split('.', 1)[1]}:{c.status.value}" for c in r.checks))
        for c in r.checks:
            if c.status.is_problem:
                lines.append(f"      {c.id}: {c.why}")
                lines.append(f"      fix: {c.fix}")
                lines.extend("        " + style.paint(f"$ {cmd}" if not cmd.startswith("#") else cmd, "36")
                             for cmd in c.commands)
            elif c.status == Status.SKIP and c.why:
                lines.append(style.dim(f"      {c.id} skipped: {c.why}"))
    bad = sum(1 for r in results if r.failed)
    lines.append("")
    n, problems = len(results), len(roster.problems)
    lines.append(f"{n} {'account' if n == 1 else 'accounts'} checked: {n - bad} ready, {bad} not ready"
                 + (f"; {problems} roster {'problem' if problems == 1 else 'problems'}" if problems else ""))
    return "\n".join(lines) + "\n"


def render_json(results: list[AccountResult], roster: Roster, recipe: Recipe, group: str | None,
                partition: str | None) -> str:
    return json.dumps(stamp({
        "schema": "envdoctor/class-accounts@1", "platform": recipe.platform, "release": recipe.release,
        "group": group, "partition": partition, "home_access": home_access(recipe),
        "accounts": [r.to_dict() for r in results],
        "roster_problems": [{"line": p.line, "user": p.user, "problem": p.problem} for p in roster.problems],
    }), indent=2, ensure_ascii=False) + "\n"
