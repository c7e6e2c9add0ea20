"""`check --share DIR`: put the JSON report where a course collects them.

The report lands as `DIR/<user>/<platform>.json`, where <user> is the account running
envdoctor (from the process's uid, never from `$USER`). A shared course directory is
writable by the whole class, so nothing in it is trusted:

- `DIR/<user>` is created by the student, owned by the student, mode 0750 (02750 when the
  course directory is setgid, so that reports get the course's group). If it already
  exists it must be a real directory (not a symbolic link), owned by the student and not
  writable by group or others; otherwise nothing is written and one line says that a
  classmate may have created it and what to tell the instructor.
- Every step goes through directory file descriptors opened with O_NOFOLLOW, and the
  report is written to a new temporary file (O_EXCL) in the student's own directory and
  renamed over the old one, so no symbolic link or swapped directory can redirect it and
  `class report` never reads half a file.
- Missing parents are created 0755 whatever the umask (never 0777 under umask 000).
- The report is redacted: a project directory is read by the whole class.

root may write on behalf of the user a report names (rehearsals, tests): `class report`
trusts files owned by root or by the instructor running it.
"""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import stat
from pathlib import Path
from typing import Any, Iterator

from envdoctor.errors import UsageError
from envdoctor.redact import redact_mapping
from envdoctor.results import Report

# A user name as it becomes a directory: no separators, no leading dot.
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")
PARENT_MODE = 0o755
FILE_MODE = 0o640
_O_DIR = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def safe_name(name: str, fallback: str = "unknown") -> str:
    cleaned = _SAFE.sub("_", name).lstrip(".")
    return cleaned or fallback


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """The report with secrets masked (the one redactor every output path ends with)."""
    return redact_mapping(data)


def user_name(uid: int) -> str:
    """The account name of `uid` ("uid-1234" when the account has no name here)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid-{uid}"


def _uid_of(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def write_shared(report: Report, directory: Path) -> Path:
    """Write `report` to DIR/<user>/<platform>.json; return the path written."""
    directory = Path(directory).expanduser()
    me = os.geteuid()
    user = _directory_user(report, me)
    data = report.to_dict()
    data.setdefault("user", report.user or user)
    text = json.dumps(redacted(data), indent=2, ensure_ascii=False) + "\n"
    user_dir = directory / user
    name = f"{safe_name(report.platform)}.json"
    try:
        _make_parents(directory)
        file_mode, dir_mode = _modes(directory)
        with _open_dir(directory) as top, _student_dir(top, user, user_dir, dir_mode, me) as own:
            _write_in(own, name, text.encode("utf-8"), file_mode)
    except OSError as exc:
        raise UsageError(f"cannot write the shared report under {directory}: {exc.strerror or exc}; "
                         f"check that the directory exists and your group can write to it") from None
    return user_dir / name


def _directory_user(report: Report, me: int) -> str:
    """The student's directory is named after the account writing it. Only root may write
    for another account (the one the report names), as an administrator rehearsing would."""
    if me == 0 and report.user:
        return safe_name(report.user)
    return safe_name(user_name(me))


def _make_parents(directory: Path) -> None:
    """Create missing parents with an explicit mode: Path.mkdir(parents=True) makes them
    0777 & ~umask, i.e. world-writable under umask 000."""
    missing = []
    p = directory
    while not os.path.lexists(p):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(d, PARENT_MODE)


def _modes(directory: Path) -> tuple[int, int]:
    """(file mode, directory mode). In a setgid course directory, keep the bit on the
    user's directory so that its files inherit the course's group, not the student's."""
    try:
        st = directory.stat()
    except OSError:
        return FILE_MODE, 0o750
    if st.st_mode & stat.S_ISGID:
        return FILE_MODE, 0o2750
    return FILE_MODE, 0o750


@contextlib.contextmanager
def _open_dir(path: Path, dir_fd: int | None = None, nofollow: bool = False) -> Iterator[int]:
    fd = os.open(path, _O_DIR | (os.O_NOFOLLOW if nofollow else 0), dir_fd=dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def _student_dir(top: int, user: str, shown: Path, mode: int, me: int) -> Iterator[int]:
    """The student's own directory as an fd: created now, or checked to be ours and safe."""
    created = True
    try:
        os.mkdir(user, 0o700, dir_fd=top)  # private until its mode is set on the fd below
    except FileExistsError:
        created = False
    try:
        fd = os.open(user, _O_DIR | os.O_NOFOLLOW, dir_fd=top)
    except OSError as exc:
        st = _lstat_or_none(user, top)
        raise UsageError(_refusal(shown, st, me, user, exc)) from None
    try:
        st = os.fstat(fd)
        problem = _unsafe(st, me, user)
        if problem:
            raise UsageError(_refusal(shown, st, me, user, None, problem))
        if created:
            os.fchmod(fd, mode)  # mkdir's mode is cut by the umask; fchmod is not
        yield fd
    finally:
        os.close(fd)


def _lstat_or_none(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return None


def _unsafe(st: os.stat_result, me: int, user: str) -> str:
    """Why this directory must not receive the report ("" when it may)."""
    allowed = {me}
    if me == 0:
        uid = _uid_of(user)
        if uid is not None:
            allowed.add(uid)  # root writing into the named student's own directory
    if st.st_uid not in allowed:
        return f"is owned by {user_name(st.st_uid)}, not by you"
    if st.st_mode & 0o022:
        return f"is writable by {'others' if st.st_mode & 0o002 else 'the group'} (mode {stat.S_IMODE(st.st_mode):04o})"
    return ""


def _refusal(shown: Path, st: os.stat_result | None, me: int, user: str, exc: OSError | None,
             problem: str = "") -> str:
    if not problem:
        if st is not None and stat.S_ISLNK(st.st_mode):
            problem = f"is a symbolic link (made by {user_name(st.st_uid)})"
        elif st is not None and not stat.S_ISDIR(st.st_mode):
            problem = f"is not a directory (made by {user_name(st.st_uid)})"
        else:
            problem = f"cannot be opened ({exc.strerror if exc else 'unknown error'})"
    return (f"refusing to write the shared report: {shown} {problem}; a classmate may have created it to "
            f"catch or hide your report. Nothing was written. Tell your instructor: "
            f"\"{shown} was not made by {user_name(me)}, please remove it\", then run the check again")


def _write_in(dir_fd: int, name: str, data: bytes, mode: int) -> None:
    """A new file (O_EXCL, never through a link) in our own directory, fsynced, renamed over `name`."""
    tmp = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                 0o600, dir_fd=dir_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
