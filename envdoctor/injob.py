"""`check --in-job`: the same checks, inside a short batch job, compared with the login shell.

"Works when I type it, fails in my job": a PBS job starts a non-interactive login shell, so
whatever ~/.bashrc sets after its interactive guard (very often the conda initialize block)
is missing; a Slurm job inherits exported variables but not shell functions or aliases
(`conda activate` then fails with "Run 'conda init' before 'conda activate'"). So this module

1. takes the facts of an interactive login shell from a probe by the `shells` collector
   (PATH, HOME, conda, modules, proxy, Python, the recipe's variables, whether the course's
   activate command works): a `ShellMode`;
2. submits one short job (or one per node with `--nodes all`) through the platform's
   scheduler (`sbatch` / `qsub`; on a simulated node its scheduler commands) that runs the
   collector's own capture (`shells.context_script`) and
   `envdoctor check P --json --only <node-level checks>` there; the capture's output is read
   by the collector's parser (`shells.job_facts`) into a `ShellMode` too;
3. polls until the job is done (bounded), and turns every difference between the two
   `ShellMode`s into a result:
   `injob.submit`, `injob.env.<aspect>`, and `injob.<check-id>` for checks that only fail
   inside the job. With several nodes the results are aggregated per id.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envdoctor import proc, schedulers
from envdoctor.collectors.shells import ShellFacts, ShellMode, context_script, job_facts
from envdoctor.diagnose import redact_result
from envdoctor.probe import MissingFacts, ProbeContext, collect
from envdoctor.recipe import Recipe
from envdoctor.results import CATEGORIES, CheckResult, Report, Status
from envdoctor.targets import Target

if TYPE_CHECKING:
    from envdoctor.diagnose import CheckOptions
    from envdoctor.probe import Probe

NODE_CATEGORIES = ("host", "shell", "conda", "python", "venv", "packages", "sdk", "hardware", "disk")
POLL = 0.25
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")


def job_timeout() -> float:
    try:
        return float(os.environ.get("ENVDOCTOR_INJOB_TIMEOUT", "300"))
    except ValueError:
        return 300.0


# --- facts of a shell ------------------------------------------------------------------

def login_facts(recipe: Recipe, target: Target, probe: Probe | None = None) -> tuple[ShellMode | None, str]:
    """The interactive login shell's facts, from the `shells` collector of `probe` (the
    check's own) or of a probe of its own (what the student has when they type it), or None
    and why they could not be read."""
    if probe is None or "shells" not in probe.facts:  # `check --only disk. --in-job` collected no shells
        probe = collect(ProbeContext(target, recipe, offline=True, details=True), only=("shells",))
    try:
        login = probe.of(ShellFacts).modes.get("login")
    except MissingFacts as exc:
        return None, str(exc)
    if login is None or not login.reached:
        tail = login.stderr_tail if login else ""
        return None, tail or ("it did not finish starting" if login and login.timed_out else "it did not start")
    return login, ""


def typed_env(target: Target) -> dict[str, str]:
    """The environment a job is submitted from: the student's shell. Real target: envdoctor's
    own (it was started from that shell); simulated node: its interactive login shell's."""
    return target.typed_env()


# --- the scheduler ---------------------------------------------------------------------

@dataclass
class Job:
    node: str  # "" for "wherever the scheduler puts it"
    workdir: Path
    id: str = ""
    submit: proc.Completed | None = None
    state: str = "pending"  # pending, done, gone, timeout, refused
    seconds: float = 0.0
    facts: ShellMode | None = None  # what the job's shell saw (shells.job_facts)
    checks: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""


class Scheduler:
    """The platform's scheduler (`envdoctor.schedulers`), bound to the student's environment,
    with the submission `check --in-job` makes: one short job, its output in its workdir."""

    def __init__(self, kind: str, target: Target, env: dict[str, str]) -> None:
        self.kind, self.target, self.env = kind, target, env
        self.impl = schedulers.get(kind)
        self.site = schedulers.Site(target, env)

    def partitions(self) -> list[str]:
        return self.impl.partitions(self.site)

    def nodes(self, partition: str) -> list[str]:
        return self.impl.nodes(self.site, partition)

    def submit_args(self, job: Job, script: Path, partition: str) -> list[str]:
        spec = schedulers.JobSpec("envdoctor-injob", 10, str(job.workdir / "job.out"), str(job.workdir / "job.err"),
                                  str(job.workdir), partition, job.node)
        return [*self.impl.job_args(spec), str(script)]

    def submit(self, job: Job, script: Path, partition: str) -> None:
        sub = self.impl.submit(self.site, self.submit_args(job, script, partition), cwd=str(job.workdir))
        job.submit, job.id = sub.completed, sub.job_id
        if not sub.ok:
            job.state, job.problem = "refused", sub.problem

    def queued(self, job: Job) -> bool:
        """Is the job still pending or running? (Unknown counts as gone: the done file and
        the grace period in `run_jobs` decide.)"""
        return self.impl.state(self.site, job.id).active is True

    def reason(self, job: Job) -> str:
        return self.impl.reason(self.site, job.id)

    def cancel(self, job: Job) -> None:
        self.impl.cancel(self.site, job.id)


