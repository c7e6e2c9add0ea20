"""Read students' check reports: streaming, in parallel for large classes, never crashing.

Every file becomes either a `Loaded` report (a compact copy: the counts, and the full text
only of the checks that are problems) or a `Bad` one that says what is wrong with it
(corrupt, truncated, foreign, newer, invalid, unreadable, symlink, special, too-large,
hard-link), with the user and platform guessed from its place in a `--share` directory so
that the grid can still show the cell.

A shared course directory is written by the whole class, so nothing in it is believed:
a report is its file owner's (the JSON `user` and the directory name are claims, and any
disagreement becomes a warning); only regular files with one link are read, opened
without following links or blocking on FIFOs, and at most MAX_FILE_BYTES of them; hidden
names are read and flagged, never skipped.
"""
from __future__ import annotations

import errno
import functools
import json
import os
import re
import stat
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from envdoctor import __version__
from envdoctor.errors import UsageError
from envdoctor.redact import redact_text
from envdoctor.share import user_name as name_of

SCHEMA = "envdoctor/check-report@1"
_SCHEMA_RE = re.compile(r"envdoctor/check-report@(\d+)")
STATUSES = ("ok", "warn", "fail", "skip", "error")
PROBLEMS = ("warn", "fail", "error")
MAX_EVIDENCE = 6
MAX_FILE_BYTES = 4 * 1024 * 1024  # a check report is a few kB (31 checks with evidence: < 100 kB)
# Below this many files, a process pool costs more than it saves.
PARALLEL_MIN = 4000  # measured: serial is faster at 1,000 reports (0.37 s vs 0.49 s), even at 10,000


@dataclass
class Loaded:
    path: str
    user: str
    platform: str
    release: str
    target: str
    hostname: str
    node_role: str
    version: str
    exit_code: int
    status: str  # the cell: fail > error > warn > ok
    counts: dict[str, int]
    problems: list[dict[str, Any]]  # full text of warn/fail/error checks
    others: list[tuple[str, str, str, str]]  # (id, category, title, status) of ok/skip checks
    duration_ms: int = 0
    mtime: float = 0.0
    notes: list[str] = field(default_factory=list)
    trust: list[str] = field(default_factory=list)  # who wrote it vs whose it says it is, hidden names
    owner: str = ""  # the account that owns the file

    def as_report_dict(self) -> dict[str, Any]:
        """A check-report@1 mapping again (for JUnit): problems in full, the rest by id."""
        checks = [{"id": i, "category": c, "title": t, "status": s} for i, c, t, s in self.others] + self.problems
        return {"schema": SCHEMA, "platform": self.platform, "release": self.release, "target": self.target,
                "host": {"hostname": self.hostname, "node_role": self.node_role}, "exit_code": self.exit_code,
                "summary": dict(self.counts), "checks": checks, "duration_ms": self.duration_ms, "user": self.user}


@dataclass
class Bad:
    path: str
    kind: str  # corrupt, truncated, foreign, newer, invalid, unreadable, symlink, special, too-large, hard-link
    message: str
    user: str = ""  # guessed from DIR/<user>/<platform>.json
    platform: str = ""

    def text(self) -> str:
        return f"{self.path}: {self.kind}: {self.message}"


@dataclass
class Survey:
    """What a walk of the inputs found: report files to read, entries refused on sight
    (symbolic links to directories), and warnings about the shared directory itself."""
    files: list[tuple[str, str]] = field(default_factory=list)  # (file, the share directory it is in, or "")
    bad: list[Bad] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


MAX_DEPTH = 3  # DIR/<user>/<platform>.json is depth 1; a few levels more for a parent of several courses
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def trusted_uids() -> frozenset[int]:
    """Files owned by root or by the instructor running `class report` tell nothing about
    which student wrote them (the instructor copied them in, or root rehearsed): for those
    the layout and the report say whose they are. Every other file is its owner's."""
    return frozenset({0, os.geteuid()})


def discover(inputs: Sequence[str | os.PathLike[str]]) -> list[tuple[str, str]]:
    """(file, the input it came from) for every report under the inputs, in a stable order."""
    return survey(inputs).files


