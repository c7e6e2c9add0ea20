"""conda.* checks against real bash started as login, interactive, batch and script shells."""
from __future__ import annotations

import pytest
from checks import recorded
from envhelpers import GUARD, PROFILE_SOURCING, RHEL_BASHRC_HEAD, Node, recipe, results

from envdoctor.checks.conda import install_commands
from envdoctor.checks.python import activate_command
from envdoctor.results import Status

IDS = ("conda.installed", "conda.shell-init")


def check(node: Node, ids: tuple[str, ...] = IDS) -> dict:
    return results(node, recipe("groq"), ids, collectors=("host", "shells"))


def test_initialised_in_bashrc_sourced_by_profile_is_ok(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", RHEL_BASHRC_HEAD + node.conda_block())
    res = check(node)
    assert res["conda.installed"].status == Status.OK
    r = res["conda.shell-init"]
    assert r.status == Status.OK, r
    login = next(e for e in r.evidence if e.startswith("login"))
    assert "shell function defined in ~/.bashrc:" in login
    assert any(e.startswith("batch") and "shell function" in e for e in r.evidence)


def test_case_a_installed_never_initialised(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", RHEL_BASHRC_HEAD)
    r = check(node)["conda.shell-init"]
    assert r.status == Status.FAIL
    assert "never initialised" in r.why and "conda initialize" in r.why
    assert r.commands[:2] == ("source ~/miniconda3/bin/activate", "conda init bash")
    assert any("log in again" in c for c in r.commands)
    assert r.step == "shell-init"
    assert any("login (bash -l -i): conda: command not found" in e for e in r.evidence)


def test_case_a_without_profile_sourcing_bashrc_adds_that_line(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", "export EDITOR=vi\n")
    r = check(node)["conda.shell-init"]
    assert r.status == Status.FAIL
    assert "echo '[ -f ~/.bashrc ] && . ~/.bashrc' >> ~/.bash_profile" in r.commands


def test_case_b_bash_profile_skips_bashrc(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", "# .bash_profile\nexport PATH=$HOME/bin:$PATH\n")
    node.write(".bashrc", RHEL_BASHRC_HEAD + node.conda_block())
    r = check(node)["conda.shell-init"]
    assert r.status == Status.FAIL
    assert "reads ~/.bash_profile" in r.why and "never sources ~/.bashrc" in r.why
    assert "lines 6-" in r.why  # where the block is
    assert r.commands[0] == "echo '[ -f ~/.bashrc ] && . ~/.bashrc' >> ~/.bash_profile"
    # a new `bash` inside the session does find it: the evidence shows the difference
    assert any(e.startswith("interactive") and "shell function" in e for e in r.evidence)


def test_case_b_profile_precedence_explained(node: Node) -> None:
    """~/.profile would source ~/.bashrc, but ~/.bash_profile exists, so bash never reads ~/.profile."""
    node.install_conda()
    node.write(".bash_profile", "export A=1\n")
    node.write(".profile", "if [ -n \"$BASH_VERSION\" ]; then\n  . \"$HOME/.bashrc\"\nfi\n")
    node.write(".bashrc", node.conda_block())
    r = check(node)["conda.shell-init"]
    assert r.status == Status.FAIL
    assert "~/.profile would source ~/.bashrc" in r.why and "is ignored" in r.why


def test_no_login_file_at_all(node: Node) -> None:
    node.install_conda()
    node.write(".bashrc", node.conda_block())
    r = check(node)["conda.shell-init"]
    assert r.status == Status.FAIL
    assert "reads none of your files" in r.why
    assert r.commands[0].endswith(">> ~/.bash_profile")


def test_case_c_block_behind_interactive_guard(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", "# ~/.bashrc\n" + GUARD + "alias ll='ls -l'\n" + node.conda_block())
    r = check(node)["conda.shell-init"]
    assert r.status == Status.WARN, r  # groq runs are PBS jobs using conda; the same severity as check --in-job
    assert "~/.bashrc line 2 (`case $- in`)" in r.why
    assert "lines 7-20" in r.why and "PBS" in r.why
    assert 'eval "$(~/miniconda3/bin/conda shell.bash hook)"' in r.commands
    assert "conda activate groqflow" in r.commands
    assert "above line 2" in r.fix
    batch = next(e for e in r.evidence if e.startswith("batch"))
    assert "command not found" in batch and "returned early in ~/.bashrc" in batch


def test_case_c_other_guard_spellings(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    for guard in ('[ -z "$PS1" ] && return\n', "[[ $- != *i* ]] && return\n"):
        node.write(".bashrc", "# rc\n" + guard + node.conda_block())
        r = check(node)["conda.shell-init"]
        assert r.status == Status.WARN
        assert "~/.bashrc line 2" in r.why


def test_case_d_not_installed(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", RHEL_BASHRC_HEAD)
    res = check(node)
    assert res["conda.installed"].status == Status.FAIL
    assert "bash Miniconda3-latest-Linux-x86_64.sh -b -p ~/miniconda3" in res["conda.installed"].commands
    r = res["conda.shell-init"]
    assert r.status == Status.FAIL and "not installed" in r.why
    assert any(c.startswith("cd ~ && wget https://repo.anaconda.com/miniconda/") for c in r.commands)


def test_block_points_at_a_removed_prefix(node: Node) -> None:
    node.install_conda()
    old = node.conda_block().replace(str(node.home / "miniconda3"), str(node.home / "anaconda3"))
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", old)
    r = check(node)["conda.shell-init"]
    assert r.status == Status.FAIL
    assert "~/anaconda3/bin/conda, which does not exist" in r.why
    assert r.commands[0] == "~/miniconda3/bin/conda init bash"


def test_conda_only_as_program_on_path(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", 'export PATH="$HOME/miniconda3/bin:$PATH"\n')
    r = check(node)["conda.shell-init"]
    assert r.status == Status.WARN
    assert "Run 'conda init' before 'conda activate'" in r.why


def test_base_active_on_a_venv_recipe(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", node.conda_block() + "conda activate base\n")
    res = results(node, recipe("cerebras"), ("conda.base-active", "sdk.conda-unsupported"),
                  collectors=("host", "shells"))
    r = res["conda.base-active"]
    assert r.status == Status.FAIL
    assert "(venv_cerebras_pt) (base)" in r.why
    assert "conda deactivate" in r.commands and "conda config --set auto_activate_base false" in r.commands
    assert res["sdk.conda-unsupported"].status == Status.WARN


def test_no_conda_on_a_venv_recipe_is_ok(node: Node) -> None:
    node.write(".bashrc", RHEL_BASHRC_HEAD)
    res = results(node, recipe("graphcore"), ("conda.base-active", "sdk.conda-unsupported"),
                  collectors=("host", "shells"))
    assert res["conda.base-active"].status == Status.OK
    assert res["sdk.conda-unsupported"].status == Status.OK


# --- on recorded probes (tests/checks/probes/): the outcomes of real shells, in milliseconds ----
# (fault, conda.installed, conda.shell-init, a phrase of shell-init's why) on the groq course
CONDA_FAULTS = [
    ("ready", Status.OK, Status.OK, ""),
    ("fresh", Status.FAIL, Status.FAIL, "Miniconda is not installed (case: not installed)"),
    ("conda-missing", Status.FAIL, Status.FAIL, "Miniconda is not installed (case: not installed)"),
    ("conda-not-initialized", Status.OK, Status.FAIL, "never initialised for bash"),
    ("bash-profile-skips-bashrc", Status.OK, Status.FAIL, "~/.bash_profile never sources ~/.bashrc"),
    ("conda-init-behind-guard", Status.OK, Status.WARN, "returns for non-interactive shells"),
]


@pytest.mark.parametrize("fault, installed, shell_init, phrase",
                         [f for f in CONDA_FAULTS if f"groq-{f[0]}" in recorded.names()])
def test_recorded_conda_outcomes(fault: str, installed: Status, shell_init: Status, phrase: str) -> None:
    found = recorded.results(f"groq-{fault}")
    _, rec = recorded.load(f"groq-{fault}")
    inst, init = found["conda.installed"], found["conda.shell-init"]
    assert (inst.status, init.status) == (installed, shell_init), (inst.why, init.why)
    assert phrase in init.why
    if installed == Status.FAIL:  # the installer, then init, both times
        assert inst.commands == tuple(install_commands(rec)) == init.commands
    else:
        assert inst.evidence == ("~/miniconda3/bin/conda (conda 24.11.3)",)
    assert any(e.startswith("login (bash -l -i): ") for e in init.evidence)  # what each shell did


@pytest.mark.parametrize("name", [n for n in recorded.names() if recorded.split(n)[1] == "conda-base-active"])
def test_recorded_base_active_on_a_venv_course(name: str) -> None:
    _, rec = recorded.load(name)
    found = recorded.results(name)
    r = found["conda.base-active"]
    assert r.status == Status.FAIL and "conda env 'base' is active in a fresh login shell" in r.why
    assert r.commands == ("conda deactivate", activate_command(rec), "conda config --set auto_activate_base false")
    assert r.evidence[0] == "CONDA_DEFAULT_ENV=base"
    assert found["venv.exists"].status == Status.OK  # the course's own env is untouched


@pytest.mark.parametrize("name", [n for n in recorded.names() if recorded.split(n)[1] == "ready"
                                  and recorded.load(n)[1].environment.kind != "conda"])
def test_recorded_no_conda_active_on_a_ready_venv_course(name: str) -> None:
    r = recorded.results(name)["conda.base-active"]
    assert r.status == Status.OK and r.evidence == ("no conda env active in a fresh login shell",)
