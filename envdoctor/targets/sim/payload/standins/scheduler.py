# Scheduler stand-ins of an envdoctor simulated node: PBS (qsub, qstat, qdel) and Slurm
# (srun, sbatch, squeue, scancel, sinfo). One file, installed under each command's name.
#
# PBS: jobs run detached as a non-interactive login shell of the node's user (`bash -l
# script`, HOME = the node's home, the environment of a fresh login), which is what makes
# "conda: command not found" appear in batch jobs exactly as on the GroqRack. Output goes to
# <name>.o<seq> / <name>.e<seq> in the submit directory when the job ends.
# Slurm: when a real Slurm answers (`scontrol ping` with the inherited SLURM_CONF), the
# accelerator-only flags (--ipus=N, --gres=rdu:N) are dropped, recorded in the job's
# environment (ENVDOCTOR_SIM_IPUS / ENVDOCTOR_SIM_RDUS), and the real command runs. Otherwise
# jobs run locally with Slurm's interface (job ids, slurm-<id>.out, SLURM_JOB_ID).
from __future__ import annotations

import datetime
import fcntl
import fnmatch
import json
import os
import shlex
import signal
import subprocess
import sys
import time

SIM_ROOT = "@SIM_ROOT@"
SIM_BIN = os.path.dirname(os.path.abspath(__file__))


def node() -> dict:
    with open(os.path.join(SIM_ROOT, "sim.json"), encoding="utf-8") as fh:
        return json.load(fh)


def state_dir(kind: str) -> str:
    path = os.path.join(SIM_ROOT, "var", kind)
    os.makedirs(os.path.join(path, "jobs"), exist_ok=True)
    return path


def next_id(kind: str, first: int) -> int:
    path = os.path.join(state_dir(kind), "seq")
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        text = fh.read().strip()
        num = int(text) + 1 if text else first
        fh.seek(0)
        fh.truncate()
        fh.write(str(num))
    return num


def job_file(kind: str, num: int) -> str:
    return os.path.join(state_dir(kind), "jobs", f"{num}.json")


def load_job(kind: str, num: int) -> dict | None:
    try:
        with open(job_file(kind, num), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def save_job(kind: str, job: dict) -> None:
    path = job_file(kind, int(job["num"]))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(job, fh, indent=1)
    os.replace(tmp, path)


def all_jobs(kind: str) -> list[dict]:
    folder = os.path.join(state_dir(kind), "jobs")
    jobs = [load_job(kind, int(f[:-5])) for f in os.listdir(folder) if f.endswith(".json")]
    return sorted((j for j in jobs if j), key=lambda j: int(j["num"]))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def refresh(kind: str, job: dict) -> dict:
    """A job whose runner died without recording the end (kill -9) is over."""
    if job["state"] in ("R", "Q", "RUNNING", "PENDING") and job.get("runner") and not alive(int(job["runner"])):
        job["state"] = "F" if kind == "pbs" else "FAILED"
        job.setdefault("exit", 271 if kind == "pbs" else 1)
        save_job(kind, job)
    return job


def now() -> float:
    return time.time()


def detach(kind: str, num: int) -> int:
    """Start `<this script> --run-job KIND NUM` in its own session; returns its pid."""
    devnull = open(os.devnull, "r+b")
    popen = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--run-job", kind, str(num)],
                             stdin=devnull, stdout=devnull, stderr=devnull, start_new_session=True,
                             close_fds=True, cwd="/")
    return popen.pid


def run_job(kind: str, num: int) -> int:
    """The detached runner: run the job, then record how it ended (and stage PBS output)."""
    job = load_job(kind, num)
    if job is None:
        return 1
    job.update(state="R" if kind == "pbs" else "RUNNING", runner=os.getpid(), started=now())
    save_job(kind, job)
    joined = job["spool_err"] == job["spool_out"]
    with open(job["spool_out"], "wb") as out, open(os.devnull if joined else job["spool_err"], "wb") as err:
        try:
            child = subprocess.Popen(job["argv"], cwd=job["cwd"], env=job["env"], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT if joined else err)
        except OSError as exc:
            (out if joined else err).write(f"{job['argv'][0]}: {exc.strerror}\n".encode())
            child = None
        if child is not None:
            job["pid"] = child.pid
            save_job(kind, job)
        code = child.wait() if child is not None else 127
    job = load_job(kind, num) or job
    if job["state"] in ("R", "RUNNING"):
        job.update(state="F" if kind == "pbs" else ("COMPLETED" if code == 0 else "FAILED"),
                   exit=code if code >= 0 else 256 - code, ended=now())
        stage(job)
        save_job(kind, job)
    return 0


