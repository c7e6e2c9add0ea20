"""`check --share` in a shared course directory where a classmate got there first: real
accounts (useradd), the student's write done as that student (a forked child that dropped
to the account), every trap refused with one line and nothing written through it."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from accounthelpers import as_user

from envdoctor.results import CheckResult, Report, Status
from envdoctor.share import write_shared


def _report(user: str) -> Report:
    results = (CheckResult("host.role", "host", "Node role", Status.OK),)
    return Report("groq", "R", "sim", "groq-r01-gn-01", "run", results, 12, user=user)


@pytest.fixture
def course(local_accounts, tmp_path: Path):
    """A course directory as a site makes one: root's, the course group's, setgid, group-writable;
    ann and bob are classmates in the group."""
    group = local_accounts.group("crs")
    ann = local_accounts.user("ann", groups=(group,))
    bob = local_accounts.user("bob", groups=(group,))
    share = local_accounts.base / "share"
    share.mkdir()
    os.chown(share, 0, _gid(group))
    os.chmod(share, 0o2770)
    return share, ann, bob


def _gid(group: str) -> int:
    import grp

    return grp.getgrnam(group).gr_gid


def _write_as(user: str, share: Path, claims: str = ""):
    return as_user(user, lambda: str(write_shared(_report(claims or user), share)))


def test_student_directory_is_the_students_own(course) -> None:
    share, ann, _ = course
    kind, written = _write_as(ann, share)
    assert kind == "ok", written
    path = Path(written)
    st, dst = path.stat(), path.parent.stat()
    import pwd

    assert path == share / ann / "groq.json"
    assert (pwd.getpwuid(st.st_uid).pw_name, pwd.getpwuid(dst.st_uid).pw_name) == (ann, ann)
    assert stat.S_IMODE(st.st_mode) == 0o640 and stat.S_IMODE(dst.st_mode) == 0o2750
    assert dst.st_gid == share.stat().st_gid  # the course's group can read it


def test_directory_named_after_the_account_not_the_claim(course) -> None:
    """`USER=bob` or a report saying bob: the file still lands in ann's own directory."""
    share, ann, bob = course
    kind, written = _write_as(ann, share, claims=bob)
    assert kind == "ok" and Path(written).parent == share / ann
    assert not (share / bob).exists()


def test_directory_precreated_by_a_classmate_is_refused(course) -> None:
    share, ann, bob = course
    kind, _ = as_user(bob, lambda: (os.mkdir(share / ann), os.chmod(share / ann, 0o777)))
    assert kind == "ok"
    kind, message = _write_as(ann, share)
    assert kind == "error" and message.startswith("UsageError: refusing to write the shared report")
    assert f"is owned by {bob}, not by you" in message and "classmate" in message and "instructor" in message
    assert "\n" not in message
    assert list((share / ann).iterdir()) == []  # nothing reached bob's directory


def test_symlink_planted_by_a_classmate_is_refused(course, local_accounts) -> None:
    share, ann, bob = course
    catch = local_accounts.base / "bobs-catch"
    catch.mkdir()
    os.chown(catch, __import__("pwd").getpwnam(bob).pw_uid, -1)
    os.chmod(catch, 0o777)
    kind, _ = as_user(bob, lambda: os.symlink(catch, share / ann))
    assert kind == "ok"
    kind, message = _write_as(ann, share)
    assert kind == "error" and "is a symbolic link" in message and "classmate" in message
    assert list(catch.iterdir()) == []


def test_own_directory_left_group_writable_is_refused(course) -> None:
    share, ann, _ = course
    kind, _ = as_user(ann, lambda: (os.mkdir(share / ann), os.chmod(share / ann, 0o2770)))
    assert kind == "ok"
    kind, message = _write_as(ann, share)
    assert kind == "error" and "is writable by the group (mode 2770)" in message


def test_root_refuses_a_directory_another_uid_made(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    share = tmp_path / "share"
    (share / "alice").mkdir(parents=True)
    os.chown(share / "alice", 54321, 54321)  # a uid with no account here
    with pytest.raises(Exception, match=r"is owned by uid-54321, not by you; a classmate may have created it"):
        write_shared(_report("alice"), share)
    assert list((share / "alice").iterdir()) == []


def test_missing_parents_are_not_world_writable_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = write_shared(_report("alice"), tmp_path / "a" / "b" / "share")
    finally:
        os.umask(old)
    for d in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "share"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755, d
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert json.loads(path.read_text())["user"] == "alice"


def test_a_report_file_replaced_by_a_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    """The rename replaces the link itself; the file it pointed to is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    first = write_shared(_report("alice"), tmp_path / "s")
    first.unlink()
    first.symlink_to(victim)
    second = write_shared(_report("alice"), tmp_path / "s")
    assert victim.read_text() == "keep me\n" and not second.is_symlink()


def test_check_share_refuses_in_one_line_with_exit_2(cli, sim_node, tmp_path: Path) -> None:
    """The real command: the check itself is printed, the shared copy refused, exit 2, no traceback."""
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    node = sim_node("groq")
    share = tmp_path / "share"
    (share / node.user).mkdir(parents=True)
    os.chown(share / node.user, 54321, 54321)
    rc, out, err = cli("check", "groq", "--target", "sim", "--sim-root", node.root, "--offline",
                       "--share", str(share))
    assert rc == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "refusing to write the shared report" in lines[0] and "uid-54321" in lines[0]
    assert "Traceback" not in err and list((share / node.user).iterdir()) == []
