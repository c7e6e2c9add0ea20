"""`class report` on a hostile shared directory: real accounts (useradd) own the files, and
every trap a classmate can set in a group-writable course directory is there at once. The
real command runs in a subprocess with a time and memory limit, so a FIFO that hangs it or
a /dev/zero that eats memory fails the test instead of the machine."""
from __future__ import annotations

import csv
import io
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from classroom_data import report_dict

SECRET = "ROOT-ONLY-SECRET-7f3a9c"
STUDENTS = ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon")


def _own(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    os.lchown(path, pw.pw_uid, pw.pw_gid)


def _report(share: Path, user: str, platform: str, claims: str = "", faults: tuple[str, ...] = ()) -> Path:
    """A report as `check --share` leaves it: DIR/<user>/<platform>.json, owned by the student."""
    d = share / user
    d.mkdir(exist_ok=True)
    os.chmod(d, 0o750)
    _own(d, user)
    path = d / f"{platform}.json"
    path.write_text(json.dumps(report_dict(claims or user, platform, faults)))
    _own(path, user)
    return path


@pytest.fixture
def hostile(students, tmp_path: Path):
    u = {s: students.user(s) for s in STUDENTS}
    share = tmp_path / "share"
    share.mkdir()
    os.chmod(share, 0o777)
    root_only = tmp_path / "instructor-only.json"
    root_only.write_text(json.dumps(report_dict(u["bob"], "groq")).replace("Node role", SECRET)
                         .replace('"why": ""', f'"why": "{SECRET}"'))
    os.chmod(root_only, 0o600)

    _report(share, u["ann"], "groq", faults=("conda.shell-init",))               # genuine, failing
    (share / u["bob"]).mkdir()                                                    # a link to a root-only file
    os.symlink(root_only, share / u["bob"] / "groq.json")
    _own(share / u["bob"] / "groq.json", u["bob"])
    (share / u["cat"]).mkdir()                                                    # a FIFO: open() waits forever
    os.mkfifo(share / u["cat"] / "groq.json")
    _own(share / u["cat"] / "groq.json", u["cat"])
    (share / u["dan"]).mkdir()                                                    # a link to /dev/zero
    os.symlink("/dev/zero", share / u["dan"] / "groq.json")
    _own(share / u["dan"] / "groq.json", u["dan"])
    _report(share, u["eve"], "graphcore", claims=u["ann"])                      # eve marks "ann" all-ok
    (share / u["gus"]).mkdir()                                                    # fay pre-creates gus's directory
    os.chmod(share / u["gus"], 0o777)
    _own(share / u["gus"], u["fay"])
    _report(share, u["hal"], "groq", faults=("repo.ref",))                       # hal's report, then hidden
    os.rename(share / u["hal"], share / f".{u['hal']}")
    big = _report(share, u["ivy"], "groq")                                       # 60 MB
    with open(big, "r+b") as fh:
        data = fh.read().rstrip(b"}\n")
        fh.seek(0)
        fh.write(data + b', "padding": "' + b"x" * (60 * 1024 * 1024) + b'"}')
    (share / u["jon"]).mkdir()                                                    # a hard link to a root-only file
    os.link(root_only, share / u["jon"] / "groq.json")
    os.symlink("/etc", share / "zzz-link")                                        # a directory link at the top
    return share, u, tmp_path


def _class_report(*args: str) -> subprocess.CompletedProcess[str]:
    prlimit = shutil.which("prlimit")
    limit = [prlimit, f"--as={3 * 1024 ** 3}", "--"] if prlimit else []
    return subprocess.run([*limit, sys.executable, "-m", "envdoctor", "class", "report", *args],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])


def test_hostile_shared_directory(hostile) -> None:
    share, u, tmp = hostile
    page, table, junit = tmp / "class.html", tmp / "class.csv", tmp / "junit"
    r = _class_report(str(share), "--html", str(page), "--csv", str(table), "--junit", str(junit))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    out = r.stdout
    html = page.read_text()
    everything = out + html + table.read_text() + "".join(p.read_text() for p in junit.iterdir())

    # Nothing of the root-only file, through a symlink or a hard link; no 60 MB page.
    assert SECRET not in everything
    assert page.stat().st_size < 200_000
    refused = {
        f"{u['bob']}/groq.json: symlink: a symbolic link to ",
        f"{u['cat']}/groq.json: special: a FIFO (made by {u['cat']})",
        f"{u['dan']}/groq.json: symlink: a symbolic link to /dev/zero",
        f"{u['ivy']}/groq.json: too-large: more than 4 MiB",
        f"{u['jon']}/groq.json: hard-link: a hard link (2 names for one file, owned by root)",
        "zzz-link: symlink: a symbolic link to /etc",
    }
    for line in refused:
        assert line in out, line

    rows = {(row["user"], row["platform"]): row for row in csv.DictReader(io.StringIO(table.read_text()))}
    # The forged all-ok report fills eve's cell, not ann's, and says so.
    assert rows[(u["ann"], "groq")]["status"] == "fail" and rows[(u["ann"], "groq")]["owner"] == u["ann"]
    assert (u["ann"], "graphcore") not in rows
    forged = rows[(u["eve"], "graphcore")]
    assert forged["status"] == "warn" and forged["owner"] == u["eve"]
    assert f"report in {u['eve']}'s directory claims to be {u['ann']}; counted for {u['eve']}" in forged["warnings"]
    assert f"claims to be {u['ann']}" in html
    # The hidden directory is read and flagged, not skipped.
    assert rows[(u["hal"], "groq")]["status"] == "fail" and "hidden name" in rows[(u["hal"], "groq")]["warnings"]
    assert f".{u['hal']}: hidden directory" in out
    # The directory fay made for gus is flagged.
    assert f"directory named {u['gus']} is owned by {u['fay']}" in out
    assert f"{u['gus']}: writable by everyone (mode 0777)" in out
    assert 'id="warnings"' in html
    assert f"{share}: writable by everyone without the sticky bit (mode 0777)" in out


