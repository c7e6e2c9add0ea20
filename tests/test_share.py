"""`check --share DIR`: DIR/<user>/<platform>.json, atomic, group-readable, redacted."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from envdoctor.results import CheckResult, Report, Status
from envdoctor.share import write_shared


def _report(user: str = "alice", secret: str = "") -> Report:
    results = (
        CheckResult("host.role", "host", "Node role", Status.OK),
        CheckResult("network.proxy", "network", "Proxy", Status.FAIL, why="proxy unset",
                    fix="set it", commands=(f"export HTTPS_PROXY=http://bob:{secret}@proxy.example:3128",) if secret else (),
                    evidence=(f"GITHUB_TOKEN={secret}",) if secret else ()),
    )
    return Report("groq", "R", "sim", "groq-r01-gn-01", "run", results, 12, user=user)


def test_writes_user_platform_json_group_readable(tmp_path: Path) -> None:
    path = write_shared(_report(), tmp_path / "course")
    assert path == tmp_path / "course" / "alice" / "groq.json"
    data = json.loads(path.read_text())
    assert data["schema"] == "envdoctor/check-report@1" and data["user"] == "alice"
    assert data["summary"]["fail"] == 1 and data["exit_code"] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert [p.name for p in path.parent.iterdir()] == ["groq.json"]  # no temporary file left behind


def test_rewrite_replaces_atomically(tmp_path: Path) -> None:
    first = write_shared(_report(), tmp_path)
    inode = first.stat().st_ino
    second = write_shared(_report(), tmp_path)
    assert first == second and second.stat().st_ino != inode  # a new file renamed over the old one
    assert sorted(p.name for p in second.parent.iterdir()) == ["groq.json"]


def test_secrets_never_reach_the_shared_file(tmp_path: Path) -> None:
    secret = "s3cr3tPassw0rd99"
    path = write_shared(_report(secret=secret), tmp_path)
    assert secret not in path.read_text()


def test_setgid_course_directory_keeps_its_group(tmp_path: Path) -> None:
    course = tmp_path / "course"
    course.mkdir()
    os.chmod(course, 0o2770)
    path = write_shared(_report("bob"), course)
    mode = path.parent.stat().st_mode
    assert mode & stat.S_ISGID and stat.S_IMODE(mode) & 0o777 == 0o750
    assert path.parent.stat().st_gid == course.stat().st_gid


def test_user_name_cannot_escape_the_directory(tmp_path: Path) -> None:
    path = write_shared(_report("../../etc"), tmp_path / "c")
    assert path.resolve().is_relative_to((tmp_path / "c").resolve())


def test_check_share_from_the_cli(tmp_path: Path, cli, monkeypatch, sim_node) -> None:
    """The real command writes the shared copy (needs the checks; the registry may be partial)."""
    node = sim_node("groq")
    rc, out, err = cli("check", "groq", "--target", "sim", "--sim-root", node.root, "--json", "--share", str(tmp_path / "s"))
    assert rc in (0, 1), err
    written = tmp_path / "s" / node.user / "groq.json"
    data = json.loads(written.read_text())
    assert data["user"] == node.user and data["platform"] == "groq"
    assert data["checks"] == json.loads(out)["checks"]
