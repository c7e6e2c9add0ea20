"""`check --in-job`: the same checks, inside a short batch job, compared with the login shell.

"Works when I type it, fails in my job": a PBS job starts a non-interactive login shell, so
whatever ~/.bashrc sets after its interactive guard (very often the conda initialize block)
is missing; a Slurm job inherits exported variables but not shell functions or aliases
(`conda activate` then fails with "Run 'conda init' before 'conda activate'"). So this module

1. records the environment facts (PATH, HOME, conda, modules, proxy, python, the recipe's
   variables, whether the course's activate command works) of an interactive login shell;
2. submits one short job (or one per node with `--nodes all`) through the platform's
   scheduler (`sbatch` / `qsub`; on a simulated node its scheduler commands) that records
   the same facts and runs `envdoctor check P --json --only <node-level checks>` there;
3. polls until the job is done (bounded), and turns every difference into a result:
   `injob.submit`, `injob.env.<aspect>`, and `injob.<check-id>` for checks that only fail
   inside the job. With several nodes the results are aggregated per id.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from envdoctor import proc, schedulers
from envdoctor.recipe import Recipe
from envdoctor.results import CheckResult, Report, Status
from envdoctor.targets import Target

if TYPE_CHECKING:
    from envdoctor.diagnose import CheckOptions

NODE_CATEGORIES = ("host", "shell", "conda", "python", "venv", "packages", "sdk", "hardware", "disk")
POLL = 0.25
UNSET = "__unset__"
BEGIN, END = "@@envdoctor-facts-begin@@", "@@envdoctor-facts-end@@"
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")


def job_timeout() -> float:
    try:
        return float(os.environ.get("ENVDOCTOR_INJOB_TIMEOUT", "300"))
    except ValueError:
        return 300.0


# --- facts of a shell ------------------------------------------------------------------

def capture_script(recipe: Recipe, target: Target) -> str:
    """Bash that prints the facts between markers, one `KEY<TAB>value` a line."""
    env = recipe.environment
    activate = map_command(env.activate, target) if env.activate else ""
    lines = [
        "_e() { printf '%s\\t%s\\n' \"$1\" \"$(printf '%s' \"$2\" | tr '\\n\\t' '  ')\"; }",
        "_pyv() { \"$@\" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null; }",
        f"echo {BEGIN}",
        '_e HOME "$HOME"', '_e PATH "$PATH"', '_e USER "${USER:-}"', '_e SHELLFLAGS "$-"',
        '_e CONDA_TYPE "$(type -t conda 2>/dev/null)"', '_e CONDA_PATH "$(type -P conda 2>/dev/null)"',
        '_e CONDA_DEFAULT_ENV "${CONDA_DEFAULT_ENV:-}"', '_e VIRTUAL_ENV "${VIRTUAL_ENV:-}"',
        '_e MODULE_TYPE "$(type -t module 2>/dev/null)"', '_e LOADEDMODULES "${LOADEDMODULES:-}"',
        '_e PYTHON3_PATH "$(type -P python3 2>/dev/null)"', '_e PYTHON3_VERSION "$(_pyv python3)"',
        '_e PYTHON_TYPE "$(type -t python 2>/dev/null)"', '_e PYTHON_PATH "$(command -v python 2>/dev/null)"',
        '_e PYTHON_VERSION "$(python -c \'import sys; print(sys.version.split()[0])\' 2>/dev/null)"',
    ]
    names = list(PROXY_VARS) + [n for v in recipe.variables for n in v.names()]
    for name in dict.fromkeys(names):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            lines.append(f'_e "VAR_{name}" "${{{name}-{UNSET}}}"')
    if activate:
        # In a subshell: the facts above stay those of the shell as it starts.
        lines.append(f"_e ACTIVATE \"$( ( {activate} ) >/dev/null 2>&1 && echo ok || echo failed)\"")
        lines.append(f"_e ACTIVATED_PYTHON \"$( ( {activate} ) >/dev/null 2>&1 && _pyv python)\"")
    lines.append(f"echo {END}")
    return "\n".join(lines) + "\n"


def parse_facts(text: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if line.strip() == BEGIN:
            inside, facts = True, {}
        elif line.strip() == END:
            inside = False
        elif inside and "\t" in line:
            k, v = line.split("\t", 1)
            facts[k] = v
    return facts


def map_command(cmd: str, target: Target) -> str:
    """A recipe command with its node paths (`/opt/...`) mapped onto a simulated node."""
    if not target.root:
        return cmd
    roots = "|".join(re.escape(r) for r in target.meta.get("mapped_roots", ()))
    if not roots:
        return cmd
    return re.sub(rf"(?<![\w/.~-])/(?:{roots})(?=/|\b)", lambda m: target.root + m.group(0), cmd)


def login_facts(recipe: Recipe, target: Target) -> tuple[dict[str, str], str]:
    """Facts of an interactive login shell: what the student has when they type it."""
    r = proc.bash("login", capture_script(recipe, target), env=target.login_env(), cwd=target.home, timeout=60)
    facts = parse_facts(r.stdout)
    return facts, "" if facts else r.describe()


def typed_env(target: Target) -> dict[str, str]:
    """The environment a job is submitted from: the student's shell. Real target: envdoctor's
    own (it was started from that shell); simulated node: its interactive login shell's."""
    if not target.root:
        return dict(os.environ)
    r = proc.bash("login", "env -0", env=target.login_env(), cwd=target.home, timeout=60)
    env = dict(item.split("=", 1) for item in r.stdout.split("\0") if "=" in item)
    if not env:
        env = target.login_env()
    # What reaches the real scheduler from this machine (the simulated node's stand-ins exec it).
    for key in ("SLURM_CONF", "MUNGE_SOCKET", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        if key in os.environ:
            env.setdefault(key, os.environ[key])
    return env


# --- the scheduler ---------------------------------------------------------------------

@dataclass
class Job:
    node: str  # "" for "wherever the scheduler puts it"
    workdir: Path
    id: str = ""
    submit: proc.Completed | None = None
    state: str = "pending"  # pending, done, gone, timeout, refused
    seconds: float = 0.0
    facts: dict[str, str] = field(default_factory=dict)
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
             f"cd {workdir} || exit 1", "{", capture_script(recipe, target), f"}} > {workdir}/facts.txt 2> {workdir}/facts.err"]
    if ids:
        pkg_parent = shlex.quote(str(Path(__file__).resolve().parent.parent))
        argv = [sys.executable, "-m", "envdoctor", "check", recipe.platform, "--json", "--offline",
                "--release", recipe.release, "--target", target.name]
        if target.root:
            argv += ["--sim-root", target.root]
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
    for j in jobs:
        if j.state == "done":
            j.facts = parse_facts(_read(j.workdir / "facts.txt"))
            j.checks = _job_checks(j)