def test_a_sticky_course_directory_gets_no_such_warning(hostile) -> None:
    share, u, tmp = hostile
    os.chmod(share, 0o1777)
    r = _class_report(str(share))
    assert "without the sticky bit" not in r.stdout and f"{u['gus']} is owned by {u['fay']}" in r.stdout


def test_a_symlink_given_by_name_is_not_followed(hostile) -> None:
    share, u, _ = hostile
    r = _class_report(str(share / u["bob"] / "groq.json"))
    assert r.returncode == 1 and SECRET not in r.stdout + r.stderr
    assert "symlink: a symbolic link to" in r.stdout


def test_a_fifo_given_by_name_does_not_hang(hostile) -> None:
    share, u, _ = hostile
    r = _class_report(str(share / u["cat"] / "groq.json"))
    assert r.returncode == 1 and "special: a FIFO" in r.stdout


# --- each trap alone: (stem of the account that sets it, what to plant, what the output must say) ---

def _plant_symlink_root_only(share: Path, u: dict, tmp: Path) -> None:
    root_only = tmp / "root-only.json"
    root_only.write_text(json.dumps(report_dict(u["bob"], "groq")).replace('"why": ""', f'"why": "{SECRET}"'))
    os.chmod(root_only, 0o600)
    (share / u["bob"]).mkdir()
    os.symlink(root_only, share / u["bob"] / "groq.json")
    _own(share / u["bob"] / "groq.json", u["bob"])


def _plant_fifo(share: Path, u: dict, tmp: Path) -> None:
    (share / u["cat"]).mkdir()
    os.mkfifo(share / u["cat"] / "groq.json")
    _own(share / u["cat"] / "groq.json", u["cat"])


def _plant_dev_zero(share: Path, u: dict, tmp: Path) -> None:
    (share / u["dan"]).mkdir()
    os.symlink("/dev/zero", share / u["dan"] / "groq.json")


def _plant_forged_claim(share: Path, u: dict, tmp: Path) -> None:
    _report(share, u["eve"], "groq", claims=u["bob"])  # eve's all-ok report says it is bob's


def _plant_precreated(share: Path, u: dict, tmp: Path) -> None:
    (share / u["bob"]).mkdir()
    _own(share / u["bob"], u["fay"])


def _plant_dot_renamed(share: Path, u: dict, tmp: Path) -> None:
    _report(share, u["hal"], "groq", faults=("repo.ref",))
    os.rename(share / u["hal"], share / f".{u['hal']}")


def _plant_huge(share: Path, u: dict, tmp: Path) -> None:
    big = _report(share, u["ivy"], "groq")
    with open(big, "ab") as fh:
        fh.write(b" " * (60 * 1024 * 1024))  # still valid JSON: 60 MB of trailing blanks


def _plant_hard_link(share: Path, u: dict, tmp: Path) -> None:
    root_only = tmp / "root-only.json"
    root_only.write_text(json.dumps(report_dict(u["jon"], "groq")).replace('"why": ""', f'"why": "{SECRET}"'))
    os.chmod(root_only, 0o600)
    (share / u["jon"]).mkdir()
    os.link(root_only, share / u["jon"] / "groq.json")


TRAPS = {
    "symlink-to-root-only-file": (_plant_symlink_root_only, "{bob}/groq.json: symlink: a symbolic link to "),
    "fifo": (_plant_fifo, "{cat}/groq.json: special: a FIFO"),
    "dev-zero-link": (_plant_dev_zero, "{dan}/groq.json: symlink: a symbolic link to /dev/zero"),
    "report-claiming-another-user": (_plant_forged_claim, "report in {eve}'s directory claims to be {bob}"),
    "directory-precreated-by-a-classmate": (_plant_precreated, "directory named {bob} is owned by {fay}"),
    "dot-renamed-directory": (_plant_dot_renamed, ".{hal}: hidden directory"),
    "huge-report": (_plant_huge, "{ivy}/groq.json: too-large: more than 4 MiB"),
    "hard-link-to-root-only-file": (_plant_hard_link, "{jon}/groq.json: hard-link: a hard link"),
}


@pytest.mark.parametrize("trap", sorted(TRAPS))
def test_each_trap_alone(students, tmp_path: Path, trap: str) -> None:
    u = {s: students.user(s) for s in STUDENTS}
    share = tmp_path / "share"
    share.mkdir()
    os.chmod(share, 0o777)
    _report(share, u["ann"], "groq")  # one genuine report beside the trap
    plant, expected = TRAPS[trap]
    plant(share, u, tmp_path)
    page, table = tmp_path / "class.html", tmp_path / "class.csv"
    r = _class_report(str(share), "--html", str(page), "--csv", str(table))
    assert "Traceback" not in r.stderr, r.stderr
    assert expected.format(**u) in r.stdout, r.stdout
    html = page.read_text()
    assert SECRET not in r.stdout + html + table.read_text() and page.stat().st_size < 200_000
    rows = {(row["user"], row["platform"]): row for row in csv.DictReader(io.StringIO(table.read_text()))}
    assert rows[(u["ann"], "groq")]["status"] == "ok"
    if trap == "report-claiming-another-user":
        assert (u["bob"], "groq") not in rows and rows[(u["eve"], "groq")]["status"] == "warn"
    if trap == "dot-renamed-directory":
        assert rows[(u["hal"], "groq")]["status"] == "fail"
