"""The Slurm scheduler layer against a real single-node Slurm (tests/slurm_fixture.py)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from envdoctor.schedulers import SCHEDULERS, JobSpec, Site
from envdoctor.schedulers.slurm import Slurm

pytestmark = pytest.mark.slurm
SLURM = SCHEDULERS["slurm"]


def _site(cluster) -> Site:
    return Site(None, {**os.environ, **cluster.env})


def _script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n" + body + "\n")
    script.chmod(0o755)
    return script


def _until_gone(site: Site, job_id: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while SLURM.state(site, job_id).active is not False:
        assert time.monotonic() < deadline, f"job {job_id} still listed after {limit} s"
        time.sleep(0.2)


def test_submit_state_and_exit_status(slurm_cluster, tmp_path: Path) -> None:
    site = _site(slurm_cluster)
    spec = JobSpec("envdoctor-test", 1, str(tmp_path / "out"), str(tmp_path / "err"), str(tmp_path))
    sub = SLURM.submit(site, [*SLURM.job_args(spec), str(_script(tmp_path, "echo hello; exit 3"))])
    assert sub.ok and sub.job_id.isdigit(), sub.problem
    _until_gone(site, sub.job_id)
    assert SLURM.exit_status(site, sub.job_id) == 3
    assert (tmp_path / "out").read_text().strip() == "hello"


def test_cancel_ends_a_running_job(slurm_cluster, tmp_path: Path) -> None:
    site = _site(slurm_cluster)
    spec = JobSpec("envdoctor-sleep", 2, str(tmp_path / "out"), str(tmp_path / "err"), str(tmp_path))
    sub = SLURM.submit(site, [*SLURM.job_args(spec), str(_script(tmp_path, "sleep 60"))])
    assert sub.ok, sub.problem
    assert SLURM.state(site, sub.job_id).active is True
    SLURM.cancel(site, sub.job_id)
    _until_gone(site, sub.job_id, 30.0)
    assert Slurm().final(site, sub.job_id)[0] == "CANCELLED"  # (a job cancelled before it ran exits 0:0)


def test_refused_submission_says_why(slurm_cluster, tmp_path: Path) -> None:
    site = _site(slurm_cluster)
    spec = JobSpec("x", 1, str(tmp_path / "out"), str(tmp_path / "err"), partition="nosuchpart")
    sub = SLURM.submit(site, [*SLURM.job_args(spec), str(_script(tmp_path, "true"))])
    assert not sub.ok and "partition" in sub.problem.lower()


def test_partitions_and_nodes(slurm_cluster) -> None:
    site = _site(slurm_cluster)
    assert SLURM.partitions(site) == ["debug"]
    assert SLURM.nodes(site) == [slurm_cluster.node]
    assert SLURM.nodes(site, "debug") == [slurm_cluster.node]


def test_test_only_submission_runs_nothing(slurm_cluster) -> None:
    site = _site(slurm_cluster)
    ok = SLURM.test_submit(site, partition="debug")
    assert ok.ok and "to start at" in ok.message, ok.message
    assert "--test-only" in ok.completed.command
    bad = SLURM.test_submit(site, partition="nosuchpart")
    assert not bad.ok and "invalid partition" in bad.message.lower()


def test_tool_lookup_uses_the_given_path(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "sbatch"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Submitted batch job 77'\n")
    fake.chmod(0o755)
    site = Site(None, {"PATH": str(fake.parent)})
    assert site.find("slurm", "sbatch") == str(fake)
    assert Site(None, {"PATH": str(tmp_path)}).find("slurm", "sbatch") is None
    assert SLURM.submit(site, ["job.sh"]).job_id == "77"


@pytest.mark.parametrize("stdout, job_id", [("123\n", "123"), ("123;cluster\n", "123"),
                                            ("Submitted batch job 45\n", "45"), ("warning: x\n99\n", "99"),
                                            ("", ""), ("sbatch: error: Batch job submission failed\n", "")])
def test_parse_job_id(stdout: str, job_id: str) -> None:
    assert SLURM.parse_job_id(stdout) == job_id
