"""`envdoctor sim shell`: the student's login shell on a simulated node, where the commands
envdoctor prints for the node work verbatim (ALCF paths, real upstream URLs, offline pip)."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from envdoctor.targets import Target
from envdoctor.targets.sim import shell as sim_shell

ENVDOCTOR = (sys.executable, "-m", "envdoctor")
HAVE_NAMESPACE = sim_shell.namespace_available() == ""


def envdoctor(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENVDOCTOR, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def in_shell(root: str, script: str) -> subprocess.CompletedProcess[str]:
    return envdoctor("sim", "shell", "--root", root, "-c", script, timeout=120)


@pytest.mark.skipif(not HAVE_NAMESPACE, reason="no private mount namespace on this machine (unshare)")
def test_alcf_paths_hostname_and_urls_answer_from_the_node(sim_node) -> None:
    node: Target = sim_node("groq")
    got = in_shell(node.root, "hostname; test -d /opt/pbs/bin && echo pbs-here; "
                              "cd ~ && wget -q https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh "
                              "&& head -c 2 Miniconda3-latest-Linux-x86_64.sh && echo; "
                              "git clone -q https://github.com/groq/groqflow.git ~/gf && git -C ~/gf tag | head -3")
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[0] == node.meta["hostname"]
    assert "pbs-here" in lines and "#!" in lines
    assert (Path(node.home) / "gf" / ".git").is_dir(), "the clone of the real URL lands in the node's home"
    assert not Path("/opt/pbs").exists(), "the node's /opt exists only inside the shell"


@pytest.mark.skipif(not HAVE_NAMESPACE, reason="no private mount namespace on this machine (unshare)")
def test_other_hosts_fail_like_an_offline_machine(sim_node) -> None:
    node: Target = sim_node("groq")
    wget = in_shell(node.root, "wget https://example.org/data.tar.gz")
    curl = in_shell(node.root, "curl -sSL https://example.org/data.tar.gz")
    assert wget.returncode == 4 and "unable to resolve host address 'example.org'" in wget.stderr
    assert curl.returncode == 6 and "Could not resolve host: example.org" in curl.stderr
    assert not (Path(node.home) / "data.tar.gz").exists()


def test_command_exit_status_is_the_shells(sim_node) -> None:
    node: Target = sim_node("groq")
    assert in_shell(node.root, "exit 7").returncode == 7


def test_no_node_is_one_line_exit_2(tmp_path: Path) -> None:
    got = envdoctor("sim", "shell", "--root", str(tmp_path / "nothing"), "-c", "true")
    assert got.returncode == 2
    assert len(got.stderr.strip().splitlines()) == 1 and "sim create" in got.stderr


def test_git_maps_urls_with_and_without_dot_git(sim_node) -> None:
    node: Target = sim_node("groq")
    env = sim_shell.git_url_config(node)
    pairs = {env[f"GIT_CONFIG_VALUE_{i}"]: env[f"GIT_CONFIG_KEY_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))}
    assert "https://github.com/groq/groqflow.git" in pairs and "https://github.com/groq/groqflow" in pairs


# --- a person at a terminal: tmux ---------------------------------------------------------------

class Terminal:
    """A real terminal (tmux) on its own server socket; typing and reading the screen."""

    def __init__(self, tmp: Path) -> None:
        self.socket = f"envdoctor-{uuid.uuid4().hex[:8]}"
        self.marks = 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
        env["PS1"] = "$ "
        subprocess.run(["tmux", "-L", self.socket, "new-session", "-d", "-s", "t", "-x", "220", "-y", "50",
                        "bash --norc --noprofile"], check=True, env=env, cwd=tmp)

    def type(self, line: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", "t", "-l", line], check=True)
        subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", "t", "Enter"], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "t", "-S", "-3000"],
                              capture_output=True, text=True, check=True).stdout

    def exit_status(self, timeout: float = 240) -> int:
        """Type a marker after the last command and wait for its answer: that command's status."""
        self.marks += 1
        self.type(f"echo __done_{self.marks}_$?")
        pattern = re.compile(rf"^__done_{self.marks}_(\d+)\s*$", re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = pattern.search(self.screen())
            if found:
                return int(found.group(1))
            time.sleep(0.2)
        raise AssertionError(f"no answer in {timeout} s; screen:\n{self.screen()[-3000:]}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_NAMESPACE, reason="no private mount namespace on this machine (unshare)")
@pytest.mark.skipif(subprocess.run(["which", "tmux"], capture_output=True).returncode != 0, reason="tmux is not installed")
def test_a_fresh_account_set_up_by_hand_from_the_printed_fixes(sim_node, tmp_path: Path) -> None:
    """A student on a fresh Groq account types what `check` prints, in its order, in `sim shell`;
    "log out and log in again" is done as a person would (exit, open the shell again)."""
    node: Target = sim_node("groq")
    first = envdoctor("check", "groq", "--target", "sim", "--sim-root", str(node.root), "--json")
    report = json.loads(first.stdout)
    assert report["exit_code"] == 1 and len(report["next_steps"]) >= 3
    order = [s["check"] for s in report["next_steps"]]
    assert order.index("repo.cloned") < order.index("conda.env-exists"), "clone before `pip install -e` from it"
    enter = " ".join(shlex.quote(a) for a in (*ENVDOCTOR, "sim", "shell", "--root", str(node.root)))
    term = Terminal(tmp_path)
    try:
        term.type(enter)
        for step in report["next_steps"]:
            for command in step["commands"]:
                if command.startswith("#"):
                    if "log out and log in again" in command:
                        term.type("exit")
                        term.type(enter)
                    continue
                term.type(command)
                assert term.exit_status() == 0, f"`{command}` ({step['check']}) failed:\n{term.screen()[-3000:]}"
        term.type("exit")
    finally:
        term.close()
    after = envdoctor("check", "groq", "--target", "sim", "--sim-root", str(node.root), "--json")
    final = json.loads(after.stdout)
    failing = [c["id"] for c in final["checks"] if c["status"] in ("fail", "error")]
    assert after.returncode == 0 and not failing, failing
