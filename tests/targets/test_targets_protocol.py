"""The Target protocol: both implementations satisfy it (mypy and at run time), each method
behaves as documented on a real simulated node and on this machine, and no module outside
envdoctor/targets/ decides anything by testing `target.root`."""
from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import envdoctor
from envdoctor.targets import RealTarget, SimTarget, Target, open_sim, real

PACKAGE = Path(envdoctor.__file__).resolve().parent
REPO = PACKAGE.parent

# Ways of deciding by the node directory: `if t.root`, `not t.root`, `x and t.root`,
# `t.root and x`, `a if t.root else b`, `bool(t.root)`, `t.root == ""`.
BRANCH = re.compile(r"\b(?:if|elif|while|not|and|or|assert)\s+[\w.()]*\.root\b(?!\s*[+/\[(])"
                    r"|\.root\s+(?:and|or|if|else)\b|\bbool\([\w.]*\.root\)|\.root\s*(?:==|!=)"
                    r"|isinstance\([^)]*(?:SimTarget|RealTarget)")
# Modules outside envdoctor/targets/ that may still name the node directory (never to branch):
NODE_DIRECTORY_USES = {
    "commands/sim.py": "`sim create` / `sim shell` print and check the node they made or opened",
    "runner.py": "a run record keeps the node directory it ran on (sim_root) as data",
}


def _package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "targets" not in p.relative_to(PACKAGE).parts[:1])


def test_the_branch_pattern_catches_every_old_form() -> None:
    old = ["if target.root:", "if not ctx.target.root:", "x if not t.root else ''", "'' if target.root else u",
           "if own and self.target is not None and self.target.root and os.access(own, os.X_OK):",
           "\"simulated\": bool(t.root),", "if tgt.root and release is None:", "isinstance(t, SimTarget)"]
    assert all(BRANCH.search(line) for line in old)
    fine = ["target.root + m.group(0)", "argv += ['--sim-root', target.root]", "print(target.root)",
            "target.name, target.hostname, target.root, dict(ctx.params)"]
    assert not any(BRANCH.search(line) for line in fine)


def test_no_caller_outside_targets_branches_on_the_node_directory() -> None:
    offenders = [f"{p.relative_to(REPO)}:{n}: {line.strip()}"
                 for p in _package_files()
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if BRANCH.search(line.split("#", 1)[0])]
    assert not offenders, "ask the target (a method of envdoctor.targets.Target) instead:\n" + "\n".join(offenders)


def test_node_directory_uses_outside_targets_are_the_justified_ones() -> None:
    users = {str(p.relative_to(PACKAGE)) for p in _package_files()
             if re.search(r"\b(?:target|tgt|t)\.root\b", p.read_text(encoding="utf-8"))}
    assert users <= set(NODE_DIRECTORY_USES), f"new uses of target.root: {sorted(users - set(NODE_DIRECTORY_USES))}"


# --- the protocol --------------------------------------------------------------------------

PROTOCOL_MEMBERS = sorted(n for n in vars(Target) if not n.startswith("_"))


def test_both_implementations_have_every_member_at_run_time(tmp_path: Path) -> None:
    sim = SimTarget(str(tmp_path / "home/u"), "u", "node-01", str(tmp_path), {})
    assert type(real()) is RealTarget
    for t in (real(), sim):
        assert isinstance(t, Target)
        missing = [m for m in PROTOCOL_MEMBERS if not hasattr(t, m)]
        assert not missing, f"{type(t).__name__} lacks {missing}"
    assert {"path", "map_command", "typed_env", "lacks", "own_command", "built_for"} <= set(PROTOCOL_MEMBERS)


