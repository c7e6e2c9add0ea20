"""envdoctor.collectors.scheduler: job variables of the current shell, typed, round-tripped."""
from __future__ import annotations

import json

from envhelpers import recipe

from envdoctor.collectors.scheduler import JOB_VARS, SchedulerFacts, collect_scheduler
from envdoctor.probe import ProbeContext
from envdoctor.targets import real


def test_a_simulated_node_is_never_inside_a_job(sim_node, monkeypatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "7")  # envdoctor's own environment is not the node's shell
    facts = collect_scheduler(ProbeContext(sim_node("graphcore"), recipe("graphcore")))
    assert facts == SchedulerFacts("slurm", {})
    assert SchedulerFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_the_current_shell_job_variables_are_kept(monkeypatch) -> None:
    for var in JOB_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("PBS_JOBID", "17.groq-r01-gn-01")
    facts = collect_scheduler(ProbeContext(real(), recipe("groq")))
    assert facts.kind == "pbs" and facts.in_job == {"SLURM_JOB_ID": "4242", "PBS_JOBID": "17.groq-r01-gn-01"}
    assert SchedulerFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    assert {"SLURM_JOB_ID", "SLURM_JOBID", "PBS_JOBID"} <= set(JOB_VARS)