def _job_checks(job: Job) -> list[dict[str, Any]]:
    import json

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

    login: Mapping[str, str]
    job: Job
    recipe: Recipe
    target: Target
    report: Report

    @property
    def where(self) -> str:
        return f"in a batch job{' on ' + self.job.node if self.job.node else ''}"


def compare(login: Mapping[str, str], job: Job, recipe: Recipe, target: Target, report: Report) -> list[CheckResult]:
    """The job's environment against the login shell's, one aspect at a time."""
    c = _Compared(login, job, recipe, target, report)
    return [r for aspect in _ASPECTS for r in aspect(c)]


def _home(c: _Compared) -> list[CheckResult]:
    """HOME."""
    J, L, where = c.job.facts, c.login, c.where
    out: list[CheckResult] = []
    if J.get("HOME") != L.get("HOME"):
        out.append(_r("injob.env.home", "shell", "Same HOME in a job", Status.FAIL,
                      f"HOME is {J.get('HOME') or '(unset)'} {where}, {L.get('HOME')} at your prompt",
                      "do not set HOME in the job script; submit from your own account",
                      evidence=(f"job HOME={J.get('HOME')}", f"login HOME={L.get('HOME')}")))
    else:
        out.append(_r("injob.env.home", "shell", "Same HOME in a job", Status.OK))
    return out


