"""Fixtures for the classroom tests: real local users and groups, real Slurm, a share dir."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest


@pytest.fixture
def share_dir(tmp_path: Path) -> Path:
    d = tmp_path / "share"
    d.mkdir()
    return d


# --- real local users and groups --------------------------------------------------------

class LocalAccounts:
    """Creates real users and groups (useradd/groupadd) with unique names; removes them after."""

    def __init__(self, base: Path, *, reuse: bool = False) -> None:
        self.base = base
        self.reuse = reuse  # user(stem) again gives the account made the first time
        self.tag = secrets.token_hex(3)
        self.users: list[str] = []
        self.groups: list[str] = []

    def name(self, stem: str) -> str:
        return f"ed{stem}{self.tag}"[:31]

    def group(self, stem: str) -> str:
        name = self.name(stem)
        subprocess.run(["groupadd", name], check=True)
        self.groups.append(name)
        return name

    def user(self, stem: str, *, groups: tuple[str, ...] = (), home_mode: int | None = 0o750,
             make_home: bool = True) -> str:
        name = self.name(stem)
        if self.reuse and name in self.users:
            return name
        home = self.base / "home" / name
        home.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        os.chmod(home.parent, 0o755)
        argv = ["useradd", "-M", "-d", str(home), "-s", "/bin/bash"]
        if groups:
            argv += ["-G", ",".join(groups)]
        subprocess.run([*argv, name], check=True)
        self.users.append(name)
        if make_home:
            home.mkdir()
            shutil.chown(home, name, name)
            if home_mode is not None:
                os.chmod(home, home_mode)
        return name

    def cleanup(self) -> None:
        for u in self.users:
            subprocess.run(["userdel", u], capture_output=True)
        for g in self.groups:
            subprocess.run(["groupdel", g], capture_output=True)


def _accounts(reuse: bool) -> Iterator[LocalAccounts]:
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd to create real local users")
    import tempfile

    # Not under tmp_path: pytest makes those 0700, and the home checks look at every parent.
    base = Path(tempfile.mkdtemp(prefix="envdoctor-homes-"))
    os.chmod(base, 0o755)
    acc = LocalAccounts(base, reuse=reuse)
    try:
        yield acc
    finally:
        acc.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def local_accounts() -> Iterator[LocalAccounts]:
    """Accounts of this test's own (groups, home modes), removed after it."""
    yield from _accounts(reuse=False)


@pytest.fixture(scope="session")
def students() -> Iterator[LocalAccounts]:
    """Plain accounts made once per run and reused by stem: for tests that need students to
    exist (own files, be named in a report), not groups or homes of their own."""
    yield from _accounts(reuse=True)


# --- the real single-node Slurm ---------------------------------------------------------

def _env_of(cluster: Any) -> dict[str, str]:
    """The shared fixture yields its SLURM_CONF or an environment; accept either shape."""
    if isinstance(cluster, Mapping):
        extra = cluster.get("env", cluster)
    elif hasattr(cluster, "env"):
        extra = cluster.env
    elif isinstance(cluster, (str, os.PathLike)):
        extra = {"SLURM_CONF": os.fspath(cluster)}
    else:
        conf = getattr(cluster, "conf", None) or getattr(cluster, "slurm_conf", None)
        extra = {"SLURM_CONF": os.fspath(conf)} if conf else {}
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in dict(extra).items()})
    return env


@pytest.fixture
def slurm_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment that reaches the session's real Slurm (SLURM_CONF set in os.environ too)."""
    try:
        cluster = request.getfixturevalue("slurm_cluster")
    except pytest.FixtureLookupError:
        pytest.skip("no slurm_cluster fixture")
    env = _env_of(cluster)
    if "SLURM_CONF" in env:
        monkeypatch.setenv("SLURM_CONF", env["SLURM_CONF"])
    r = subprocess.run(["scontrol", "ping"], env=env, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        pytest.skip(f"the Slurm of slurm_cluster does not answer: {r.stdout} {r.stderr}")
    return env




# --- running a function as another account --------------------------------------------

def as_user(user: str, fn: Any, *args: Any) -> tuple[str, Any]:
    """Run fn(*args) in a forked child that has become `user` (real uid, gid and groups):
    ("ok", result) or ("error", "TypeName: message"). The interpreter of the tests lives
    under root's home, which other accounts cannot read, so the child does not exec a new
    one; everything fn needs must be imported before the call."""
    import pickle
    import pwd

    pw = pwd.getpwnam(user)
    groups = os.getgrouplist(user, pw.pw_gid)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to the user, run, send the outcome, never return into pytest
        os.close(r)
        try:
            os.setgroups(groups)
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            os.environ.update(HOME=pw.pw_dir, USER=pw.pw_name, LOGNAME=pw.pw_name)
            outcome: tuple[str, Any] = ("ok", fn(*args))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            outcome = ("error", f"{type(exc).__name__}: {exc}")
        with os.fdopen(w, "wb") as fh:
            fh.write(pickle.dumps(outcome))
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)
