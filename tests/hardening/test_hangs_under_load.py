"""No hang, nothing left behind: `setup --plan` and `check` many times on a simulated node
with every core busy; `check` with a ~/.bashrc that starts a setsid daemon; a setup
SIGKILLed while pip or venv work under it.

Each envdoctor runs in its own session under a generous limit; when one overruns, its
whole tree (found through /proc, since a stuck child may have left the session) is killed
and the test fails naming the hang."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

import envdoctor

pytestmark = pytest.mark.slow

LIMIT = 60.0  # s for one invocation; a healthy one takes about 1-3 s even under load
ROUNDS = 8  # of each command (16 envdoctors, two at a time, with every core kept busy)


def envdoctor_env() -> dict[str, str]:
    """The environment of the test, with this checkout's package first on the path (so
    that the test checks the code it sits next to)."""
    package_root = str(Path(envdoctor.__file__).resolve().parents[1])
    return {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])])}


def parents() -> dict[int, int]:
    """pid -> ppid of every process (read from /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] not in ("Z", "X"):
                found[int(entry)] = int(fields[1])
    return found


def descendants(root: int) -> dict[int, int]:
    """pid -> depth below root, of every running descendant."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        for child in children.get(pid, []):
            found[child] = depth + 1
            todo.append((child, depth + 1))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def kill_tree(root: int) -> list[int]:
    tree = [root, *descendants(root)]
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return tree


def bounded(*args: str, limit: float = LIMIT) -> tuple[int, str, float]:
    """Run `envdoctor ARGS`; (exit code, stdout, seconds). An overrun kills the tree and fails."""
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "envdoctor", *args], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=envdoctor_env(), start_new_session=True)
    try:
        out, _ = child.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        stuck = kill_tree(child.pid)
        child.communicate()
        pytest.fail(f"`envdoctor {' '.join(args)}` hung (> {limit:g} s); killed {stuck}")
    return child.returncode, out, time.monotonic() - started


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Every core kept busy for the test's duration (a loaded login node)."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def test_setup_plan_and_check_never_hang_under_load(sim_node, busy_cores) -> None:
    node = sim_node("graphcore", ready=True)
    where = ("--target", "sim", "--sim-root", node.root)
    plan = ("setup", "graphcore", "--plan", *where)
    check = ("check", "graphcore", "--offline", *where)
    jobs = [plan, check] * ROUNDS
    # Two at a time: threads in envdoctor, envdoctors side by side, busy cores.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: (args[0], *bounded(*args)), jobs))
    for command, code, out, _ in results:
        assert code == 0, f"{command}: exit {code}\n{out[-2000:]}"
    assert all("nothing to do" in out for command, _, out, _ in results if command == "setup")
    assert all("healthy" in out for command, _, out, _ in results if command == "check")
    slowest = max(seconds for *_, seconds in results)
    assert slowest < LIMIT


def test_check_does_not_wait_for_a_daemon_that_bashrc_starts(sim_node, tmp_path: Path) -> None:
    """The daemon keeps the probe shell's stdout and stderr; check must finish anyway."""
    node = sim_node("graphcore")
    pids = tmp_path / "daemons"
    bashrc = Path(node.home) / ".bashrc"
    bashrc.write_text(bashrc.read_text() + f"setsid sleep 300 & echo $! >> {pids}\n")
    try:
        code, out, seconds = bounded("check", "graphcore", "--offline", "--target", "sim", "--sim-root", node.root)
        assert code in (0, 1) and re.search(r"\d+ ok", out), out[-2000:]
        assert pids.exists(), "the probe shells never read ~/.bashrc: this test tests nothing"
        assert seconds < 30, f"check took {seconds:.1f} s"
    finally:
        for pid in pids.read_text().split() if pids.exists() else []:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def pips_below_child(tree: dict[int, int]) -> set[int]:
    """pids of the pips started by a process envdoctor started (venv's ensurepip)."""
    found = set()
    for pid, depth in tree.items():
        try:
            if depth >= 2 and b"pip" in open(f"/proc/{pid}/cmdline", "rb").read():
                found.add(pid)
        except OSError:
            pass
    return found


def test_a_setup_killed_with_sigkill_leaves_no_process_behind(sim_node) -> None:
    """Kill -9 while pip runs two levels below envdoctor: nothing of its tree may keep
    running (and writing into the environment) a second later."""
    node = sim_node("cerebras")  # `python -m venv` runs ensurepip's pip one level down
    child = subprocess.Popen([sys.executable, "-m", "envdoctor", "setup", "cerebras", "--yes", "--target", "sim",
                              "--sim-root", node.root], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=envdoctor_env(), start_new_session=True)
    seen: dict[int, int] = {}
    first_seen: dict[int, float] = {}
    try:
        deadline = time.monotonic() + LIMIT
        settled = False  # a pip that has run 0.2 s (not a fork on its way to exec something else)
        while time.monotonic() < deadline and child.poll() is None and not settled:
            seen = descendants(child.pid)
            now = time.monotonic()
            pips = pips_below_child(seen)
            first_seen = {pid: first_seen.get(pid, now) for pid in pips}
            settled = any(now - t >= 0.2 for t in first_seen.values())
            time.sleep(0.01)
        assert child.poll() is None and settled, "setup never ran pip below a child: nothing to test"
        child.send_signal(signal.SIGKILL)
        child.wait()
        time.sleep(1.0)
        survivors = {}
        for pid in seen:
            try:
                survivors[pid] = open(f"/proc/{pid}/cmdline").read().replace("\0", " ")[:200] if alive(pid) else None
            except OSError:
                pass
        survivors = {pid: cmd for pid, cmd in survivors.items() if cmd is not None}
        assert not survivors, f"still running a second after setup was killed: {survivors}"
    finally:
        if child.poll() is None:
            kill_tree(child.pid)
            child.wait()
        for pid in seen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