def survey(inputs: Sequence[str | os.PathLike[str]]) -> Survey:
    """Walk the inputs without following symbolic links. Hidden names are walked and
    flagged, not skipped (renaming a classmate's directory to `.name` must not hide it);
    only the temporary file of a write in progress is passed over. Files are taken as
    given, whatever their name; `load_one` decides whether they can be read."""
    found = Survey()
    for item in inputs:
        p = os.fspath(item)
        if os.path.isdir(p):  # the instructor's own path: a link to the course directory is fine
            found.warnings.extend(_course_dir_warnings(p))
            _walk(p, p, 0, found)
        elif os.path.lexists(p):
            found.files.append((p, ""))
        else:
            raise UsageError(f"{p}: no such file or directory (give a --share directory or report files)")
    return found


def _walk(root: str, path: str, depth: int, found: Survey) -> None:
    try:
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        found.bad.append(Bad(path, "unreadable", f"cannot list the directory: {exc.strerror or exc}"))
        return
    uids = trusted_uids()
    for e in entries:
        if depth == 0 and e.is_symlink():
            found.bad.append(Bad(e.path, "symlink", f"a symbolic link{_link_text(e.path)}: not followed",
                                 _hint(e.name)))
        elif e.is_dir(follow_symlinks=False):
            if depth == 0:
                found.warnings.extend(_dir_warnings(e.path, e.name, uids))
            if depth < MAX_DEPTH:
                _walk(root, e.path, depth + 1, found)
        elif e.name.endswith(".json"):  # hidden ones too; `.x.json.<random>.tmp` (a write under way) is not
            found.files.append((e.path, root))


def _course_dir_warnings(path: str) -> list[str]:
    """A course directory the class can write needs the sticky bit, or any student can
    rename or remove a classmate's directory (the way to hide a report)."""
    try:
        st = os.stat(path)
    except OSError:
        return []
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return [f"{path}: writable by {'everyone' if st.st_mode & 0o002 else 'the group'} without the sticky bit "
                f"(mode {stat.S_IMODE(st.st_mode):04o}): any student can rename or remove a classmate's directory; "
                f"run `chmod +t {path}`"]
    return []


def _dir_warnings(path: str, name: str, uids: frozenset[int]) -> list[str]:
    """A student's directory: hidden, made by someone else, or writable by others."""
    try:
        st = os.lstat(path)
    except OSError:
        return []
    out = []
    owner = user_name(st.st_uid)
    if name.startswith("."):
        out.append(f"{path}: hidden directory (a leading dot; renamed to hide it?), owned by {owner}; "
                   f"its reports are read and counted")
    if st.st_uid not in uids and owner != name.lstrip("."):
        out.append(f"{path}: directory named {name.lstrip('.')} is owned by {owner}: "
                   f"a classmate may have created it to catch or hide {name.lstrip('.')}'s report")
    if st.st_mode & 0o022:
        who = "everyone" if st.st_mode & 0o002 else "the group"
        out.append(f"{path}: writable by {who} (mode {stat.S_IMODE(st.st_mode):04o}): "
                   f"anyone could replace the reports in it")
    return out


def _link_text(path: str) -> str:
    try:
        return f" to {os.readlink(path)} (made by {user_name(os.lstat(path).st_uid)})"
    except OSError:
        return ""


def _hint(name: str) -> str:
    return name.lstrip(".")


def user_name(uid: int) -> str:
    return name_of(uid)


def guess_owner(path: str, root: str) -> tuple[str, str]:
    """(user, platform) from DIR/<user>/<platform>.json, or ("", "") when not laid out so."""
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    stem = os.path.splitext(os.path.basename(path))[0]
    if root and os.path.abspath(os.path.dirname(os.path.dirname(os.path.abspath(path)))) == os.path.abspath(root):
        return _hint(parent), stem.lstrip(".")
    return "", ""