def stage(job: dict) -> None:
    """PBS copies the spooled output to the submit directory when the job ends."""
    for spool, final in ((job["spool_out"], job.get("final_out")), (job["spool_err"], job.get("final_err"))):
        if final and os.path.exists(spool):
            try:
                os.replace(spool, final)
            except OSError:
                import shutil
                shutil.copyfile(spool, final)


def kill_job(job: dict) -> None:
    for key in ("pid", "runner"):
        pid = job.get(key)
        if pid:
            try:
                os.killpg(int(pid), signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass


def fresh_login_env(meta: dict) -> dict:
    """What a batch job of the node's user starts from: a fresh login, before startup files."""
    home = os.path.join(SIM_ROOT, "home", meta["user"])
    env = {k: os.environ[k] for k in ("LANG", "TZ") if k in os.environ}
    env.update(HOME=home, USER=meta["user"], LOGNAME=meta["user"], SHELL="/bin/bash",
               PATH="/usr/local/bin:/usr/bin:/bin", HOSTNAME=meta["hostname"])
    return env


# --- PBS ----------------------------------------------------------------------------------

PBS_SERVER = "@PBS_SERVER@"
LOGIN_PATTERNS = json.loads('@LOGIN_PATTERNS@')
PBS_FLAGS_WITH_VALUE = {"-l", "-q", "-N", "-A", "-o", "-e", "-v", "-W", "-j", "-m", "-M", "-P", "-S", "-r", "-J"}


def on_login_node(hostname: str) -> bool:
    short = hostname.split(".")[0]
    return any(fnmatch.fnmatch(hostname, p) or fnmatch.fnmatch(short, p) for p in LOGIN_PATTERNS)


def qsub(args: list[str]) -> int:
    meta = node()
    if on_login_node(meta["hostname"]):
        sys.stderr.write("qsub: job submission from login nodes is not supported; "
                         "ssh to a GroqRack node (groq-r01-gn-0X) first\n")
        return 1
    opts: dict[str, list[str]] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in PBS_FLAGS_WITH_VALUE and i + 1 < len(args):
            opts.setdefault(a, []).append(args[i + 1])
            i += 2
            continue
        if a in ("-I", "-V", "-h", "-z", "-X"):
            opts[a] = []
        elif a.startswith("-") and not rest:
            sys.stderr.write(f"qsub: invalid option -- '{a.lstrip('-')}'\nusage: qsub [-I] [-l resource_list] [-N name] [-q queue] [script]\n")
            return 2
        else:
            rest.append(a)
        i += 1
    interactive = "-I" in opts
    if not rest and not interactive:
        sys.stderr.write("qsub: no script file given (reading a job script from standard input is not simulated)\n")
        return 2
    script = os.path.abspath(rest[0]) if rest else ""
    if script and not os.path.isfile(script):
        sys.stderr.write("qsub: script file:: No such file or directory\n")
        return 2
    num = next_id("pbs", 101)
    job_id = f"{num}.{PBS_SERVER}"
    name = (opts.get("-N") or [os.path.basename(script) if script else "STDIN"])[-1]
    cwd = os.getcwd()
    env = dict(os.environ) if "-V" in opts else fresh_login_env(meta)
    env.update(PBS_JOBID=job_id, PBS_JOBNAME=name, PBS_O_WORKDIR=cwd, PBS_O_HOME=os.environ.get("HOME", ""),
               PBS_O_PATH=os.environ.get("PATH", ""), PBS_O_HOST=meta["hostname"], PBS_QUEUE="workq",
               PBS_ENVIRONMENT="PBS_INTERACTIVE" if interactive else "PBS_BATCH",
               PBS_NODEFILE=os.path.join(state_dir("pbs"), f"{num}.nodes"), PBS_O_SHELL="/bin/bash")
    for spec in opts.get("-v", []):
        for item in spec.split(","):
            k, _, v = item.partition("=")
            env[k] = v if _ else os.environ.get(k, "")
    with open(env["PBS_NODEFILE"], "w", encoding="utf-8") as fh:
        fh.write(meta["hostname"] + "\n")
    if interactive:
        print(f"qsub: waiting for job {job_id} to start\nqsub: job {job_id} ready\n", flush=True)
        code = subprocess.call(["bash", "-l"], cwd=env["HOME"], env=env)
        print(f"\nqsub: job {job_id} completed")
        return code
    spool = os.path.join(state_dir("pbs"), "spool")
    os.makedirs(spool, exist_ok=True)
    join = "oe" in opts.get("-j", [])
    job = {"num": num, "id": job_id, "name": name, "user": meta["user"], "state": "Q", "queue": "workq",
           "argv": ["bash", "-l", script], "cwd": env["HOME"], "env": env, "submitted": now(),
           "resources": opts.get("-l", []), "spool_out": os.path.join(spool, f"{num}.OU"),
           "spool_err": os.path.join(spool, f"{num}.OU" if join else f"{num}.ER"),
           "final_out": (opts.get("-o") or [os.path.join(cwd, f"{name}.o{num}")])[-1],
           "final_err": None if join else (opts.get("-e") or [os.path.join(cwd, f"{name}.e{num}")])[-1]}
    save_job("pbs", job)
    detach("pbs", num)  # the runner records its own pid (no second write here: it could race the runner's)
    print(job_id)
    return 0


def _pbs_num(arg: str) -> int | None:
    head = arg.split(".")[0]
    return int(head) if head.isdigit() else None


def qstat(args: list[str]) -> int:
    full = "-f" in args
    history = "-x" in args or "-H" in args
    ids = [a for a in args if not a.startswith("-")]
    if ids:
        code = 0
        for a in ids:
            num = _pbs_num(a)
            job = refresh("pbs", load_job("pbs", num)) if num is not None and load_job("pbs", num) else None
            if job is None:
                sys.stderr.write(f"qstat: Unknown Job Id {a}\n")
                code = 153
            elif job["state"] == "F" and not history:
                sys.stderr.write(f"qstat: {job['id']} Job has finished, use -x or -H to obtain historical job information\n")
                code = 35
            else:
                print(pbs_full(job) if full else pbs_table([job]))
        return code
    jobs = [refresh("pbs", j) for j in all_jobs("pbs")]
    jobs = [j for j in jobs if history or j["state"] != "F"]
    if jobs:
        print("\n".join(pbs_full(j) for j in jobs) if full else pbs_table(jobs))
    return 0


def pbs_table(jobs: list[dict]) -> str:
    lines = ["Job id            Name             User              Time Use S Queue",
             "----------------  ---------------- ----------------  -------- - -----"]
    for j in jobs:
        used = int((j.get("ended") or now()) - j.get("started", now())) if j.get("started") else 0
        lines.append(f"{j['id'][:16]:<17} {j['name'][:16]:<16} {j['user'][:16]:<16}  "
                     f"{used // 3600:02d}:{used % 3600 // 60:02d}:{used % 60:02d} {j['state']} {j['queue']}")
    return "\n".join(lines)


def pbs_full(j: dict) -> str:
    stamp = datetime.datetime.fromtimestamp(j["submitted"]).strftime("%a %b %d %H:%M:%S %Y")
    lines = [f"Job Id: {j['id']}", f"    Job_Name = {j['name']}", f"    Job_Owner = {j['user']}@{node()['hostname']}",
             f"    job_state = {j['state']}", f"    queue = {j['queue']}", f"    server = {PBS_SERVER}",
             f"    ctime = {stamp}", f"    Output_Path = {node()['hostname']}:{j.get('final_out')}",
             "    Resource_List.select = 1"] + [f"    Resource_List = {r}" for r in j.get("resources", [])]
    if "exit" in j:
        lines.append(f"    Exit_status = {j['exit']}")
    return "\n".join(lines) + "\n"


def qdel(args: list[str]) -> int:
    code = 0
    for a in (x for x in args if not x.startswith("-")):
        num = _pbs_num(a)
        job = load_job("pbs", num) if num is not None else None
        if job is None:
            sys.stderr.write(f"qdel: Unknown Job Id {a}\n")
            code = 153
            continue
        if job["state"] == "F":
            sys.stderr.write(f"qdel: Job has finished {job['id']}\n")
            code = 35
            continue
        job.update(state="F", exit=271, ended=now())
        save_job("pbs", job)
        kill_job(job)
        stage(job)
    return code


# --- Slurm --------------------------------------------------------------------------------

PARTITION = "@PARTITION@"
SLURM_VALUE_FLAGS = {"-o": "output", "--output": "output", "-e": "error", "--error": "error", "-J": "job-name",
                     "--job-name": "job-name", "-p": "partition", "--partition": "partition", "-N": "nodes",
                     "--nodes": "nodes", "-n": "ntasks", "--ntasks": "ntasks", "--ntasks-per-node": "ntasks-per-node",
                     "--cpus-per-task": "cpus-per-task", "-c": "cpus-per-task", "-t": "time", "--time": "time",
                     "--gres": "gres", "--ipus": "ipus", "-D": "chdir", "--chdir": "chdir", "--export": "export",
                     "-A": "account", "--account": "account", "--wrap": "wrap", "--mem": "mem", "-q": "qos",
                     "--qos": "qos", "--reservation": "reservation", "-w": "nodelist", "--nodelist": "nodelist"}
SLURM_BOOL_FLAGS = {"--parsable", "--wait", "-W", "--exclusive", "--pty", "-u", "--unbuffered", "-l", "--label",
                    "-Q", "--quiet", "-v", "--verbose"}


def real_slurm_bin(name: str) -> str | None:
    """The real Slurm command, when a real Slurm controller answers; None otherwise."""
    if not (os.environ.get("SLURM_CONF") or os.path.exists("/etc/slurm/slurm.conf")):
        return None
    dirs = [d for d in os.environ.get("PATH", "").split(":") + ["/usr/bin", "/usr/local/bin"]
            if d and os.path.abspath(d) != SIM_BIN]
    found = {n: next((os.path.join(d, n) for d in dirs if os.access(os.path.join(d, n), os.X_OK)), None)
             for n in (name, "scontrol")}
    if not found[name] or not found["scontrol"]:
        return None
    try:
        ping = subprocess.run([found["scontrol"], "ping"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found[name] if ping.returncode == 0 else None


def split_accel_flags(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """Drop --ipus=N and --gres=rdu:N (no real Slurm here has them); say what they asked for."""
    out: list[str] = []
    env: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        key, eq, value = a.partition("=")
        if key in ("--ipus", "--gres") and not eq and i + 1 < len(args):
            value = args[i + 1]
            i += 1
        if key == "--ipus":
            env["ENVDOCTOR_SIM_IPUS"] = value
        elif key == "--gres" and value.startswith("rdu"):
            env["ENVDOCTOR_SIM_RDUS"] = value.split(":")[-1]
        else:
            out.append(a)
            if not eq and key in ("--ipus", "--gres"):
                out.append(value)
        i += 1
    return out, env


def parse_slurm(args: list[str], stop_at_positional: bool) -> tuple[dict, list[str]]:
    opts: dict = {}
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("-"):
            if stop_at_positional:
                return opts, args[i:]
            i += 1
            continue
        key, eq, value = a.partition("=")
        if key in SLURM_VALUE_FLAGS:
            if not eq:
                if len(key) == 2 and len(a) > 2:  # -o%j.out, -n4
                    key, value = a[:2], a[2:]
                else:
                    value = args[i + 1] if i + 1 < len(args) else ""
                    i += 1
            opts[SLURM_VALUE_FLAGS[key]] = value
        elif a in SLURM_BOOL_FLAGS:
            opts[a.lstrip("-")] = True
        else:
            sys.stderr.write(f"{os.path.basename(sys.argv[0])}: unrecognized option '{a}'\n"
                             f"Try \"{os.path.basename(sys.argv[0])} --help\" for more information\n")
            sys.exit(1)
        i += 1
    return opts, []


def sbatch_directives(script_text: str) -> list[str]:
    args: list[str] = []
    for line in script_text.splitlines()[1:]:
        if line.startswith("#SBATCH"):
            args += shlex.split(line[len("#SBATCH"):].split(" #")[0])
        elif line.strip() and not line.startswith("#"):
            break
    return args


def slurm_env(opts: dict, num: int, name: str, meta: dict) -> dict:
    _, accel = split_accel_flags([f"--{k}={v}" for k, v in opts.items() if k in ("ipus", "gres")])
    ntasks = str(opts.get("ntasks", "1"))
    env = dict(os.environ)
    env.update(accel)
    env.update(SLURM_JOB_ID=str(num), SLURM_JOBID=str(num), SLURM_JOB_NAME=name, SLURM_NTASKS=ntasks,
               SLURM_NPROCS=ntasks, SLURM_JOB_NUM_NODES=str(opts.get("nodes", "1")), SLURM_NNODES=str(opts.get("nodes", "1")),
               SLURM_JOB_NODELIST=meta["hostname"], SLURM_NODELIST=meta["hostname"], SLURMD_NODENAME=meta["hostname"],
               SLURM_SUBMIT_DIR=os.getcwd(), SLURM_SUBMIT_HOST=meta["hostname"], SLURM_CLUSTER_NAME="envdoctor-sim",
               SLURM_JOB_PARTITION=str(opts.get("partition", PARTITION)), SLURM_JOB_USER=meta["user"])
    if "cpus-per-task" in opts:
        env["SLURM_CPUS_PER_TASK"] = str(opts["cpus-per-task"])
    if "ntasks-per-node" in opts:
        env["SLURM_NTASKS_PER_NODE"] = str(opts["ntasks-per-node"])
    return env


def sbatch(args: list[str]) -> int:
    real = real_slurm_bin("sbatch")
    if real:
        stripped, accel = split_accel_flags(args)
        os.execve(real, [real, *stripped], {**os.environ, **accel})
    opts, rest = parse_slurm(args, stop_at_positional=True)
    if "wrap" in opts:
        text = f"#!/bin/sh\n# This script was created by sbatch --wrap.\n\n{opts['wrap']}\n"
        script_args: list[str] = []
        name = "wrap"
    else:
        if not rest:
            sys.stderr.write("sbatch: error: reading a batch script from standard input is not simulated\n")
            return 1
        try:
            with open(rest[0], encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            sys.stderr.write(f"sbatch: error: Unable to open file {rest[0]}\n")
            return 1
        if not text.startswith("#!"):
            sys.stderr.write("sbatch: error: This does not look like a batch script.  The first\n"
                             "sbatch: error: line must start with #! followed by the path to an interpreter.\n"
                             "sbatch: error: For instance: #!/bin/sh\n")
            return 1
        directive_opts, _ = parse_slurm(sbatch_directives(text), stop_at_positional=False)
        opts = {**directive_opts, **opts}
        script_args = rest[1:]
        name = os.path.basename(rest[0])
    name = str(opts.get("job-name", name))
    meta = node()
    num = next_id("slurm", 1)
    cwd = os.path.abspath(str(opts.get("chdir", os.getcwd())))
    job_dir = os.path.join(state_dir("slurm"), f"job{num}")
    os.makedirs(job_dir, exist_ok=True)
    script = os.path.join(job_dir, "slurm_script")
    with open(script, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(script, 0o755)
    out = os.path.join(cwd, str(opts.get("output", "slurm-%j.out")).replace("%j", str(num)).replace("%A", str(num)).replace("%x", name))
    err = os.path.join(cwd, str(opts["error"]).replace("%j", str(num)).replace("%A", str(num)).replace("%x", name)) if "error" in opts else out
    env = slurm_env(opts, num, name, meta)
    job = {"num": num, "id": str(num), "name": name, "user": meta["user"], "state": "PENDING",
           "partition": str(opts.get("partition", PARTITION)), "argv": [script, *script_args], "cwd": cwd, "env": env,
           "submitted": now(), "spool_out": out, "spool_err": err, "nodes": str(opts.get("nodes", "1"))}
    save_job("slurm", job)
    detach("slurm", num)
    print(str(num) if opts.get("parsable") else f"Submitted batch job {num}", flush=True)
    if opts.get("wait") or opts.get("W"):
        while True:
            j = refresh("slurm", load_job("slurm", num) or job)
            if j["state"] not in ("PENDING", "RUNNING"):
                return int(j.get("exit", 0))
            time.sleep(0.1)
    return 0


def srun(args: list[str]) -> int:
    real = real_slurm_bin("srun")
    if real:
        stripped, accel = split_accel_flags(args)
        os.execve(real, [real, *stripped], {**os.environ, **accel})
    opts, rest = parse_slurm(args, stop_at_positional=True)
    if not rest:
        sys.stderr.write("srun: fatal: No command given to execute.\n")
        return 1
    meta = node()
    inside = os.environ.get("SLURM_JOB_ID")
    num = int(inside) if inside and inside.isdigit() else next_id("slurm", 1)
    env = slurm_env(opts, num, str(opts.get("job-name", os.path.basename(rest[0]))), meta)
    if inside:
        env["SLURM_STEP_ID"] = "0"
    job = {"num": num, "id": str(num), "name": env["SLURM_JOB_NAME"], "user": meta["user"], "state": "RUNNING",
           "partition": env["SLURM_JOB_PARTITION"], "runner": os.getpid(), "submitted": now(), "started": now(),
           "nodes": env["SLURM_JOB_NUM_NODES"]}
    if not inside:
        save_job("slurm", job)
    try:
        code = subprocess.call(rest, env=env)
    except FileNotFoundError:
        sys.stderr.write(f"slurmstepd: error: execve(): {rest[0]}: No such file or directory\n"
                         f"srun: error: {meta['hostname']}: task 0: Exited with exit code 2\n")
        code = 2
    except KeyboardInterrupt:
        code = 130
    if not inside:
        job.update(state="COMPLETED" if code == 0 else "FAILED", exit=code, ended=now())
        save_job("slurm", job)
    if code != 0 and code != 2:
        sys.stderr.write(f"srun: error: {meta['hostname']}: task 0: Exited with exit code {code}\n")
    return code


SQUEUE_FIELDS = {"i": "id", "j": "name", "u": "user", "P": "partition", "D": "nodes"}


def squeue(args: list[str]) -> int:
    real = real_slurm_bin("squeue")
    if real:
        os.execv(real, [real, *args])
    opts: dict = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-h", "--noheader", "--me"):
            opts[a] = True
        elif a.split("=")[0] in ("-j", "--jobs", "-u", "--user", "-o", "--format", "-p", "--partition", "-t", "--states"):
            key, eq, value = a.partition("=")
            if not eq:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            opts[key.lstrip("-")[0]] = value
        i += 1
    jobs = [refresh("slurm", j) for j in all_jobs("slurm")]
    jobs = [j for j in jobs if j["state"] in ("PENDING", "RUNNING")]
    if "j" in opts:
        wanted = set(opts["j"].split(","))
        jobs = [j for j in jobs if j["id"] in wanted]
    if "u" in opts:
        jobs = [j for j in jobs if j["user"] in opts["u"].split(",")]
    fmt = opts.get("o")
    if not opts.get("-h") and not opts.get("--noheader") and not fmt:
        print("             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)")
    host = node()["hostname"]
    for j in jobs:
        used = int(now() - j["started"]) if j.get("started") else 0
        st = "R" if j["state"] == "RUNNING" else "PD"
        values = {"i": j["id"], "j": j["name"], "u": j["user"], "P": j["partition"], "D": j.get("nodes", "1"),
                  "T": j["state"], "t": st, "M": f"{used // 60}:{used % 60:02d}", "R": host if st == "R" else "(None)",
                  "N": host}
        if fmt:
            import re
            print(re.sub(r"%[.\-]?\d*([a-zA-Z])", lambda m, values=values: str(values.get(m.group(1), "")), fmt))
        else:
            print(f"{j['id']:>18} {j['partition'][:9]:>9} {j['name'][:8]:>8} {j['user'][:8]:>8} {st:>2} "
                  f"{values['M']:>10} {j.get('nodes', '1'):>6} {values['R']}")
    return 0


def scancel(args: list[str]) -> int:
    real = real_slurm_bin("scancel")
    if real:
        os.execv(real, [real, *args])
    code = 0
    for a in (x for x in args if not x.startswith("-")):
        job = load_job("slurm", int(a)) if a.isdigit() else None
        if job is None:
            sys.stderr.write(f"scancel: error: Kill job error on job id {a}: Invalid job id specified\n")
            code = 1
            continue
        if job["state"] in ("PENDING", "RUNNING"):
            job.update(state="CANCELLED", exit=143, ended=now())
            save_job("slurm", job)
            kill_job(job)
    return code


def sinfo(args: list[str]) -> int:
    real = real_slurm_bin("sinfo")
    if real:
        os.execv(real, [real, *args])
    busy = any(refresh("slurm", j)["state"] == "RUNNING" for j in all_jobs("slurm"))
    host = node()["hostname"]
    if "-h" not in args and "--noheader" not in args:
        print("PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST")
    print(f"{PARTITION + '*':<9} {'up':>5} {'infinite':>10} {1:>6} {'alloc' if busy else 'idle':>6} {host}")
    return 0


COMMANDS = {"qsub": qsub, "qstat": qstat, "qdel": qdel, "sbatch": sbatch, "srun": srun, "squeue": squeue,
            "scancel": scancel, "sinfo": sinfo}

if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--run-job":
        sys.exit(run_job(sys.argv[2], int(sys.argv[3])))
    command = os.path.basename(sys.argv[0])
    if command not in COMMANDS:
        sys.stderr.write(f"envdoctor sim scheduler stand-in: unknown command {command}\n")
        sys.exit(2)
    try:
        sys.exit(COMMANDS[command](sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)
