"""The one reader for files a user (or a classmate) hands to envdoctor.

Every command that reads a file named on its command line or found in a shared place
(diff, explain, bundle, snapshot loading, recipes, class reports) opens it here:

- only a regular file, or standard input when the name is `-`: a FIFO, a device
  (/dev/zero, /dev/tty), a socket or a directory is refused with one line. The file is
  opened with O_NONBLOCK, so opening a FIFO never waits for a writer, and checked with
  fstat AFTER opening (what was opened is what is checked: no race with a rename);
- optionally no symlink at all (`follow_symlinks=False`, O_NOFOLLOW), for shared
  directories where a classmate could plant a link to someone else's file;
- sizes are capped by the bytes actually read, never by st_size (a growing file, or a
  device that reports size 0, cannot get past the cap);
- structured data has a depth limit (MAX_DEPTH), and YAML may not use aliases or anchors
  (an "alias bomb" of a few hundred bytes expands to gigabytes): `yaml_events_ok`.

Every violation is a UsageError: one line (what, where, what to do), exit 2.
"""
from __future__ import annotations

import codecs
import fcntl
import io
import json
import os
import stat
import sys
from contextlib import contextmanager
from typing import IO, Any, Iterable, Iterator, Optional, Union

from envdoctor.errors import UsageError

PathLike = Union[str, "os.PathLike[str]"]
MAX_DEPTH = 64  # nesting of JSON / YAML documents envdoctor reads
CHUNK = 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
)


def is_stdin(path: PathLike) -> bool:
    return str(path) == "-"


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _open_fd(path: PathLike, what: str, follow_symlinks: bool) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(os.fspath(path), flags)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (a {what} was expected)") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a {what}; name a file") from None
    except OSError as exc:
        if not follow_symlinks and os.path.islink(os.fspath(path)):
            raise UsageError(f"{path}: is a symbolic link; envdoctor reads only regular files here") from None
        raise UsageError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UsageError(f"{path}: is {_kind(mode)}, not a regular file; give a {what} "
                             f"(or '-' to read standard input)")
        # Regular files never block; clear O_NONBLOCK so reads behave as usual.
        try:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        except (ImportError, OSError):
            pass
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def open_binary(path: PathLike, what: str = "file", *, follow_symlinks: bool = True,
                allow_stdin: bool = True) -> Iterator[IO[bytes]]:
    """A binary file object for a regular file, or standard input for '-'."""
    if is_stdin(path):
        if not allow_stdin:
            raise UsageError(f"'-' (standard input) is not accepted here; name a {what}")
        yield _stdin_binary()
        return
    fd = _open_fd(path, what, follow_symlinks)
    with os.fdopen(fd, "rb") as fh:
        yield fh


def _stdin_binary() -> IO[bytes]:
    stdin = sys.stdin
    if stdin is None:
        return io.BytesIO(b"")
    buf = getattr(stdin, "buffer", None)
    if buf is not None:
        return buf
    # A text stream without a buffer (an embedding program, tests): encode what it gives.
    return io.BufferedReader(_EncodedText(stdin))


class _EncodedText(io.RawIOBase):
    def __init__(self, text: IO[str]) -> None:
        self._text, self._pending = text, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while len(self._pending) < len(b):
            more = self._text.read(max(len(b), 4096))
            if not more:
                break
            self._pending += more.encode("utf-8")
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def read_bytes(path: PathLike, limit: int, what: str = "file", *, follow_symlinks: bool = True,
               allow_stdin: bool = True, hint: str = "") -> bytes:
    """The whole content, refusing (one line) once more than `limit` bytes were READ."""
    with open_binary(path, what, follow_symlinks=follow_symlinks, allow_stdin=allow_stdin) as fh:
        return read_capped(fh, limit, "standard input" if is_stdin(path) else str(path), what, hint)


def read_capped(fh: IO[bytes], limit: int, name: str, what: str = "file", hint: str = "") -> bytes:
    parts, total = [], 0
    while True:
        chunk = fh.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise UsageError(f"{name}: more than {_human(limit)}, far too large for a {what}"
                             + (f"; {hint}" if hint else ""))
    return b"".join(parts)


