"""host.*, shell.*, scheduler.* and sdk.* checks against real bash."""
from __future__ import annotations

import os
from pathlib import Path

from envhelpers import PROFILE_SOURCING, Node, recipe, results

from envdoctor.results import Status

SHELL_IDS = ("shell.startup-files", "shell.path", "shell.variables")


def test_node_role_run_login_other(node: Node) -> None:
    rec = recipe("groq")
    assert results(node, rec, ("host.node-role",), ("host",))["host.node-role"].status == Status.OK
    node.hostname = "groq-login-02.ai.alcf.anl.gov"
    r = results(node, rec, ("host.node-role",), ("host",))["host.node-role"]
    assert r.status == Status.WARN and r.commands == ("ssh groq-r01-gn-01.ai.alcf.anl.gov",)
    node.hostname = "laptop"
    assert results(node, rec, ("host.node-role",), ("host",))["host.node-role"].status == Status.SKIP


def test_home_missing_is_a_finding(tmp_path: Path) -> None:
    n = Node(tmp_path / "n")
    n.home.rmdir()
    res = results(n, recipe("groq"), ("host.home", "shell.startup-files"), ("host", "shells"))
    assert res["host.home"].status == Status.FAIL and "does not exist" in res["host.home"].why
    assert res["shell.startup-files"].status in (Status.OK, Status.FAIL)  # a finding, never an error