# --- the job ---------------------------------------------------------------------------

def node_level_ids(report: Report) -> list[str]:
    return [r.id for r in report.results if r.category in NODE_CATEGORIES and not r.id.startswith("injob.")]


def job_script(recipe: Recipe, target: Target, opts: CheckOptions, job: Job, ids: list[str]) -> str:
    workdir = shlex.quote(str(job.workdir))
    lines = ["#!/bin/bash", "# envdoctor check --in-job: this job's environment, then the node-level checks here.",
             f"cd {workdir} || exit 1", "{", context_script(recipe, target).rstrip("\n"),
             f"}} > {workdir}/facts.txt 2> {workdir}/facts.err"]
    if ids:
        pkg_parent = shlex.quote(str(Path(__file__).resolve().parent.parent))
        argv = [sys.executable, "-m", "envdoctor", "check", recipe.platform, "--json", "--offline",
                "--release", recipe.release, *target.cli_argv()]
        for i in ids:
            argv += ["--only", i]
        lines.append(f"PYTHONPATH={pkg_parent}${{PYTHONPATH:+:$PYTHONPATH}} {shlex.join(argv)} "
                     f"> {workdir}/check.json 2> {workdir}/check.err; echo $? > {workdir}/check.rc")
    lines.append(f"hostname > {workdir}/node 2>/dev/null; : > {workdir}/done")
    return "\n".join(lines) + "\n"


def _workroot(target: Target) -> Path:
    # In the home: it is the file system that login and compute nodes share.
    base = Path(target.home) / ".cache" / "envdoctor" / "in-job"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=base))


def run_jobs(sched: Scheduler, jobs: list[Job], script_for: Any, partition: str, timeout: float) -> None:
    for job in jobs:
        script = job.workdir / "envdoctor-injob.sh"
        script.write_text(script_for(job), encoding="utf-8")
        script.chmod(0o755)
        sched.submit(job, script, partition)
    started = time.monotonic()
    deadline = started + timeout
    gone_since: dict[int, float] = {}
    last_queue_check = 0.0
    while True:
        waiting = [j for j in jobs if j.state == "pending"]
        if not waiting:
            break
        now = time.monotonic()
        for j in waiting:
            if (j.workdir / "done").exists():
                j.state, j.seconds = "done", now - started
        check_queue = now - last_queue_check >= 1.0
        if check_queue:
            last_queue_check = now
        for j in [j for j in jobs if j.state == "pending"]:
            if check_queue and not sched.queued(j):
                gone_since.setdefault(id(j), now)
            if id(j) in gone_since and now - gone_since[id(j)] > 3.0:
                j.state, j.seconds = "gone", now - started
                j.problem = _tail(j.workdir / "job.err") or _tail(j.workdir / "job.out") or "the job ended without output"
            elif now > deadline:
                j.state, j.problem = "timeout", sched.reason(j)
                sched.cancel(j)
        time.sleep(POLL)


def read_job(job: Job, recipe: Recipe, target: Target) -> None:
    """A finished job's outputs: its shell's facts (the collector's parser) and its checks."""
    job.facts = job_facts(recipe, target, _read(job.workdir / "facts.txt"), _read(job.workdir / "facts.err"),
                          str(job.workdir))
    job.checks = _job_checks(job)


def _job_checks(job: Job) -> list[dict[str, Any]]:
    text = _read(job.workdir / "check.json")
    if not text:
        if (job.workdir / "check.rc").exists():
            job.problem = _tail(job.workdir / "check.err") or "envdoctor printed nothing inside the job"
        return []
    try:
        data = json.loads(text)
        return [c for c in data.get("checks", []) if isinstance(c, dict)]
    except ValueError:
        job.problem = "envdoctor's JSON inside the job was unreadable: " + (_tail(job.workdir / "check.err") or text[:200])
        return []


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _tail(path: Path, n: int = 3) -> str:
    return " | ".join(_read(path).strip().splitlines()[-n:])