def read_text(path: PathLike, limit: int, what: str = "file", *, follow_symlinks: bool = True,
              allow_stdin: bool = True, hint: str = "") -> str:
    """The whole content as UTF-8 text (capped as read_bytes); bad UTF-8 is one line."""
    data = read_bytes(path, limit, what, follow_symlinks=follow_symlinks, allow_stdin=allow_stdin, hint=hint)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{_name(path)}: not UTF-8 text (byte {exc.start}), not a {what}") from None


def decoded(pieces: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 text of a stream of byte pieces, a character split between pieces kept whole;
    invalid UTF-8 is replaced. Empty results are not yielded."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for raw in pieces:
        text = decoder.decode(raw)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def iter_text_lines(fh: IO[bytes], line_limit: int = 64 * 1024) -> Iterator[str]:
    """Decoded lines of a binary stream in bounded memory: a line longer than `line_limit`
    arrives in pieces (only the last ends in a newline); invalid UTF-8 is replaced."""
    return decoded(iter(lambda: fh.readline(line_limit), b""))


def load_json(data: Union[str, bytes], source: str, what: str = "JSON document", max_depth: int = MAX_DEPTH) -> Any:
    """json.loads with one-line errors and a depth limit (no RecursionError)."""
    try:
        obj = json.loads(data)
    except RecursionError:
        raise UsageError(f"{source}: nested more than {max_depth} levels deep, not a {what}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source}: not UTF-8 text, not a {what}") from None
    except ValueError as exc:
        raise UsageError(f"{source}: not JSON ({str(exc).split(':')[0]}), not a {what}") from None
    check_depth(obj, source, what, max_depth)
    return obj


def depth_exceeds(obj: Any, max_depth: int = MAX_DEPTH) -> bool:
    """True when `obj` (dicts and lists) nests deeper than max_depth; iterative."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list, tuple)))
    return False


def check_depth(obj: Any, source: str, what: str = "document", max_depth: int = MAX_DEPTH) -> None:
    if depth_exceeds(obj, max_depth):
        raise UsageError(f"{source}: nested more than {max_depth} levels deep, not a {what}")


def yaml_problem(text: str, max_depth: int = MAX_DEPTH) -> Optional[tuple]:
    """(line, problem) when the YAML text uses an alias or an anchor, or nests deeper than
    max_depth; None when it is fine (or when it does not even parse: the loader reports
    that with its own message). Works on the parser's event stream, which is iterative and
    never expands an alias, so a hostile file costs one linear pass."""
    from ruamel.yaml import YAML  # lazy: ruamel.yaml, ~30 modules; check and explain read cached data
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

    depth = 0
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, AliasEvent):
                return line, f"YAML alias *{event.anchor} is not allowed here; write the value out in full"
            if isinstance(event, NodeEvent) and event.anchor is not None:
                return line, f"YAML anchor &{event.anchor} is not allowed here; write the value out in full"
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    return line, f"nested more than {max_depth} levels deep"
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return None
    except RecursionError:
        return None, f"nested more than {max_depth} levels deep"
    return None


def load_yaml_safe(text: str, source: str, what: str = "YAML file", max_depth: int = MAX_DEPTH) -> Any:
    """Plain data from YAML text, refusing aliases, anchors and deep nesting (one line)."""
    from ruamel.yaml import YAML  # lazy: ruamel.yaml, ~30 modules; check and explain read cached data
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    problem = yaml_problem(text, max_depth)
    if problem is not None:
        line, why = problem
        raise UsageError(f"{source}{':' + str(line) if line else ''}: {why} ({what})")
    try:
        return YAML(typ="safe", pure=True).load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise UsageError(f"{source}{':' + str(line) if line else ''}: not valid YAML ({exc.problem}), "
                         f"not a {what}") from None
    except YAMLError as exc:
        raise UsageError(f"{source}: not valid YAML ({exc}), not a {what}") from None
    except RecursionError:
        raise UsageError(f"{source}: nested more than {max_depth} levels deep, not a {what}") from None


def _name(path: PathLike) -> str:
    return "standard input" if is_stdin(path) else str(path)


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.0f} GiB"


def regular_file_size(path: PathLike) -> int:
    """st_size of a regular file opened safely (a hint only: reads are capped anyway)."""
    fd = _open_fd(path, "file", True)
    try:
        return os.fstat(fd).st_size
    finally:
        os.close(fd)
