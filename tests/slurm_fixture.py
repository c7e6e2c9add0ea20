"""Fixture `slurm_cluster`: a real single-node Slurm (munge + slurmctld + slurmd) for the session.

The three daemons run in the foreground as children of the test session, with their whole
configuration under a fresh temporary directory (nothing under /etc), and are stopped by
PID at the end. Tests marked `slurm` are skipped when slurm-wlm is not installed (or when
the cluster cannot start, e.g. without root). The node declares 128 CPUs
(`SlurmdParameters=config_overrides`) so that the reference runs' real flags
(`--ntasks 16 --cpus-per-task=8`) are accepted on a small machine.
See ../shared/reference/ci-real-components.md, section 1.9.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

CPUS = 128
START_TIMEOUT = 30.0


def _find(program: str) -> str | None:
    return shutil.which(program) or next((p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}")
                                          if os.access(p, os.X_OK)), None)


def slurm_installed() -> bool:
    return all(_find(p) for p in ("slurmctld", "slurmd", "munged", "mungekey", "sbatch", "scontrol", "sinfo"))


def _free_port_pair() -> int:
    """A port p with p and p+1 free (slurmctld, slurmd)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 60000:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    return 6817


@dataclass
class SlurmCluster:
    base: Path
    conf: Path
    env: dict[str, str]
    node: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def slurm_conf(self) -> str:
        return str(self.conf)


def _config(base: Path, sock: Path, host: str, port: int) -> str:
    return f"""ClusterName=envdoctor
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=300
SlurmctldPort={port}
SlurmdPort={port + 1}
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/run/slurmctld.pid
SlurmdPidFile={base}/run/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={base}/log/jobcomp.txt
MailProg=/bin/true
NodeName={host} NodeAddr=127.0.0.1 CPUs={CPUS} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
"""


def start_cluster(base: Path) -> SlurmCluster:
    for d in ("state", "spool", "run", "log", "munge"):
        (base / d).mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)  # munged needs o+x on every directory above its socket
    mdir = base / "munge"
    os.chmod(mdir, 0o755)
    key, sock = mdir / "munge.key", mdir / "munge.sock"
    subprocess.run([_find("mungekey") or "mungekey", "--create", f"--keyfile={key}"], check=True,
                   capture_output=True)
    host = socket.gethostname().split(".")[0]
    conf = base / "slurm.conf"
    conf.write_text(_config(base, sock, host, _free_port_pair()))
    env = dict(os.environ, SLURM_CONF=str(conf))
    cluster = SlurmCluster(base, conf, {"SLURM_CONF": str(conf)}, host)
    log = open(base / "log" / "foreground.log", "ab")
    t0 = time.monotonic()
    try:
        cluster.procs.append(subprocess.Popen(
            [_find("munged") or "munged", "-F", f"--key-file={key}", f"--socket={sock}",
             f"--pid-file={mdir}/munged.pid", f"--log-file={mdir}/munged.log", f"--seed-file={mdir}/munged.seed"],
            stdout=log, stderr=log))
        while not sock.exists():
            _alive(cluster, t0, "munged")
            time.sleep(0.02)
        cluster.procs.append(subprocess.Popen([_find("slurmctld") or "slurmctld", "-D", "-i", "-f", str(conf)],
                                              env=env, stdout=log, stderr=log))
        while subprocess.run(["scontrol", "ping"], env=env, capture_output=True).returncode != 0:
            _alive(cluster, t0, "slurmctld")
            time.sleep(0.05)
        cluster.procs.append(subprocess.Popen([_find("slurmd") or "slurmd", "-D", "-f", str(conf)],
                                              env=env, stdout=log, stderr=log))
        while True:
            r = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=env, capture_output=True, text=True)
            if r.stdout.strip() == "idle":
                break
            _alive(cluster, t0, f"slurmd (node state {r.stdout.strip()!r})")
            time.sleep(0.1)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def _alive(cluster: SlurmCluster, t0: float, what: str) -> None:
    if any(p.poll() is not None for p in cluster.procs) or time.monotonic() - t0 > START_TIMEOUT:
        raise RuntimeError(f"{what} did not come up; see {cluster.base / 'log'}")


def stop_cluster(cluster: SlurmCluster) -> None:
    """SIGTERM slurmd, slurmctld, munged (in that order), by PID; SIGKILL after 10 s."""
    for p in reversed(cluster.procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    cluster.procs.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if slurm_installed():
        return
    skip = pytest.mark.skip(reason="slurm-wlm and munge are not installed (apt-get install slurm-wlm munge)")
    for item in items:
        if "slurm" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A running single-node Slurm: `.conf` / `.slurm_conf` (SLURM_CONF), `.env`, `.node`."""
    if not slurm_installed():
        pytest.skip("slurm-wlm and munge are not installed")
    base = Path(tempfile.mkdtemp(prefix="envdoctor-slurm-"))
    try:
        cluster = start_cluster(base)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a single-node Slurm: {exc}")
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def slurm_env(slurm_cluster: SlurmCluster, monkeypatch: pytest.MonkeyPatch) -> SlurmCluster:
    """slurm_cluster, with SLURM_CONF set in this test's environment."""
    monkeypatch.setenv("SLURM_CONF", slurm_cluster.slurm_conf)
    return slurm_cluster