# --- comparing ------------------------------------------------------------------------

def _r(id: str, category: str, title: str, status: Status, why: str = "", fix: str = "",
       commands: tuple[str, ...] = (), evidence: tuple[str, ...] = ()) -> CheckResult:
    return CheckResult(id, category, title, status, why, fix, commands, evidence)


@dataclass(frozen=True)
class _Compared:
    """What every comparison of the job's environment with the prompt's needs."""

    login: ShellMode
    jf: ShellMode  # the job's
    job: Job
    recipe: Recipe
    target: Target
    report: Report

    @property
    def where(self) -> str:
        return f"in a batch job{' on ' + self.job.node if self.job.node else ''}"


def compare(login: ShellMode, job: Job, recipe: Recipe, target: Target, report: Report) -> list[CheckResult]:
    """The job's shell against the login shell, one aspect at a time (both `ShellMode`s)."""
    assert job.facts is not None
    c = _Compared(login, job.facts, job, recipe, target, report)
    return [r for aspect in _ASPECTS for r in aspect(c)]


def _home(c: _Compared) -> list[CheckResult]:
    """HOME."""
    jh, lh, where = c.jf.env.get("HOME"), c.login.env.get("HOME"), c.where
    out: list[CheckResult] = []
    if jh != lh:
        out.append(_r("injob.env.home", "shell", "Same HOME in a job", Status.FAIL,
                      f"HOME is {jh or '(unset)'} {where}, {lh} at your prompt",
                      "do not set HOME in the job script; submit from your own account",
                      evidence=(f"job HOME={jh}", f"login HOME={lh}")))
    else:
        out.append(_r("injob.env.home", "shell", "Same HOME in a job", Status.OK))
    return out


def _path(c: _Compared) -> list[CheckResult]:
    """PATH (entries as the course writes them: `~/tools/bin`, `/opt/...`)."""
    where = c.where
    out: list[CheckResult] = []
    jpath = [e.entry for e in c.jf.path]
    missing = [p for p in dict.fromkeys(e.entry for e in c.login.path) if p and p not in jpath]
    if missing:
        out.append(_r("injob.env.path", "shell", "PATH in a job has what the prompt has", Status.WARN,
                      f"{len(missing)} PATH entr{'y is' if len(missing) == 1 else 'ies are'} missing {where}: "
                      f"{', '.join(missing)} (set after the interactive guard of ~/.bashrc, or only in this shell)",
                      "set PATH where batch shells read it: in ~/.bash_profile, above the `[[ $- != *i* ]] && return` "
                      "line of ~/.bashrc, or at the top of the job script",
                      (f"export PATH={':'.join(missing)}:$PATH",),
                      (f"job PATH={':'.join(jpath)}",)))
    else:
        out.append(_r("injob.env.path", "shell", "PATH in a job has what the prompt has", Status.OK))
    return out


def _conda(c: _Compared) -> list[CheckResult]:
    """Conda."""
    J, L, where, env = c.jf, c.login, c.where, c.recipe.environment
    out: list[CheckResult] = []
    if L.conda_type or env.kind == "conda":
        prefix = env.conda.prefix if env.conda else "~/miniconda3"
        hook = f'eval "$({prefix}/bin/conda shell.bash hook)"'
        jt, lt = J.conda_type, L.conda_type
        activation = f"`{env.activate}` {'works' if J.activate == 'ok' else 'fails'} {where}" if env.activate else ""
        if lt == "function" and jt != "function":
            state = "not found" if not jt else "on PATH but not initialised (conda activate fails: " \
                                                 "\"Run 'conda init' before 'conda activate'\")"
            # A warning, as `conda.shell-init` says of the same fault at the prompt: the runs envdoctor
            # launches carry the hook in their job script; the user's own scripts need it too.
            out.append(_r("injob.env.conda", "conda", "conda works in a job", Status.WARN,
                          f"conda is {state} {where}, while your prompt has it: the conda initialize block of "
                          f"~/.bashrc is not run by batch shells (it sits after the interactive guard, or the job "
                          f"does not read ~/.bashrc)",
                          "initialise conda in the job script itself (first lines), or move the conda initialize "
                          "block above the interactive guard in ~/.bashrc",
                          (hook, *((env.activate,) if env.activate and env.kind == "conda" else ())),
                          tuple(e for e in (f"job: type -t conda = {jt or '(none)'}", f"login: type -t conda = {lt}",
                                            activation) if e)))
        elif env.kind == "conda" and env.activate and L.activate == "ok" and J.activate != "ok":
            out.append(_r("injob.env.conda", "conda", "conda works in a job", Status.FAIL,
                          f"`{env.activate}` works at your prompt but fails {where}",
                          "activate the environment in the job script, after initialising conda", (hook, env.activate)))
        else:
            out.append(_r("injob.env.conda", "conda", "conda works in a job", Status.OK,
                          evidence=(f"type -t conda: {jt or '(none)'} in the job, {lt or '(none)'} at the prompt",)))
    return out


