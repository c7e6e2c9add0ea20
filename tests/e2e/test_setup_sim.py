"""`envdoctor setup` end to end on simulated nodes: every platform from a fresh node and
from every injectable fault reaches a healthy `check`, a second setup changes nothing, a
setup killed at many points converges with every user dotfile intact; plus the CLI
contracts (--plan, --plan --json, refusal without --yes, lock, check --fix)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

PLATFORMS = ("groq", "cerebras", "graphcore", "sambanova")


def envdoctor(*args: str, timeout: float = 900, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, timeout=timeout,
                          input=stdin if stdin is not None else "", env={**os.environ, "NO_COLOR": "1"})


def setup(platform: str, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return envdoctor("setup", platform, "--target", "sim", "--sim-root", str(root), *extra)


def check(platform: str, root: Path) -> dict:
    done = envdoctor("check", platform, "--target", "sim", "--sim-root", str(root), "--offline", "--json")
    return json.loads(done.stdout)


def problems(report: dict, allowed: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    return [(c["id"], c["status"], c["why"]) for c in report["checks"]
            if c["status"] in ("fail", "error") and c["id"] not in allowed]


def plan_json(platform: str, root: Path) -> dict:
    done = setup(platform, root, "--plan", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def todo(platform: str, root: Path) -> list[str]:
    return [s["id"] for s in plan_json(platform, root)["steps"] if s["status"] != "done"]


def build(sim_node: Callable[..., Any], platform: str, **kw: Any) -> Path:
    """A node of this test's own, from the one node builder (tests/nodes.py)."""
    return Path(sim_node(platform, **kw).root)


def inject(root: Path, fault: str) -> None:
    """Inject a fault into an existing (healed) node, as `sim create --fault` does into a ready one."""
    from envdoctor.recipe import catalog
    from envdoctor.targets.sim import faults
    from envdoctor.targets.sim.node import SimNode

    meta = json.loads((root / "sim.json").read_text())
    recipe = catalog().get(meta["platform"], meta["release"])
    node = SimNode(root, recipe, meta)
    [chosen] = faults.resolve(recipe, [fault])
    chosen.apply(node)
    node.meta["faults"].append(fault)
    node.save_meta()


def fault_names(platform: str) -> list[str]:
    from envdoctor.recipe import catalog
    from envdoctor.targets.sim import faults

    return [f.name for f in faults.available(catalog().get(platform))]


def dotfiles(home: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in home.iterdir() if p.name.startswith(".") and p.is_file()
            and "envdoctor" not in p.name}


# --- CLI contracts on a fresh groq node ------------------------------------------------

@pytest.fixture(scope="module")
def fresh_groq(node_store: Any) -> Path:
    return Path(node_store.node("groq").root)


def test_plan_shows_the_course_commands_and_diffs(fresh_groq: Path) -> None:
    done = setup("groq", fresh_groq, "--plan")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "$ cd ~ && bash Miniconda3-latest-Linux-x86_64.sh -b -p ~/miniconda3" in text
    assert "$ ~/miniconda3/bin/conda init bash" in text
    assert "$ git clone --branch main https://github.com/groq/groqflow.git ~/groqflow" in text
    assert "$ conda create -n groqflow python=3.10.12 -y" in text
    assert "$ cd ~/groqflow && pip list --format=freeze > frozen.txt" in text  # the guide pins what the env has
    assert "$ cd ~/groqflow && pip install -r frozen.txt -e ." in text
    assert "$ pip install soundfile datasets==2.21.0" in text
    data = plan_json("groq", fresh_groq)
    assert data["schema"] == "envdoctor/setup-plan@1"
    assert {s["status"] for s in data["steps"]} == {"todo"}
    assert all({"id", "kind", "status", "why", "commands", "diffs"} <= set(s) for s in data["steps"])


def test_refuses_without_yes_when_stdin_is_not_a_terminal(fresh_groq: Path) -> None:
    before = dotfiles(fresh_groq / "home" / "root")
    done = setup("groq", fresh_groq)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--yes" in done.stderr
    assert not (fresh_groq / "home" / "root" / "miniconda3").exists()
    assert dotfiles(fresh_groq / "home" / "root") == before


