"""`check --in-job`: faults that only show inside a batch job (PBS stand-in, real Slurm)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envdoctor.diagnose import CheckOptions
from envdoctor.injob import add_in_job
from envdoctor.recipe import catalog
from envdoctor.results import Report
from envdoctor.targets import SimTarget, Target, open_sim

if TYPE_CHECKING:
    from envdoctor.collectors.shells import ShellMode

# The classic: everything the student set up sits after the interactive guard of ~/.bashrc.
BASHRC = """# .bashrc
[ -f {root}/etc/bashrc ] && . {root}/etc/bashrc
[[ $- != *i* ]] && return
export PATH=$HOME/tools/bin:$PATH
export HTTPS_PROXY=http://proxy.alcf.anl.gov:3128
conda() {{ echo "conda 24.1.0 (shell function)"; }}
"""


def _mini_node(sim_node, platform: str, hostname: str) -> Target:
    """A fresh node of the platform (the one node builder), on host `hostname`, whose ~/.bashrc
    is the classic above."""
    node = sim_node(platform)
    root = Path(node.root)
    meta = json.loads((root / "sim.json").read_text())
    meta["hostname"] = hostname
    (root / "sim.json").write_text(json.dumps(meta))
    home = Path(node.home)
    (home / "tools" / "bin").mkdir(parents=True)
    (home / ".bashrc").write_text(BASHRC.format(root=root))
    return open_sim(str(root))


def _empty_report(platform: str, target: Target) -> Report:
    return Report(platform, "x", "sim", target.hostname, "run", (), user=target.user)


def _by_id(report: Report) -> dict:
    return {r.id: r for r in report.results}


def test_pbs_job_misses_what_follows_the_interactive_guard(sim_node) -> None:
    target = _mini_node(sim_node, "groq", "groq-r01-gn-01")
    recipe = catalog().get("groq")
    got = _by_id(add_in_job(_empty_report("groq", target), recipe, target, CheckOptions("groq", in_job=True)))
    assert got["injob.submit"].status.value == "ok", got["injob.submit"]
    assert got["injob.env.conda"].status.value == "warn"  # the same severity as conda.shell-init
    assert "not found in a batch job" in got["injob.env.conda"].why
    assert any("shell.bash hook" in c for c in got["injob.env.conda"].commands)
    assert got["injob.env.path"].status.value == "warn" and "~/tools/bin" in got["injob.env.path"].why
    assert "HTTPS_PROXY" in got["injob.env.proxy"].why
    assert got["injob.env.home"].status.value == "ok"


def test_pbs_refuses_a_login_node(sim_node) -> None:
    target = _mini_node(sim_node, "groq", "groq-login-01")
    got = _by_id(add_in_job(_empty_report("groq", target), catalog().get("groq"), target, CheckOptions("groq")))
    sub = got["injob.submit"]
    assert sub.status.value == "fail" and "login nodes" in sub.why
    assert sub.commands == (catalog().get("groq").hosts.next_hop,)


@pytest.mark.slurm
def test_slurm_job_loses_shell_functions_but_keeps_exports(sim_node, slurm_env) -> None:
    """A Slurm job inherits exported variables, not functions: conda differs, PATH does not."""
    target = _mini_node(sim_node, "sambanova", "sn30-r1-h1")
    rep = add_in_job(_empty_report("sambanova", target), catalog().get("sambanova"), target,
                     CheckOptions("sambanova", in_job=True, nodes="all"))
    got = _by_id(rep)
    assert got["injob.submit"].status.value == "ok", got["injob.submit"]
    assert got["injob.env.path"].status.value == "ok"
    assert got["injob.env.proxy"].status.value == "ok"
    assert got["injob.env.conda"].status.value == "warn"  # SambaNova does not use conda: a warning
    assert rep.extra["in_job"]["jobs"] and all(j["state"] == "done" for j in rep.extra["in_job"]["jobs"])


def test_found_in_job_not_by_the_plain_check(tmp_path: Path, sim_node, cli) -> None:
    """The real command on a simulated Groq node built by the sim builder."""
    pytest.importorskip("envdoctor.targets.sim.builder")
    node = sim_node("groq")
    sim = json.loads((Path(node.root) / "sim.json").read_text())
    if not sim["hostname"].startswith("groq-r01-gn"):
        sim["hostname"] = "groq-r01-gn-01"
        (Path(node.root) / "sim.json").write_text(json.dumps(sim))
    (Path(node.home) / "mytools" / "bin").mkdir(parents=True)  # a real tool dir: nothing wrong at the prompt
    rc_path = Path(node.home) / ".bashrc"
    rc_path.write_text(rc_path.read_text() + "\n[[ $- != *i* ]] && return\nexport PATH=$HOME/mytools/bin:$PATH\n")
    args = ("check", "groq", "--target", "sim", "--sim-root", node.root, "--json", "--offline")
    rc, out, err = cli(*args)
    plain = json.loads(out)
    problems = [c for c in plain["checks"] if c["status"] in ("warn", "fail", "error")]
    assert not any("mytools" in json.dumps(c) for c in problems)
    assert not any(c["id"].startswith("injob.") for c in plain["checks"])
    rc, out, err = cli(*args, "--in-job")
    injob = {c["id"]: c for c in json.loads(out)["checks"]}
    assert injob["injob.submit"]["status"] == "ok", injob["injob.submit"]
    assert injob["injob.env.path"]["status"] == "warn" and "~/mytools/bin" in injob["injob.env.path"]["why"]


def test_nodes_are_aggregated_per_check_id() -> None:
    from envdoctor.injob import merge_nodes
    from envdoctor.results import CheckResult, Status

    ok = CheckResult("injob.env.path", "shell", "PATH", Status.OK)
    bad = CheckResult("injob.env.path", "shell", "PATH", Status.WARN, "a dir is missing", "add it")
    merged = merge_nodes([("n1", [ok]), ("n2", [bad]), ("n3", [ok])])
    assert len(merged) == 1 and merged[0].status == Status.WARN
    assert merged[0].why.startswith("on 1 of 3 nodes (n2): a dir is missing")
    assert merge_nodes([("n1", [ok]), ("n2", [ok])])[0].evidence == ("ok on 2 of 2 nodes",)


# --- the comparison: two ShellModes of one type (the collector's facts of the login shell,
# and the same capture's facts inside the job) -----------------------------------------

def _mode(mode: str, **kw: object) -> ShellMode:
    from envdoctor.collectors.shells import PathEntry, ShellMode

    base: dict = {"reached": True, "conda_type": "", "activate": "ok", "python_version": "3.10.13",
                  "python3_version": "3.10.13", "activated_python": "3.10.13", "module_type": "function",
                  "env": {"HOME": "~", "PATH": "~/bin:/usr/bin"},
                  "path": (PathEntry("~/bin", True, True), PathEntry("/usr/bin", True, True))}
    base.update(kw)
    return ShellMode(mode, **base)  # type: ignore[arg-type]


def _compare(platform: str, login: ShellMode, job_mode: ShellMode, tmp_path: Path) -> dict:
    from envdoctor.injob import Job, compare

    target = SimTarget(str(tmp_path / "home"), "student", "gn-01", str(tmp_path), {"mapped_roots": ["opt"]})
    job = Job("gn-01", tmp_path, facts=job_mode, state="done")
    return {r.id: r for r in compare(login, job, catalog().get(platform), target, _empty_report(platform, target))}


def test_same_shell_in_job_and_prompt_is_all_ok(tmp_path: Path) -> None:
    got = _compare("graphcore", _mode("login"), _mode("job"), tmp_path)
    assert {r.status.value for r in got.values()} == {"ok"}
    assert set(got) == {"injob.env.home", "injob.env.path", "injob.env.activate", "injob.env.python",
                        "injob.env.modules", "injob.env.proxy", "injob.env.variables"}


def test_each_difference_is_its_own_result(tmp_path: Path) -> None:
    from envdoctor.collectors.shells import PathEntry

    login = _mode("login", env={"HOME": "~", "POPLAR_SDK_ROOT": "/opt/poplar", "POPTORCH_CACHE_DIR": "~/c",
                                "LOADEDMODULES": "gcc/12:cuda/12"})
    job = _mode("job", activate="failed", activated_python="", module_type="",
                env={"HOME": "/tmp", "POPTORCH_CACHE_DIR": "/tmp/c", "LOADEDMODULES": "gcc/12"},
                path=(PathEntry("/usr/bin", True, True),))
    got = _compare("graphcore", login, job, tmp_path)
    assert got["injob.env.home"].status.value == "fail"
    assert got["injob.env.home"].why == "HOME is /tmp in a batch job on gn-01, ~ at your prompt"
    assert got["injob.env.path"].why.startswith("1 PATH entry is missing in a batch job on gn-01: ~/bin")
    assert got["injob.env.path"].commands == ("export PATH=~/bin:$PATH",)
    assert got["injob.env.activate"].status.value == "fail" and got["injob.env.activate"].category == "venv"
    assert got["injob.env.python"].status.value == "fail"  # the activated env's Python differs first
    assert "python of the activated environment: 3.10.13 at the prompt, none" in got["injob.env.python"].why
    assert got["injob.env.modules"].status.value == "warn" and "cuda/12" in got["injob.env.modules"].why
    assert got["injob.env.modules"].commands[-1] == "module load cuda/12"
    var = got["injob.env.variables"]
    assert var.status.value == "fail" and var.why.startswith("POPLAR_SDK_ROOT is set at your prompt but not")
    assert var.commands == ("export POPLAR_SDK_ROOT=/opt/poplar",)


def test_python_an_alias_at_the_prompt_is_a_failure_in_the_job(tmp_path: Path) -> None:
    login = _mode("login", python_type="alias", python_version="3.10.13")
    job = _mode("job", python_version="3.6.8")
    got = _compare("graphcore", login, job, tmp_path)["injob.env.python"]
    assert got.status.value == "fail" and "aliases do not exist in jobs" in got.why
    plain = _compare("graphcore", _mode("login"), _mode("job", python3_version="3.6.8"), tmp_path)["injob.env.python"]
    assert plain.status.value == "warn" and "`python3`: 3.10.13 at the prompt, 3.6.8 in a batch job" in plain.why


def test_conda_initialised_only_at_the_prompt(tmp_path: Path) -> None:
    got = _compare("groq", _mode("login", conda_type="function"), _mode("job", conda_type="file", activate="failed"),
                   tmp_path)["injob.env.conda"]
    assert got.status.value == "warn" and "on PATH but not initialised" in got.why
    assert "`conda activate groqflow` fails in a batch job on gn-01" in got.evidence
    both = _compare("groq", _mode("login", conda_type="function"), _mode("job", conda_type="function",
                                                                        activate="failed"), tmp_path)
    assert both["injob.env.conda"].status.value == "fail"  # conda is there, the env does not activate