def load_one(path: str, root: str = "") -> Loaded | Bad:
    user_hint, platform_hint = guess_owner(path, root)

    def bad(kind: str, message: str) -> Bad:
        return Bad(path, kind, message, user_hint, platform_hint)

    try:
        fd = _open_report(path, root)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return bad("symlink", f"a symbolic link{_link_text(path)}: not followed")
        return bad("unreadable", exc.strerror or str(exc))
    try:
        st = os.fstat(fd)
        refused = _refuse(st)
        if refused:
            return bad(*refused)
        raw = _read_capped(fd)
    except OSError as exc:
        return bad("unreadable", exc.strerror or str(exc))
    finally:
        os.close(fd)
    if raw is None:
        return bad("too-large", f"more than {MAX_FILE_BYTES // (1024 * 1024)} MiB: far too large to be a "
                                f"check report (not read further)")
    if not raw.strip():
        return bad("truncated", "the file is empty (a report still being written, or a failed copy)")
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        return bad("corrupt", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        text = raw.decode("utf-8", errors="replace").rstrip()
        cut_short = exc.pos >= len(text) - 1 or exc.msg.startswith("Unterminated string")
        if cut_short and text.lstrip().startswith(("{", "[")):
            return bad("truncated", f"the JSON stops early (line {exc.lineno}): the file was cut off")
        return bad("corrupt", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return bad("corrupt", "JSON nested too deeply")
    result = _interpret(data, path, user_hint, platform_hint, st.st_mtime)
    if isinstance(result, Loaded):
        _attribute(result, st.st_uid, path, root, user_hint)
        if not result.user:
            return bad("invalid", "no user (reports written by `check --share` have one)")
    return result


def _open_report(path: str, root: str) -> int:
    """An fd of the report, opened without following a symbolic link at any step below the
    share directory (and without blocking on a FIFO): a classmate cannot swap a directory
    or the file for a link between the walk and the read."""
    if not root:
        return os.open(path, _READ_FLAGS)
    parts = os.path.relpath(path, root).split(os.sep)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return os.open(parts[-1], _READ_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _refuse(st: os.stat_result) -> tuple[str, str] | None:
    """Only regular files with one link are read: no FIFO (hangs), device (/dev/zero never
    ends), socket, or hard link to a file elsewhere (a root-only file linked in)."""
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a directory"
                if stat.S_ISDIR(st.st_mode) else "not a regular file")
        return "special", f"{kind} (made by {user_name(st.st_uid)}), not a report file: not read"
    if st.st_nlink > 1:
        return "hard-link", (f"a hard link ({st.st_nlink} names for one file, owned by {user_name(st.st_uid)}): "
                             f"reports are written as new files, so this one was linked in; not read")
    return None


def _read_capped(fd: int) -> bytes | None:
    """At most MAX_FILE_BYTES, counted as read (st_size can lie: /proc files, growing files)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            return None


def _attribute(rep: Loaded, uid: int, path: str, root: str, dir_user: str) -> None:
    """Whose report it is: the file's owner, unless root or the instructor wrote it (then
    the directory, else the report). Every disagreement is shown, never silently resolved."""
    owner = user_name(uid)
    rep.owner = owner
    claimed = rep.user
    if uid in trusted_uids():
        rep.user = dir_user or claimed
        if dir_user and claimed and claimed != dir_user:
            rep.trust.append(f"report in {dir_user}'s directory claims to be {claimed}; counted for {dir_user}")
    else:
        rep.user = owner
        if dir_user and dir_user != owner:
            rep.trust.append(f"report in {dir_user}'s directory is owned by {owner}; counted for {owner}")
        if claimed and claimed != owner:
            where = f"{owner}'s directory" if dir_user == owner else f"a file owned by {owner}"
            rep.trust.append(f"report in {where} claims to be {claimed}; counted for {owner}")
    rel = os.path.relpath(path, root) if root else os.path.basename(path)
    hidden = [p for p in rel.split(os.sep) if p.startswith(".")]
    if hidden:
        rep.trust.append(f"found under a hidden name ({', '.join(hidden)}): renamed to hide it?")
    if rep.trust and rep.status == "ok":
        rep.status = "warn"


def _interpret(data: Any, path: str, user_hint: str, platform_hint: str, mtime: float) -> Loaded | Bad:
    def bad(kind: str, message: str) -> Bad:
        return Bad(path, kind, message, user_hint, platform_hint)

    if not isinstance(data, dict):
        return bad("foreign", f"a JSON {type(data).__name__}, not an envdoctor check report")
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith("envdoctor/"):
        return bad("foreign", f"not an envdoctor check report (schema {schema!r})")
    m = _SCHEMA_RE.fullmatch(schema)
    if not m:
        return bad("foreign", f"an envdoctor {schema.split('/', 1)[1]} document, not a check report")
    if int(m.group(1)) > 1:
        return bad("newer", f"{schema} was written by a newer envdoctor; update envdoctor to read it")
    version = str(data.get("envdoctor_version", ""))
    if _major(version) > _major(_our_version()):
        return bad("newer", f"written by envdoctor {version}, newer than this {_our_version()}; update envdoctor")
    platform, checks = data.get("platform"), data.get("checks")
    if not isinstance(platform, str) or not platform:
        return bad("invalid", "no platform")
    if not isinstance(checks, list):
        return bad("invalid", "no list of checks")
    user = data.get("user") if isinstance(data.get("user"), str) and data.get("user") else ""
    counts = {s: 0 for s in STATUSES}
    problems: list[dict[str, Any]] = []
    others: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    for i, c in enumerate(checks):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str):
            notes.append(f"check #{i} is malformed and was ignored")
            continue
        status = c.get("status")
        if status not in STATUSES:
            notes.append(f"check {c['id']}: unknown status {status!r}, counted as error")
            status = "error"
        counts[status] += 1
        if status in PROBLEMS:
            problems.append(_problem(c, status))
        else:
            others.append((c["id"], str(c.get("category", "")), str(c.get("title", "")), status))
    if platform_hint and platform_hint != platform:
        notes.append(f"file name says {platform_hint}, the report says {platform}")
    given = data.get("host")
    host = given if isinstance(given, dict) else {}
    cell = "fail" if counts["fail"] else "error" if counts["error"] else "warn" if counts["warn"] else "ok"
    if notes and cell == "ok":
        cell = "warn"
    stated = data.get("exit_code")
    exit_code = stated if isinstance(stated, int) else int(cell in ("fail", "error"))
    return Loaded(path, str(user), platform, str(data.get("release", "")), str(data.get("target", "")),
                  str(host.get("hostname", "")), str(host.get("node_role", "")), version, exit_code, cell, counts,
                  problems, others, _int(data.get("duration_ms")), mtime, notes)


def _problem(c: dict[str, Any], status: str) -> dict[str, Any]:
    commands, evidence = c.get("commands"), c.get("evidence")
    commands = commands if isinstance(commands, list) else []
    evidence = evidence if isinstance(evidence, list) else []
    # Reports written by `check --share` are redacted already; hand-made ones may not be,
    # and the class page is shared: mask secrets again in what the page shows.
    return _redact({"id": c["id"], "category": str(c.get("category", "")), "title": str(c.get("title", "") or c["id"]),
                    "status": status, "why": str(c.get("why", "")), "fix": str(c.get("fix", "")),
                    "commands": [str(x) for x in commands], "evidence": [str(x) for x in evidence[:MAX_EVIDENCE]],
                    "duration_ms": _int(c.get("duration_ms"))})


def _redact(problem: dict[str, Any]) -> dict[str, Any]:
    for key in ("why", "fix", "title"):
        problem[key] = _redact_str(problem[key])
    for key in ("commands", "evidence"):
        problem[key] = [_redact_str(x) for x in problem[key]]
    return problem


@functools.lru_cache(maxsize=65536)
def _redact_str(text: str) -> str:
    """Cached: a class's reports repeat the same fix and command texts thousands of times."""
    return redact_text(text)


def _int(v: Any) -> int:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


def _major(version: str) -> int:
    m = re.match(r"\s*(\d+)", version)
    return int(m.group(1)) if m else 0


def _our_version() -> str:
    return __version__


def _load_chunk(items: list[tuple[str, str]]) -> list[Loaded | Bad]:
    return [load_one(p, root) for p, root in items]


def load_all(files: Sequence[tuple[str, str]], workers: int | None = None) -> Iterator[Loaded | Bad]:
    """Load every file; in worker processes (JSON parsing is CPU-bound) when there are many.
    Results come back in chunks as they are ready, in input order."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(files) < PARALLEL_MIN:
        for p, root in files:
            yield load_one(p, root)
        return
    size = max(64, len(files) // (workers * 4))
    chunks = [list(files[i:i + size]) for i in range(0, len(files), size)]
    try:
        pool = ProcessPoolExecutor(max_workers=workers)
    except (OSError, NotImplementedError):  # no /dev/shm or no fork: read them here
        for p, root in files:
            yield load_one(p, root)
        return
    with pool:
        for chunk in pool.map(_load_chunk, chunks):
            yield from chunk


def iter_entries(inputs: Iterable[str | os.PathLike[str]], workers: int | None = None) -> Iterator[Loaded | Bad]:
    return load_all(discover(list(inputs)), workers)
