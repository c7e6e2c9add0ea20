"""The PBS scheduler layer against the simulated GroqRack's PBS stand-in (qsub/qstat/qdel),
and its parsers against the formats of the OpenPBS qstat(1B) manual page."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from envdoctor.schedulers import SCHEDULERS, JobSpec, Site
from envdoctor.schedulers.pbs import COMPLETED_STATES, node_names, queue_admits, queue_names, table_state

PBS = SCHEDULERS["pbs"]


@pytest.fixture
def groq_site(sim_node) -> Site:
    target = sim_node("groq")
    return Site(target, target.process_env())


def _submit(site: Site, tmp_path: Path, body: str, name: str = "envdoctor-test"):
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n" + body + "\n")
    spec = JobSpec(name, 5, str(tmp_path / "job.out"), str(tmp_path / "job.err"))
    return PBS.submit(site, [*PBS.job_args(spec), str(script)], cwd=str(tmp_path))


def _until_gone(site: Site, job_id: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while PBS.state(site, job_id).active is not False:
        assert time.monotonic() < deadline, f"job {job_id} still queued after {limit} s"
        time.sleep(0.1)


def test_submit_state_exit_status_and_output(groq_site: Site, tmp_path: Path) -> None:
    sub = _submit(groq_site, tmp_path, "echo from-the-job; exit 4")
    assert sub.ok and sub.job_id.endswith(".groq-r01-co"), sub.problem
    assert groq_site.tool("pbs", "qsub").startswith(groq_site.target.root)  # the node's own qsub
    _until_gone(groq_site, sub.job_id)
    assert PBS.exit_status(groq_site, sub.job_id) == 4
    assert (tmp_path / "job.out").read_text().strip() == "from-the-job"


def test_cancel(groq_site: Site, tmp_path: Path) -> None:
    sub = _submit(groq_site, tmp_path, "sleep 60")
    assert sub.ok, sub.problem
    assert PBS.state(groq_site, sub.job_id).active is True
    PBS.cancel(groq_site, sub.job_id)
    _until_gone(groq_site, sub.job_id, 10.0)
    assert PBS.exit_status(groq_site, sub.job_id) == 271  # PBS: killed by qdel (256 + SIGTERM)


def test_refused_submission(groq_site: Site, tmp_path: Path) -> None:
    sub = PBS.submit(groq_site, [str(tmp_path / "no-such-script.sh")], cwd=str(tmp_path))
    assert not sub.ok and "No such file" in sub.problem


def test_unknown_job_has_left_the_queue(groq_site: Site) -> None:
    assert PBS.state(groq_site, "999999.groq-r01-co").active is False
    assert PBS.exit_status(groq_site, "999999.groq-r01-co") is None


# The default job table of qstat(1B): the S column is the state.
TABLE = """Job id            Name             User              Time Use S Queue
----------------  ---------------- ----------------  -------- - -----
{id:<17} envdoctor-injob  student           00:00:01 {state} workq
"""


@pytest.mark.parametrize("state, active", [("Q", True), ("R", True), ("E", True), ("H", True),
                                           ("F", False), ("X", False), ("C", False)])
def test_completion_states(state: str, active: bool) -> None:
    got = table_state(TABLE.format(id="123.pbs01", state=state), "123.pbs01")
    assert got == state and (got not in COMPLETED_STATES) is active


def test_table_state_of_another_job_is_empty() -> None:
    assert table_state(TABLE.format(id="124.pbs01", state="R"), "123.pbs01") == ""


def test_queue_and_node_listings() -> None:
    queues = ("Queue              Max   Tot Ena Str   Que   Run   Hld   Wat   Trn   Ext Type\n"
              "---------------- ----- ----- --- --- ----- ----- ----- ----- ----- ----- ----\n"
              "workq                0     3 yes yes     1     2     0     0     0     0 Exec\n"
              "debug                0     0 yes yes     0     0     0     0     0     0 Exec\n")
    assert queue_names(queues) == ["workq", "debug"]
    nodes = "groq-r01-gn-01\n     Mom = groq-r01-gn-01\n     state = free\n\ngroq-r01-gn-02\n     state = offline\n"
    assert node_names(nodes) == ["groq-r01-gn-01", "groq-r01-gn-02"]


def test_queue_admits() -> None:
    full = "Queue: workq\n    queue_type = Execution\n    enabled = True\n    started = True\n"
    assert queue_admits(full, "ann") == (True, "queue workq is enabled and started")
    assert not queue_admits(full.replace("enabled = True", "enabled = False"), "ann")[0]
    acl = full + "    acl_user_enable = True\n    acl_users = bob@login,carl\n"
    ok, why = queue_admits(acl, "ann")
    assert not ok and "acl_users" in why
    assert queue_admits(acl, "carl")[0]


@pytest.mark.parametrize("stdout, job_id", [("101.groq-r01-co\n", "101.groq-r01-co"), ("12[].srv\n", "12[].srv"),
                                            ("qsub: Unknown queue\n", ""), ("", "")])
def test_parse_job_id(stdout: str, job_id: str) -> None:
    assert PBS.parse_job_id(stdout) == job_id