def test_second_setup_waits_for_the_lock(fresh_groq: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom envdoctor import engine\nfrom envdoctor.targets import open_sim\n"
        f"with engine.locked(open_sim({str(fresh_groq)!r})):\n    print('locked', flush=True)\n    time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        done = setup("groq", fresh_groq, "--yes")
        assert done.returncode == 2
        assert f"pid {holder.pid}" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()


# --- every platform: fresh node, every fault, second setup ---------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("platform", PLATFORMS)
def test_fresh_node_then_every_fault_heals(platform: str, sim_node: Callable[..., Any]) -> None:
    root = build(sim_node, platform)
    done = setup(platform, root, "--yes")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert problems(check(platform, root)) == []
    assert todo(platform, root) == []
    started = time.monotonic()
    again = setup(platform, root, "--yes")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    noop = time.monotonic() - started
    print(f"{platform}: no-op setup {noop:.2f} s")

    faults = sorted(fault_names(platform), key=lambda f: f == "on-login-node")  # it renames the host: last
    for fault in faults:
        inject(root, fault)
        done = setup(platform, root, "--yes")
        assert done.returncode in (0, 1), f"{fault}: {done.stderr}"
        allowed = _allowed(fault)
        assert problems(check(platform, root), allowed) == [], f"after fault {fault}: {done.stdout[-3000:]}"
        assert todo(platform, root) == [], f"after fault {fault}, a second setup still has work"


def _allowed(fault: str) -> set[str]:
    return {"on-login-node": {"host.node-role", "scheduler.submit-host"}}.get(fault, set())


# --- check --fix ---------------------------------------------------------------------

@pytest.mark.slow
def test_check_fix_dry_run_then_fix(sim_node: Callable[..., Any]) -> None:
    root = build(sim_node, "graphcore", ready=True, faults=("repo-wrong-tag",))
    args = ("check", "graphcore", "--target", "sim", "--sim-root", str(root), "--offline", "--fix")
    dry = envdoctor(*args, "--dry-run")
    assert dry.returncode == 1
    assert "git checkout v3.3.0" in dry.stdout and "envdoctor check --fix" in dry.stdout
    assert todo("graphcore", root) == ["git:examples"]
    fixed = envdoctor(*args, "--yes")
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr
    assert todo("graphcore", root) == []


# --- kill -9 at many points -------------------------------------------------------------

@pytest.mark.slow
def test_setup_killed_at_many_points_converges(sim_node: Callable[..., Any]) -> None:
    root = build(sim_node, "groq")
    home = root / "home" / json.loads((root / "sim.json").read_text())["user"]
    (home / ".bashrc").write_text((home / ".bashrc").read_text() + "# my own line, keep it\nalias gs='git status'\n")
    original = dotfiles(home)
    # (k, delay): SIGKILL `delay` seconds after the k-th step line; the rerun continues from there.
    points = [(1, 0.0), (1, 1.0), (2, 0.3), (3, 0.05), (4, 0.5), (5, 0.0), (6, 1.5), (6, 4.0), (7, 2.0), (8, 0.5)]
    kills = 0
    for k, delay in points:
        proc = subprocess.Popen([sys.executable, "-m", "envdoctor", "setup", "groq", "--target", "sim", "--sim-root",
                                 str(root), "--yes"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)
        seen = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("==> ["):
                seen += 1
                if seen >= k:
                    time.sleep(delay)
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                    break
        proc.stdout.close()
        proc.wait()
        _assert_intact(home, original)
    assert kills >= 3
    final = setup("groq", root, "--yes")
    assert final.returncode == 0, final.stdout[-3000:]
    assert problems(check("groq", root)) == []
    assert todo("groq", root) == []
    _assert_intact(home, original)
    bashrc = (home / ".bashrc").read_text()
    assert bashrc.count("# >>> conda initialize >>>") == 1 and "alias gs='git status'" in bashrc
    assert not any("envdoctor-tmp" in p.name for p in home.rglob(".*envdoctor-tmp*"))


def _assert_intact(home: Path, original: dict[str, str]) -> None:
    """Every user dotfile is either unchanged or changed with its original kept as a backup,
    and every one is still valid bash."""
    for name, text in original.items():
        path = home / name
        assert path.exists(), f"{name} was lost"
        if path.read_text() != text:
            backups = [b.read_text() for b in home.glob(f"{name}.envdoctor-backup-*")]
            assert text in backups, f"{name} changed without a backup of its original"
        if name.startswith(".bash"):
            assert subprocess.run(["bash", "-n", str(path)]).returncode == 0, f"{name} is not valid bash"
    assert not list(home.glob(".*.envdoctor-tmp.*")), "a temporary file was left behind"


def test_ctrl_c_says_where_setup_stopped_and_how_to_resume(sim_node: Callable[..., Any]) -> None:
    """Ctrl-C during a step: exit 130, where it stopped, and the exact command to resume with."""
    root = build(sim_node, "groq")
    proc = subprocess.Popen([sys.executable, "-m", "envdoctor", "setup", "groq", "--target", "sim", "--sim-root",
                             str(root), "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    seen, state = [], ""
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("==> [2/"):
            time.sleep(0.3)
            with open(f"/proc/{proc.pid}/status") as fh:  # what the signal meets (for a failure's message)
                state = " ".join(s.strip() for s in fh if s.startswith(("State", "SigBlk", "SigIgn", "SigCgt")))
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, f"{err}\nsetup when signalled: {state}\nits output: {''.join(seen) + out}"
    stopped = re.search(r"setup stopped at step (\d+) of (\d+) \(([\w:./-]+)\); (the step before it is done|"
                        r"the (\d+) steps before it are done)\.", err)
    assert stopped and int(stopped.group(1)) >= 2, err
    assert f"`envdoctor setup groq --target sim --sim-root {root} --yes` again to resume from this step" in err
    resumed = setup("groq", root, "--yes")
    assert resumed.returncode == 0, resumed.stdout[-3000:]