def _path(c: _Compared) -> list[CheckResult]:
    """PATH."""
    J, L, where, u = c.job.facts, c.login, c.where, c.target.unmap
    out: list[CheckResult] = []
    jpath = J.get("PATH", "").split(":")
    missing = [p for p in dict.fromkeys(L.get("PATH", "").split(":")) if p and p not in jpath]
    if missing:
        shown = [u(p) for p in missing]
        out.append(_r("injob.env.path", "shell", "PATH in a job has what the prompt has", Status.WARN,
                      f"{len(missing)} PATH entr{'y is' if len(missing) == 1 else 'ies are'} missing {where}: "
                      f"{', '.join(shown)} (set after the interactive guard of ~/.bashrc, or only in this shell)",
                      "set PATH where batch shells read it: in ~/.bash_profile, above the `[[ $- != *i* ]] && return` "
                      "line of ~/.bashrc, or at the top of the job script",
                      (f"export PATH={':'.join(shown)}:$PATH",),
                      (f"job PATH={u(J.get('PATH', ''))}",)))
    else:
        out.append(_r("injob.env.path", "shell", "PATH in a job has what the prompt has", Status.OK))
    return out


def _conda(c: _Compared) -> list[CheckResult]:
    """Conda."""
    J, L, where, env = c.job.facts, c.login, c.where, c.recipe.environment
    out: list[CheckResult] = []
    if L.get("CONDA_TYPE") or env.kind == "conda":
        prefix = env.conda.prefix if env.conda else "~/miniconda3"
        hook = f'eval "$({prefix}/bin/conda shell.bash hook)"'
        jt, lt = J.get("CONDA_TYPE", ""), L.get("CONDA_TYPE", "")
        activation = f"`{env.activate}` {'works' if J.get('ACTIVATE') == 'ok' else 'fails'} {where}" if env.activate else ""
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
                          (hook, *( (env.activate,) if env.activate and env.kind == "conda" else ())),
                          tuple(e for e in (f"job: type -t conda = {jt or '(none)'}", f"login: type -t conda = {lt}",
                                            activation) if e)))
        elif env.kind == "conda" and env.activate and L.get("ACTIVATE") == "ok" and J.get("ACTIVATE") != "ok":
            out.append(_r("injob.env.conda", "conda", "conda works in a job", Status.FAIL,
                          f"`{env.activate}` works at your prompt but fails {where}",
                          "activate the environment in the job script, after initialising conda", (hook, env.activate)))
        else:
            out.append(_r("injob.env.conda", "conda", "conda works in a job", Status.OK,
                          evidence=(f"type -t conda: {jt or '(none)'} in the job, {lt or '(none)'} at the prompt",)))
    return out


def _activate(c: _Compared) -> list[CheckResult]:
    """The course's environment activates (venv / system platforms; conda is above)."""
    J, L, where, env = c.job.facts, c.login, c.where, c.recipe.environment
    out: list[CheckResult] = []
    if env.activate and env.kind != "conda" and L.get("ACTIVATE"):
        cat = "venv" if env.kind == "venv" else "python"
        if L.get("ACTIVATE") == "ok" and J.get("ACTIVATE") != "ok":
            out.append(_r("injob.env.activate", cat, "The course's environment activates in a job", Status.FAIL,
                          f"`{env.activate}` works at your prompt but fails {where}",
                          "make the environment reachable from the compute node (path, file system), and activate it "
                          "in the job script", (env.activate,)))
        else:
            out.append(_r("injob.env.activate", cat, "The course's environment activates in a job", Status.OK))
    return out


def _python(c: _Compared) -> list[CheckResult]:
    """Python."""
    J, L, where, u, env = c.job.facts, c.login, c.where, c.target.unmap, c.recipe.environment
    out: list[CheckResult] = []
    diffs = []
    for key, label in (("ACTIVATED_PYTHON", "python of the activated environment"), ("PYTHON_VERSION", "`python`"),
                       ("PYTHON3_VERSION", "`python3`")):
        if L.get(key, "") != J.get(key, ""):
            diffs.append((key, label))
    if diffs:
        first_key, first = diffs[0]
        severe = first_key == "ACTIVATED_PYTHON" or (first_key == "PYTHON_VERSION" and L.get("PYTHON_TYPE") == "alias")
        detail = "; ".join(f"{label}: {L.get(k) or 'none'} at the prompt, {J.get(k) or 'none'} {where}"
                           for k, label in diffs)
        alias = " (`python` is an alias at your prompt; aliases do not exist in jobs)" if L.get("PYTHON_TYPE") == "alias" else ""
        out.append(_r("injob.env.python", "python", "Same Python in a job", Status.FAIL if severe else Status.WARN,
                      f"the job gets another Python: {detail}{alias}",
                      "call the course's interpreter by its full path, or activate the environment, in the job script",
                      tuple(c for c in (env.activate, f"{env.interpreter or 'python3'} --version") if c),
                      (f"login: python={u(L.get('PYTHON_PATH', ''))} python3={u(L.get('PYTHON3_PATH', ''))}",
                       f"job: python={u(J.get('PYTHON_PATH', ''))} python3={u(J.get('PYTHON3_PATH', ''))}")))
    else:
        out.append(_r("injob.env.python", "python", "Same Python in a job", Status.OK,
                      evidence=(f"python3 {J.get('PYTHON3_VERSION') or 'none'}",)))
    return out