def _activate(c: _Compared) -> list[CheckResult]:
    """The course's environment activates (venv / system platforms; conda is above)."""
    J, L, where, env = c.jf, c.login, c.where, c.recipe.environment
    out: list[CheckResult] = []
    if env.activate and env.kind != "conda" and L.activate:
        cat = "venv" if env.kind == "venv" else "python"
        if L.activate == "ok" and J.activate != "ok":
            out.append(_r("injob.env.activate", cat, "The course's environment activates in a job", Status.FAIL,
                          f"`{env.activate}` works at your prompt but fails {where}",
                          "make the environment reachable from the compute node (path, file system), and activate it "
                          "in the job script", (env.activate,)))
        else:
            out.append(_r("injob.env.activate", cat, "The course's environment activates in a job", Status.OK))
    return out


_PYTHONS = (("activated_python", "python of the activated environment"), ("python_version", "`python`"),
            ("python3_version", "`python3`"))


def _python(c: _Compared) -> list[CheckResult]:
    """Python."""
    J, L, where, u, env = c.jf, c.login, c.where, c.target.unmap, c.recipe.environment
    out: list[CheckResult] = []
    diffs = [(key, label) for key, label in _PYTHONS if getattr(L, key) != getattr(J, key)]
    if diffs:
        first_key, first = diffs[0]
        alias = L.python_type == "alias"
        severe = first_key == "activated_python" or (first_key == "python_version" and alias)
        detail = "; ".join(f"{label}: {getattr(L, k) or 'none'} at the prompt, {getattr(J, k) or 'none'} {where}"
                           for k, label in diffs)
        note = " (`python` is an alias at your prompt; aliases do not exist in jobs)" if alias else ""
        out.append(_r("injob.env.python", "python", "Same Python in a job", Status.FAIL if severe else Status.WARN,
                      f"the job gets another Python: {detail}{note}",
                      "call the course's interpreter by its full path, or activate the environment, in the job script",
                      tuple(c for c in (env.activate, f"{env.interpreter or 'python3'} --version") if c),
                      (f"login: python={u(L.which.get('python', ''))} python3={u(L.which.get('python3', ''))}",
                       f"job: python={u(J.which.get('python', ''))} python3={u(J.which.get('python3', ''))}")))
    else:
        out.append(_r("injob.env.python", "python", "Same Python in a job", Status.OK,
                      evidence=(f"python3 {J.python3_version or 'none'}",)))
    return out


def _loaded(mode: ShellMode) -> set[str]:
    return set(filter(None, mode.env.get("LOADEDMODULES", "").split(":")))


def _modules(c: _Compared) -> list[CheckResult]:
    """Modules."""
    J, L, where = c.jf, c.login, c.where
    out: list[CheckResult] = []
    gone = sorted(_loaded(L) - _loaded(J))
    if (L.module_type and not J.module_type) or gone:
        out.append(_r("injob.env.modules", "shell", "Same modules in a job", Status.WARN,
                      (f"modules loaded at your prompt are not loaded {where}: {', '.join(gone)}" if gone else
                       f"the `module` command is not defined {where}"),
                      "load the modules in the job script (after sourcing the modules init file)",
                      ("source /etc/profile.d/modules.sh", *(f"module load {m}" for m in gone))))
    else:
        out.append(_r("injob.env.modules", "shell", "Same modules in a job", Status.OK))
    return out