@pytest.mark.slow
def test_mypy_accepts_both_implementations_and_rejects_an_incomplete_one(tmp_path: Path) -> None:
    mypy = Path(sys.executable).with_name("mypy")
    if not mypy.exists():
        pytest.skip("mypy is not installed (pip install -e .[test])")
    probe = tmp_path / "probe_targets.py"
    probe.write_text(
        "from __future__ import annotations\n"
        "from envdoctor.targets import RealTarget, SimTarget, Target\n"
        "real: Target = RealTarget('/h', 'u', 'host')\n"
        "sim: Target = SimTarget('/n/home/u', 'u', 'host', '/n', {})\n"
        "class Half:\n"
        "    name = 'half'\n"
        "half: Target = Half()\n", encoding="utf-8")
    done = subprocess.run([str(mypy), "--python-version", "3.8", "--follow-imports=silent", "--no-incremental",
                           "--disallow-untyped-defs", str(probe)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and ":7:" in errors[0] and "Half" in errors[0], done.stdout


# --- behaviour on this machine -------------------------------------------------------------------

def test_real_target_is_this_machine_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/venv")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    t = real()
    home = os.path.expanduser("~")
    assert (t.name, t.root, t.simulated, t.hostname, t.home) == ("real", "", False, socket.gethostname(), home)
    assert t.path("~/venvs/x") == f"{home}/venvs/x" and t.path("/opt/slurm/bin/sbatch") == "/opt/slurm/bin/sbatch"
    assert t.unmap(f"{home}/venvs/x") == "~/venvs/x" and t.unmap_text(f"{home}/x") == f"{home}/x"
    assert t.map_command("source /opt/x/activate") == "source /opt/x/activate"
    assert t.mapped_prefixes() == () and t.display_home() == home
    assert t.url("https://github.com/a/b.git") == "https://github.com/a/b.git"
    assert t.unmap_url("https://github.com/a/b.git") == "https://github.com/a/b.git"
    assert t.expected_python("3.8") == "3.8" and t.interpreter("/usr/bin/python3") == "/usr/bin/python3"
    assert t.node_role(("x-login-*",), (t.hostname.split(".")[0],)) == "run" and t.node_role(("x",), ("y",)) == "other"
    assert t.current_env() == dict(os.environ) and t.typed_env()["VIRTUAL_ENV"] == "/somewhere/venv"
    assert t.login_env()["HOME"] == home and "VIRTUAL_ENV" not in t.login_env() and "HOSTNAME" not in t.login_env()
    assert t.process_env()["PIP_USER"] == "0" and t.process_env()["HOME"] == os.environ["HOME"]
    assert t.workload_env() == {} and t.own_command("/bin/sh") is None and t.cached_download("x.sh") is None
    assert not t.signs_in_unattended()
    assert t.http_proxies() == urllib.request.getproxies() and t.http_proxies()["https"] == "http://proxy.example:3128"
    assert t.lacks("network") == "" and t.lacks("quotas") == ""
    with pytest.raises(ValueError, match="unknown target fact"):
        t.lacks("quota")
    assert t.built_for() is None
    assert t.cli_argv() == ["--target", "real"] and t.cli_args() == ""
    assert t.describe() == f"this machine ({socket.gethostname()})"


# --- behaviour on a real simulated node ---------------------------------------------------------

@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Target:
    """A real Graphcore node (sim create: stand-ins, wheelhouse, upstreams), not set up."""
    from envdoctor.targets.sim.builder import create

    base = tmp_path_factory.mktemp("protocol")
    os.environ.setdefault("XDG_CACHE_HOME", str(base / "cache"))
    create("graphcore", root=str(base / "my node"), ready=False)
    return open_sim(base / "my node")


def test_sim_target_maps_the_node(node: Target) -> None:
    root, home, user = node.root, node.home, node.user
    assert (node.name, node.simulated) == ("sim", True) and home == f"{root}/home/{user}"
    assert node.path("~/.bashrc") == f"{home}/.bashrc" and node.path("/opt/slurm/bin/sbatch") == f"{root}/opt/slurm/bin/sbatch"
    assert node.path("/etc/passwd") == f"{root}/etc/passwd" or "etc" not in node.meta["mapped_roots"]
    assert node.path("/proc/self") == "/proc/self"
    assert node.unmap(f"{home}/x") == "~/x" and node.unmap(f"{root}/software/y") == "/software/y"
    assert node.unmap_text(f"found {root}/opt/a and {home}/b") == "found /opt/a and ~/b"
    assert node.mapped_prefixes()[0] == max({root, os.path.realpath(root)}, key=len) and root in node.mapped_prefixes()
    assert node.display_home() == f"/home/{user}"
    assert node.map_command("source /opt/gc/enable && ls ~/x /optional") == \
        f"source {root}/opt/gc/enable && ls ~/x /optional"
    upstream, local = next(iter(node.meta["upstreams"].items()))
    assert node.url(upstream) == local and node.unmap_url(local) == upstream and node.url("https://x") == "https://x"
    required, played = next(iter(node.meta["python_versions"].items()))
    assert node.expected_python(required) == played
    assert node.interpreter("/usr/bin/python3") == f"{root}/usr/bin/python3"
    from envdoctor.recipe import catalog

    hosts = catalog().get("graphcore", node.meta["release"]).hosts
    assert node.node_role(hosts.login, hosts.run) == "run" and node.node_role(("x",), ("y",)) == "other"
    assert node.built_for() == ("graphcore", node.meta["release"])
    assert node.cli_argv() == ["--target", "sim", "--sim-root", root]
    assert node.cli_args() == f" --target sim --sim-root {shlex.quote(root)}" and "'" in node.cli_args()
    assert node.describe() == f"simulated node {node.hostname} at {root}"


def test_sim_target_shells_and_processes(node: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", "/etc/slurm/test.conf")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/venv")
    login = node.login_env()
    assert login["HOME"] == node.home and login["HOSTNAME"] == node.hostname and "VIRTUAL_ENV" not in login
    assert node.current_env() == {}
    typed = node.typed_env()  # the node's real interactive login shell, run by bash
    assert typed["HOME"] == node.home and typed["SLURM_CONF"] == "/etc/slurm/test.conf"
    assert "VIRTUAL_ENV" not in typed and typed["HOSTNAME"] == node.hostname  # not envdoctor's own environment
    env = node.process_env()
    assert (env["HOME"], env["USER"], env["PIP_USER"]) == (node.home, node.user, "0")
    assert env["PIP_NO_INDEX"] and str(Path(node.root) / "wheelhouse") in env["PIP_FIND_LINKS"]
    assert node.workload_env() == {"ENVDOCTOR_SIM_ROOT": node.root}


def test_sim_target_provides_its_own_tools_and_downloads(node: Target) -> None:
    sbatch = node.own_command("/opt/slurm/bin/sbatch")
    assert sbatch == f"{node.root}/opt/slurm/bin/sbatch" and os.access(sbatch, os.X_OK)
    assert node.own_command("/opt/slurm/bin/no-such-tool") is None
    installer = node.cached_download("Miniconda3-latest-Linux-x86_64.sh")
    assert installer == f"{node.root}/cache/Miniconda3-latest-Linux-x86_64.sh" and os.path.isfile(installer)
    assert node.signs_in_unattended() and node.http_proxies() == {}
    assert node.lacks("network") == "a simulated node never uses the network"
    assert node.lacks("quotas") == "quotas are not simulated"
    with pytest.raises(ValueError, match="unknown target fact"):
        node.lacks("gpus")
