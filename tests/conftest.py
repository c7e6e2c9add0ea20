"""Shared fixtures: isolated state directories, simulated nodes, the CLI runner."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from installhelpers import shared_dir as _shared_dir
from nodes import NodeStore

from envdoctor.targets import Target

# This machine has one set of system accounts (useradd locks /etc/passwd) and the tests start
# one single-node Slurm: under pytest-xdist (scripts/test, --dist loadgroup) the tests that use
# either run on one worker, one after the other.
SYSTEM_FIXTURES = {"local_accounts", "students", "slurm_cluster", "slurm_env"}


E2E = Path(__file__).resolve().parent / "e2e"


def pytest_itemcollected(item: pytest.Item) -> None:
    # Marked as each test is collected: pytest-xdist reads xdist_group in its own
    # pytest_collection_modifyitems, which may run before this file's. (The builds of envdoctor
    # in the clone take a file lock each, installhelpers.building_in_the_clone.)
    if "slurm" in item.keywords or SYSTEM_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.xdist_group("system"))
    if E2E in Path(str(item.path)).resolve().parents:
        item.add_marker(pytest.mark.slow)  # every end-to-end suite; `-m "not slow"` is the quick run


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The slow tests first: pytest-xdist's workers then end together instead of one of them
    # starting a minutes-long test when the other has nothing left (a stable sort keeps modules together).
    items.sort(key=lambda item: "slow" not in item.keywords)


@pytest.fixture(scope="session")
def node_store(tmp_path_factory: pytest.TempPathFactory, _virtualenv_seed_cache: str) -> NodeStore:
    """Simulated nodes built once per kind by envdoctor's builder (tests/nodes.py)."""
    base = _shared_dir(tmp_path_factory, "nodes")
    state = base / ".state"  # the builder's XDG directories (nothing of a test's own)
    shared = {**SHARED_ENV, "VIRTUALENV_OVERRIDE_APP_DATA": _virtualenv_seed_cache,
              "XDG_STATE_HOME": str(state / "state"), "XDG_DATA_HOME": str(state / "data"),
              "XDG_CACHE_HOME": str(state / "cache"), "ENVDOCTOR_SIM_HOME": str(state / "sims")}
    return NodeStore(base, shared)


@pytest.fixture(scope="session")
def _virtualenv_seed_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """virtualenv's app data (its extracted seed wheels), shared by every venv the tests make:
    a warm cache, as on a student's account after the first venv, instead of a cold one per test."""
    path = _shared_dir(tmp_path_factory, "virtualenv-app-data")
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


# Every test's environment has these (and XDG directories of its own); so does every simulated node's build.
SHARED_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "envdoctor tests", "GIT_AUTHOR_EMAIL": "tests@envdoctor.invalid",
              "GIT_COMMITTER_NAME": "envdoctor tests", "GIT_COMMITTER_EMAIL": "tests@envdoctor.invalid",
              "VIRTUALENV_NO_DOWNLOAD": "1", "VIRTUALENV_NO_PERIODIC_UPDATE": "1"}


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                    _virtualenv_seed_cache: str) -> None:
    """envdoctor never writes to the real ~/.local during tests (run records, logs, sims)."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(state / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(state / "cache"))
    monkeypatch.setenv("ENVDOCTOR_SIM_HOME", str(state / "sims"))
    for name, value in SHARED_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VIRTUALENV_OVERRIDE_APP_DATA", _virtualenv_seed_cache)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def sim_node(node_store: NodeStore) -> Iterator[Callable[..., Target]]:
    """A real simulated node of this test's own: sim_node("groq", ready=True, faults=["..."]).
    Each kind is built once per run by envdoctor's builder; the test gets a copy (tests/nodes.py),
    removed when the test ends."""
    made: list[Target] = []

    def make(platform: str, *, ready: bool = False, faults: Sequence[str] = (), release: str | None = None,
             user: str | None = None) -> Target:
        made.append(node_store.node(platform, ready=ready, faults=faults, release=release, user=user))
        return made[-1]

    yield make
    for target in made:
        node_store.discard(target)


@pytest.fixture
def cli() -> Callable[..., tuple[int, str, str]]:
    """Run the real `envdoctor` entry point in-process: cli("check", "groq") -> (rc, out, err)."""
    import contextlib
    import io

    from envdoctor.__main__ import main

    def invoke(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        old_stdin = None
        if stdin is not None:
            import sys

            old_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(list(argv))
        finally:
            # A check that stopped before its probe (`check nosuch`) leaves its early shells
            # unclaimed: wait for them, so that the next test in this process starts with none.
            from envdoctor import shellcapture

            shellcapture.forget()
            if old_stdin is not None:
                import sys

                sys.stdin = old_stdin
        return rc, out.getvalue(), err.getvalue()

    return invoke


def have(program: str) -> bool:
    return shutil.which(program) is not None or os.path.exists(f"/usr/sbin/{program}")


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Debian's chromium, headless, driven by selenium + chromedriver (never downloads a driver)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(chromium):
        pytest.skip("Debian's chromium is not installed")
    if not os.path.exists(chromedriver):
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                 "--window-size=1400,1000"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver, log_output=str(tmp_path / "chromedriver.log")),
                              options=opts)
    try:
        yield driver
    finally:
        driver.quit()


# Fixture modules shared by every directory (tests/ is on sys.path: pyproject's `pythonpath`):
# the real single-node Slurm (`slurm_cluster`), local accounts and a course directory, the Metis
# wheels and stand-in endpoint, the launchers' toy recipe, the snapshot tests' hand-made homes.
pytest_plugins = ["slurm_fixture", "accounthelpers", "metishelpers", "launcherhelpers", "snapshothelpers"]