def test_clean_startup_files(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", "export EDITOR=vi\n")
    res = results(node, recipe("groq"), SHELL_IDS, ("host", "shells"))
    assert res["shell.startup-files"].status == Status.OK
    assert res["shell.path"].status == Status.OK


def test_syntax_error_named_with_file_and_line(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", "export A=1\nif [ -n \"$A\" ]; then\n  echo hi\n")
    r = results(node, recipe("groq"), SHELL_IDS, ("host", "shells"))["shell.startup-files"]
    assert r.status == Status.FAIL
    assert "`bash -n ~/.bashrc` reports: ~/.bashrc: line 4: syntax error" in r.why
    assert "bash -n ~/.bashrc" in r.commands


def test_unreadable_dotfiles_are_findings(node: Node) -> None:
    (node.home / ".bashrc").mkdir()  # a directory where the file should be
    (node.home / ".bash_profile").symlink_to(node.home / "dotfiles" / "bash_profile")  # dangling
    res = results(node, recipe("groq"), SHELL_IDS + ("conda.shell-init",), ("host", "shells"))
    r = res["shell.startup-files"]
    assert r.status == Status.FAIL
    assert "~/.bashrc is a directory" in r.why
    assert "~/.bash_profile is a symlink to" in r.why and "which does not exist" in r.why
    assert all(x.status != Status.ERROR for x in res.values())


def test_exit_in_startup_file(node: Node) -> None:
    node.write(".bash_profile", "exit 3\n")
    r = results(node, recipe("groq"), SHELL_IDS, ("host", "shells"))["shell.startup-files"]
    assert r.status == Status.FAIL and "never reached its command" in r.why


def test_crlf_line_endings(node: Node) -> None:
    node.write(".bash_profile", PROFILE_SOURCING)
    (node.home / ".bashrc").write_bytes(b"export A=1\r\nexport B=2\r\n")
    r = results(node, recipe("groq"), SHELL_IDS, ("host", "shells"))["shell.startup-files"]
    assert r.status == Status.WARN and "CRLF" in r.why
    assert "sed -i 's/\\r$//' ~/.bashrc" in r.commands


def test_path_entry_that_does_not_exist(node: Node) -> None:
    node.write(".bash_profile", 'export PATH="$HOME/sdk/old/bin:/opt/gone/bin:$PATH::"\n')
    r = results(node, recipe("groq"), SHELL_IDS, ("host", "shells"))["shell.path"]
    assert r.status == Status.WARN
    assert "~/sdk/old/bin" in r.why and "/opt/gone/bin" in r.why and "relative or empty" in r.why
    assert r.commands[0] == "grep -n '~/sdk/old/bin' ~/.bashrc ~/.bash_profile ~/.profile"


def test_recipe_variables_in_login_shell(node: Node) -> None:
    rec = recipe("graphcore")
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", f"export POPLAR_SDK_ROOT={node.root}/software/graphcore/poplar_sdk/3.3.0\n")
    r = results(node, rec, ("shell.variables",), ("host", "shells"))["shell.variables"]
    assert r.status == Status.FAIL and "POPTORCH_CACHE_DIR" in r.why and "POPLAR_SDK_ROOT" not in r.why
    assert "echo 'export POPTORCH_CACHE_DIR=~/tmp' >> ~/.bashrc" in r.commands
    node.write(".bashrc", f"export POPLAR_SDK_ROOT={node.root}/software/graphcore/poplar_sdk/3.3.0\n"
                          "export POPTORCH_CACHE_DIR=$HOME/tmp\n")
    assert results(node, rec, ("shell.variables",), ("host", "shells"))["shell.variables"].status == Status.OK


def _scheduler_node(node: Node) -> Path:
    bin_dir = node.root / "opt" / "pbs" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("qsub", "qstat", "qdel"):
        (bin_dir / name).write_text("#!/bin/sh\necho 1.groq-r01-co\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def test_scheduler_commands_and_submit_host(node: Node) -> None:
    bin_dir = _scheduler_node(node)
    ids = ("scheduler.commands", "scheduler.submit-host")
    node.write(".bash_profile", f"export PATH={bin_dir}:$PATH\n")
    res = results(node, recipe("groq"), ids, ("host", "shells", "scheduler"))
    assert res["scheduler.commands"].status == Status.OK
    assert res["scheduler.submit-host"].status == Status.OK
    node.write(".bash_profile", "export PATH=/usr/bin:/bin\n")
    res = results(node, recipe("groq"), ids, ("host", "shells", "scheduler"))
    assert res["scheduler.commands"].status == Status.FAIL and "qsub, qstat, qdel" in res["scheduler.commands"].why
    node.hostname = "groq-login-01"
    res = results(node, recipe("groq"), ids, ("host", "shells", "scheduler"))
    assert res["scheduler.submit-host"].status == Status.WARN
    assert "qsub is not supported here" in res["scheduler.submit-host"].why
    node.hostname = "gc-login-04"
    r = results(node, recipe("graphcore"), ids, ("host", "shells", "scheduler"))["scheduler.submit-host"]
    assert r.status == Status.WARN and "srun or sbatch" in r.why


def test_sdk_tools_login_shell(node: Node) -> None:
    node.hostname = "gc-poplar-02"
    sdk = node.root / "software/graphcore/poplar_sdk/3.3.0"
    (sdk / "bin").mkdir(parents=True)
    (sdk / "bin" / "popc").write_text("#!/bin/sh\necho 'POPLAR version 3.3.0 (simulated)'\necho 'clang version 16'\n")
    (sdk / "bin" / "popc").chmod(0o755)
    (sdk / "enable").write_text(f'export PATH="{sdk}/bin:$PATH" POPLAR_SDK_ENABLED={sdk}\n')
    rec = recipe("graphcore")
    r = results(node, rec, ("sdk.tools",), ("host", "shells", "sdk", "python_env"))["sdk.tools"]
    assert r.status == Status.FAIL
    assert "popc: command not found" in r.why
    assert "source /software/graphcore/poplar_sdk/3.3.0/enable" in r.commands
    node.write(".bash_profile", f". {sdk}/enable\n")
    r = results(node, rec, ("sdk.tools",), ("host", "shells", "sdk", "python_env"))["sdk.tools"]
    assert r.status == Status.OK, r
    assert any("POPLAR version 3.3.0" in e for e in r.evidence)
    (sdk / "bin" / "popc").write_text("#!/bin/sh\necho 'POPLAR version 3.2.0'\n")
    r = results(node, rec, ("sdk.tools",), ("host", "shells", "sdk", "python_env"))["sdk.tools"]
    assert r.status == Status.FAIL and "POPLAR version 3.2.0" in r.why


def test_disk_free_against_recipe(node: Node) -> None:
    r = results(node, recipe("groq"), ("disk.free",), ("disk",))["disk.free"]
    assert r.status in (Status.OK, Status.WARN)
    r = results(node, recipe("groq", disk_gb=10.0 ** 9), ("disk.free",), ("disk",))["disk.free"]
    assert r.status == Status.FAIL and "needs about 1e+09 GB" in r.why


def test_host_collector_never_stores_secrets(monkeypatch, node: Node) -> None:
    from envdoctor.collectors.host import keep_env, redact_url

    assert redact_url("http://bob:s3cret@proxy:3128") == "http://bob:***@proxy:3128"
    kept = keep_env({"HTTPS_PROXY": "http://u:pw@p:1", "GITHUB_TOKEN": "x", "PATH": "/bin", "AWS_SECRET": "y"})
    assert kept == {"HTTPS_PROXY": "http://u:***@p:1", "PATH": "/bin"}
    assert os.environ.get("HOME")