def _variables(c: _Compared) -> list[CheckResult]:
    """Proxy and the recipe's variables (exported ones: what the job's programs get)."""
    J, L, where, recipe = c.jf.env, c.login.env, c.where, c.recipe
    out: list[CheckResult] = []
    for rid, title, names, cat in (
        ("injob.env.proxy", "Proxy settings in a job", PROXY_VARS, "network"),
        ("injob.env.variables", "The course's variables in a job",
         tuple(n for v in recipe.variables for n in v.names() if n not in PROXY_VARS), "config"),
    ):
        if not names:
            continue
        lost = [n for n in names if n in L and n not in J]
        changed = [n for n in names if n in L and n in J and L[n] != J[n]]
        if lost or changed:
            needed = bool(recipe.proxy) if rid == "injob.env.proxy" else True
            status = Status.FAIL if lost and needed else Status.WARN
            cmds = tuple(f"export {n}={shlex.quote(L[n])}" for n in lost)
            out.append(_r(rid, cat, title, status,
                          (f"{', '.join(lost)} {'is' if len(lost) == 1 else 'are'} set at your prompt but not {where}"
                           if lost else f"{', '.join(changed)} differ {where}"),
                          "set them where batch shells read them (~/.bash_profile, or above the interactive guard "
                          "of ~/.bashrc), or export them in the job script", cmds))
        else:
            out.append(_r(rid, cat, title, Status.OK))
    return out


def _checks_in_job(c: _Compared) -> list[CheckResult]:
    """The checks themselves, run inside the job."""
    where, job, report = c.where, c.job, c.report
    out: list[CheckResult] = []
    before = {r.id: r for r in report.results}
    for got in job.checks:
        cid, status = str(got.get("id", "")), got.get("status")
        if status not in ("warn", "fail", "error") or not cid:
            continue
        prev = before.get(cid)
        if prev is not None and prev.status.value == status:
            continue  # fails at the prompt too: the plain check already says so
        cat = str(got.get("category", "host"))
        out.append(_r(f"injob.{cid}", cat if cat in _categories() else "host", f"In a job: {got.get('title', cid)}",
                      Status(status), f"{where}: {got.get('why') or 'the check fails'}",
                      str(got.get("fix") or "see the same check at the prompt"),
                      tuple(str(x) for x in got.get("commands") or ()),
                      tuple(str(x) for x in (got.get("evidence") or ())[:6])))
    if job.problem and job.state == "done":
        out.append(_r("injob.checks", "scheduler", "envdoctor ran inside the job", Status.ERROR,
                      f"the checks could not run {where}: {job.problem}",
                      "make envdoctor's Python reachable from the compute nodes (shared file system)"))
    return out


_ASPECTS = (_home, _path, _conda, _activate, _python, _modules, _variables, _checks_in_job)


def _categories() -> tuple[str, ...]:
    return CATEGORIES


def submit_result(job: Job, sched: Scheduler, recipe: Recipe, partition_note: str) -> CheckResult:
    title = f"A short job runs through {sched.impl.submit_command}"
    cmd = job.submit.command if job.submit else ""
    ev = tuple(e for e in (f"$ {sched.target.unmap(cmd)}" if cmd else "", partition_note) if e)
    on = f" on {job.node}" if job.node else ""
    if job.state == "done":
        return _r("injob.submit", "scheduler", title, Status.OK,
                  evidence=(*ev, f"job {job.id}{on} done in {job.seconds:.1f} s"))
    if job.state == "refused":
        fix = "submit from a node that may submit jobs, to a partition you may use"
        cmds: tuple[str, ...] = ()
        low = job.problem.lower()
        if "login node" in low and recipe.hosts.next_hop:
            fix, cmds = "submit from a compute node of the system, not the login node", (recipe.hosts.next_hop,)
        elif "partition" in low:
            fix, cmds = "submit to a partition of this cluster", ("sinfo -s",)
        return _r("injob.submit", "scheduler", title, Status.FAIL, f"the scheduler refused the job{on}: {job.problem}",
                  fix, cmds, ev)
    if job.state == "timeout":
        return _r("injob.submit", "scheduler", title, Status.ERROR,
                  f"job {job.id}{on} did not finish in {job_timeout():g} s" + (f" ({job.problem})" if job.problem else ""),
                  "the queue may be busy; retry later, or set ENVDOCTOR_INJOB_TIMEOUT", evidence=ev)
    return _r("injob.submit", "scheduler", title, Status.FAIL,
              f"job {job.id}{on} ended without running the checks: {job.problem}",
              "look at the job's output for the error", evidence=(*ev, f"output in {sched.target.unmap(str(job.workdir))}"))


