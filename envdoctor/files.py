"""Writing files safely: a temporary file in the same directory, fsync, then one rename.

A reader (or a crash, or Ctrl-C) never sees half a file, and a failed write leaves no
temporary file behind. Errors are OSError; callers turn them into one-line messages.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, Iterator

from envdoctor.errors import UsageError


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: int = 0o644, binary: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary sibling of `path` for writing; on success it replaces `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """Write via a temporary file in the same directory, then rename: never a half file.
    A file that cannot be written is the user's to fix: one line, exit 2."""
    try:
        with atomic_open(path, mode) as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


# --- editing text files a person wrote (shell startup files, configs) ---------------
#
# Only "\n" ends a line for bash, so only "\n" ends a line here: str.splitlines() would
# also split at \r, \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, and a file rebuilt from
# its parts would turn a comment holding one of them into two lines, the second run as
# code. Text is decoded with surrogateescape, so bytes that are not UTF-8 come back
# byte for byte.

ENCODING_ERRORS = "surrogateescape"
# Bidirectional controls make a shown diff read differently from the bytes written.
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_NAMES = {0: "NUL character", 9: "tab", 10: "line feed", 11: "vertical tab", 12: "form feed",
          13: "carriage return", 0x85: "next-line character (NEL)"}


def decode(data: bytes) -> str:
    return data.decode("utf-8", ENCODING_ERRORS)


def encode(text: str) -> bytes:
    return text.encode("utf-8", ENCODING_ERRORS)


def split_lines(text: str) -> list[str]:
    """The lines of `text`, each with its "\\n" (the last one may have none)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def newline_of(text: str) -> str:
    """The line ending the file mostly uses: "\\r\\n" for a Windows-style file, else "\\n"."""
    total = text.count("\n")
    return "\r\n" if total and text.count("\r\n") * 2 > total else "\n"


def bad_char(text: str) -> str | None:
    """What makes `text` unfit for one line of a shell startup file (None when it fits):
    a control character (NUL, line feed, carriage return, ...), a Unicode line or
    paragraph separator, a bidirectional control, or bytes that are not UTF-8."""
    import unicodedata  # lazy: not on the path of --help, which imports this module

    for index, char in enumerate(text):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            return f"a byte that is not UTF-8 (0x{code - 0xDC00:02x}) at character {index + 1}"
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp", "Cs") or char in _BIDI:
            name = _NAMES.get(code) or unicodedata.name(char, "").lower() or "control character"
            return f"a {name} (U+{code:04X}) at character {index + 1}"
    return None


def shown(line: str) -> str:
    """A line as a terminal may print it: control characters, separators and bytes that
    are not UTF-8 written as escapes (\\x0c, \\u2028), so that what a person reads in a
    diff is what the file holds."""
    import unicodedata  # lazy: not on the path of --help, which imports this module

    out = []
    for char in line:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char != "\t" and (unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def write_in_place(path: str, data: bytes) -> None:
    """Overwrite `path` through its own inode (hard links stay one file; owner, mode and
    ACLs stay as they are). Not atomic against a power cut, so callers take a backup
    first; SIGINT, SIGTERM and SIGHUP are held off while the bytes change, so Ctrl-C
    cannot leave half a file."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    in_main = _is_main_thread()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, held) if in_main else None
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        if old_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def write_replacing(path: str, tmp: str, data: bytes, like: os.stat_result | None) -> bool:
    """Write `data` to the fresh name `tmp` (same directory), give it the mode and owner
    of `like` (the file it replaces), fsync, and rename it over `path`. Returns False,
    writing nothing, when the owner cannot be kept (another user's file): the caller
    then writes in place."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            if like is not None and (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(fd, like.st_uid, like.st_gid)
        except PermissionError:
            os.close(fd)
            fd = -1
            os.unlink(tmp)
            return False
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, like.st_mode & 0o7777 if like is not None else 0o644)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def shell_value_problem(name: str, value: str) -> tuple[str, str] | None:
    """(key, problem) when `export NAME=value` cannot be written as one safe line of a
    shell startup file, else None. The value itself is never quoted in the problem: it
    may be a password (a proxy URL)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return "name", "is not a shell variable name: use letters, digits and _ (not starting with a digit)"
    bad = bad_char(value)
    if bad:
        return "value", (f"contains {bad}; a value is written on one line of a shell startup file: "
                         "remove line breaks and control characters from it")
    return None