def _modules(c: _Compared) -> list[CheckResult]:
    """Modules."""
    J, L, where = c.job.facts, c.login, c.where
    out: list[CheckResult] = []
    lmods, jmods = set(filter(None, L.get("LOADEDMODULES", "").split(":"))), set(filter(None, J.get("LOADEDMODULES", "").split(":")))
    if (L.get("MODULE_TYPE") and not J.get("MODULE_TYPE")) or lmods - jmods:
        gone = sorted(lmods - jmods)
        out.append(_r("injob.env.modules", "shell", "Same modules in a job", Status.WARN,
                      (f"modules loaded at your prompt are not loaded {where}: {', '.join(gone)}" if gone else
                       f"the `module` command is not defined {where}"),
                      "load the modules in the job script (after sourcing the modules init file)",
                      ("source /etc/profile.d/modules.sh", *(f"module load {m}" for m in gone))))
    else:
        out.append(_r("injob.env.modules", "shell", "Same modules in a job", Status.OK))
    return out


def _variables(c: _Compared) -> list[CheckResult]:
    """Proxy and the recipe's variables."""
    J, L, where, recipe = c.job.facts, c.login, c.where, c.recipe
    out: list[CheckResult] = []
    for rid, title, names, cat in (
        ("injob.env.proxy", "Proxy settings in a job", PROXY_VARS, "network"),
        ("injob.env.variables", "The course's variables in a job",
         tuple(n for v in recipe.variables for n in v.names() if n not in PROXY_VARS), "config"),
    ):
        if not names:
            continue
        lost = [n for n in names if L.get(f"VAR_{n}", UNSET) != UNSET and J.get(f"VAR_{n}", UNSET) == UNSET]
        changed = [n for n in names if n not in lost and L.get(f"VAR_{n}", UNSET) != J.get(f"VAR_{n}", UNSET)
                   and J.get(f"VAR_{n}", UNSET) != UNSET and L.get(f"VAR_{n}", UNSET) != UNSET]
        if lost or changed:
            needed = bool(recipe.proxy) if rid == "injob.env.proxy" else True
            status = Status.FAIL if lost and needed else Status.WARN
            cmds = tuple(f"export {n}={shlex.quote(L.get(f'VAR_{n}', ''))}" for n in lost)
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
    from envdoctor.results import CATEGORIES

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

def add_in_job(report: Report, recipe: Recipe, target: Target, opts: CheckOptions) -> Report:
    kind = recipe.scheduler.kind
    if kind not in schedulers.SCHEDULERS:
        res = _r("injob.submit", "scheduler", "A short job runs through the scheduler", Status.SKIP,
                 why=f"{recipe.platform} has no batch scheduler envdoctor can submit to ({kind})")
        return dataclasses.replace(report, results=report.results + (res,))
    env = typed_env(target)
    sched = Scheduler(kind, target, env)
    login, login_problem = login_facts(recipe, target)
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
            if not login:
                results.append(_r("injob.env-diff", "shell", "Prompt and job environments compared", Status.ERROR,
                                  f"the login shell's facts could not be read: {login_problem}",
                                  "run `bash -l -i` and fix what it prints"))
            elif not job.facts:
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
    from envdoctor.diagnose import redact_result

    added = tuple(redact_result(r) for r in tuple(extra_results) + tuple(new))
    return dataclasses.replace(report, results=report.results + added, extra={**report.extra, "in_job": info})
