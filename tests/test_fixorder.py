"""Fixes in the order that works: what a fix depends on first, each command once."""
from __future__ import annotations

from envdoctor.fixorder import next_steps, rank
from envdoctor.results import CheckResult, Status


def _fail(check_id: str, *commands: str, category: str = "conda") -> CheckResult:
    return CheckResult(check_id, category, check_id, Status.FAIL, "why", "fix", tuple(commands))


INSTALL = ("cd ~ && wget https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh",
           "bash Miniconda3-latest-Linux-x86_64.sh -b -p ~/miniconda3", "~/miniconda3/bin/conda init bash",
           "# log out and log in again (or: source ~/.bashrc)")


def test_a_fresh_groq_account_clones_before_installing_from_the_clone() -> None:
    """Report order (by area) puts the env before the repo; the fixes need the clone first."""
    report = [
        _fail("conda.installed", *INSTALL),
        _fail("conda.shell-init", *INSTALL),
        _fail("conda.env-exists", "conda create -n groqflow python=3.10.12 -y", "conda activate groqflow",
              "cd ~/groqflow && pip install -e ."),
        _fail("repo.cloned", "git clone https://github.com/groq/groqflow.git ~/groqflow", category="repo"),
    ]
    steps = next_steps(report)
    assert [s.check_id for s in steps] == ["conda.installed", "repo.cloned", "conda.env-exists"]
    assert steps[0].commands == INSTALL, "conda.shell-init repeated the install: given once"


def test_user_site_cleanup_comes_before_reinstalling() -> None:
    report = [_fail("packages.required", "pip install datasets==2.21.0", category="packages"),
              _fail("packages.user-site", "python3 -m pip uninstall -y datasets", category="packages")]
    assert [s.check_id for s in next_steps(report)] == ["packages.user-site", "packages.required"]


def test_ok_results_and_comment_only_fixes_are_not_steps() -> None:
    ok = CheckResult("host.home", "host", "home", Status.OK)
    note_only = _fail("config.data-dir", "# in ~/x.yaml set:", category="config")
    assert next_steps([ok, note_only]) == []


def test_unknown_areas_go_last() -> None:
    assert rank("host.node-role") < rank("conda.installed") < rank("repo.cloned") < rank("conda.env-exists")
    assert rank("inference.token") > rank("run.reference")