def merge_nodes(per_node: list[tuple[str, list[CheckResult]]]) -> list[CheckResult]:
    """One result per id over all nodes: ok when every node is ok, else the worst, naming the nodes."""
    order: list[str] = []
    by_id: dict[str, list[tuple[str, CheckResult]]] = {}
    for node, results in per_node:
        for r in results:
            if r.id not in by_id:
                order.append(r.id)
            by_id.setdefault(r.id, []).append((node, r))
    rank = {Status.OK: 0, Status.SKIP: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}
    merged = []
    total = len(per_node)
    for rid in order:
        items = by_id[rid]
        bad = [(n, r) for n, r in items if r.status.is_problem]
        if not bad:
            merged.append(dataclasses.replace(items[0][1], evidence=(f"ok on {len(items)} of {total} nodes",)))
            continue
        worst = max(bad, key=lambda x: rank[x[1].status])[1]
        nodes = [n for n, _ in bad]
        merged.append(dataclasses.replace(
            worst, why=f"on {len(nodes)} of {total} nodes ({', '.join(nodes)}): {worst.why}",
            evidence=tuple(f"{n}: {r.status.value}" for n, r in items) + worst.evidence[:3]))
    return merged


# --- entry point ------------------------------------------------------------------------

def add_in_job(report: Report, recipe: Recipe, target: Target, opts: CheckOptions,
               probe: Probe | None = None) -> Report:
    kind = recipe.scheduler.kind
    if kind not in schedulers.SCHEDULERS:
        res = _r("injob.submit", "scheduler", "A short job runs through the scheduler", Status.SKIP,
                 why=f"{recipe.platform} has no batch scheduler envdoctor can submit to ({kind})")
        return dataclasses.replace(report, results=report.results + (res,))
    env = typed_env(target)
    sched = Scheduler(kind, target, env)
    login, login_problem = login_facts(recipe, target, probe)
    partition, note = "", ""
    wanted = recipe.scheduler.partition
    if wanted:
        parts = sched.partitions()
        if wanted in parts:
            partition = wanted
        else:
            note = f"partition {wanted} is not on this cluster ({', '.join(parts) or 'none listed'}); used the default"
    nodes: list[str] = [""]
    extra_results: list[CheckResult] = []
    if opts.nodes:
        if opts.nodes != "all":
            nodes = [n for n in opts.nodes.split(",") if n]
        else:
            nodes = sched.nodes(partition) or [""]
            if nodes == [""]:
                extra_results.append(_r("injob.nodes", "scheduler", "Every node checked", Status.WARN,
                                        f"--nodes all: the {kind} scheduler listed no nodes here; one job ran on "
                                        f"the node it chose", "check other nodes by submitting from them"))
    root = _workroot(target)
    jobs = []
    for i, n in enumerate(nodes):
        wd = root / (re.sub(r"[^\w.-]", "_", n) if n else f"job{i}")
        wd.mkdir()
        jobs.append(Job(n, wd))
    ids = node_level_ids(report)
    run_jobs(sched, jobs, lambda j: job_script(recipe, target, opts, j, ids), partition, job_timeout())

    per_node: list[tuple[str, list[CheckResult]]] = []
    for job in jobs:
        results = [submit_result(job, sched, recipe, note)]
        if job.state == "done":
            read_job(job, recipe, target)
            if login is None:
                results.append(_r("injob.env-diff", "shell", "Prompt and job environments compared", Status.ERROR,
                                  f"the login shell's facts could not be read: {login_problem}",
                                  "run `bash -l -i` and fix what it prints"))
            elif job.facts is None or not job.facts.reached:
                results.append(_r("injob.env-diff", "shell", "Prompt and job environments compared", Status.ERROR,
                                  f"the job's facts could not be read: {_tail(job.workdir / 'facts.err')}",
                                  "look at the job's output"))
            else:
                results.extend(compare(login, job, recipe, target, report))
        per_node.append((job.node or _read(job.workdir / "node").strip() or "node", results))
    new = per_node[0][1] if len(per_node) == 1 else merge_nodes(per_node)
    info = {"scheduler": kind, "partition": partition, "jobs": [
        {"id": j.id, "node": j.node or _read(j.workdir / "node").strip(), "state": j.state,
         "seconds": round(j.seconds, 2)} for j in jobs]}
    if all(j.state == "done" and not j.problem for j in jobs):
        shutil.rmtree(root, ignore_errors=True)  # kept otherwise, for the job's output
    # Redacted last: the comparisons quote the job's and the prompt's values (an
    # `export https_proxy='http://user:pw@...'` fix is built from the prompt's value).
    added = tuple(redact_result(r) for r in tuple(extra_results) + tuple(new))
    return dataclasses.replace(report, results=report.results + added, extra={**report.extra, "in_job": info})
