"""The course roster: a CSV with a `user` column (and optional `name`, `email`, `platforms`).

Rosters come from registration systems and spreadsheets, so the reader is forgiving about
encodings (UTF-8 with or without BOM, then Windows-1252/Latin-1), line endings (CRLF) and
column spelling (case, spaces), and strict about reporting: every row it cannot use, or
uses with a doubt, is a `RowProblem` with its line number; only a roster with no `user`
column at all is refused.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from envdoctor.errors import UsageError

KNOWN_COLUMNS = ("user", "name", "email", "platforms")
_ALIASES = {"username": "user", "login": "user", "account": "user", "userid": "user", "user_name": "user",
            "full_name": "name", "fullname": "name", "e-mail": "email", "mail": "email", "platform": "platforms",
            "systems": "platforms"}
# POSIX portable user names (plus the dot and @ some sites use); what useradd accepts.
USER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.@-]{0,31}\$?")


@dataclass(frozen=True)
class RosterRow:
    line: int
    user: str
    name: str = ""
    email: str = ""
    platforms: tuple[str, ...] = ()  # empty: every platform of the class


@dataclass(frozen=True)
class RowProblem:
    line: int
    user: str
    problem: str

    def text(self) -> str:
        who = f" ({self.user})" if self.user else ""
        return f"roster line {self.line}{who}: {self.problem}"


@dataclass
class Roster:
    path: str
    encoding: str
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def users(self) -> list[str]:
        return [r.user for r in self.rows]

    def row(self, user: str) -> RosterRow | None:
        for r in self.rows:
            if r.user == user:
                return r
        return None


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name). A BOM is honoured; invalid UTF-8 falls back to cp1252, then latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def load(path: str | Path, known_platforms: tuple[str, ...] = ()) -> Roster:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read roster {path}: {exc.strerror or exc}") from None
    text, encoding = decode(raw)
    return parse(text, str(path), encoding, known_platforms)


def parse(text: str, path: str = "roster", encoding: str = "utf-8", known_platforms: tuple[str, ...] = ()) -> Roster:
    roster = Roster(path, encoding)
    if "\x00" in text:
        raise UsageError(f"{path}: not a CSV roster (binary data)")
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
    header: list[str] | None = None
    header_line = 0
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue  # blank lines and comments
        if header is None:
            header = [_column(f) for f in fields]
            header_line = line
            if "user" not in header:
                found = ", ".join(f.strip() for f in fields if f.strip()) or "none"
                raise UsageError(f"{path}:{line}: the roster needs a `user` column (found: {found}); "
                                 f"columns are {', '.join(KNOWN_COLUMNS)}")
            for name in header:
                if name and name not in KNOWN_COLUMNS:
                    roster.problems.append(RowProblem(line, "", f"unknown column {name!r} ignored"))
            continue
        _row(roster, header, fields, line, seen, known_platforms)
    if header is None:
        raise UsageError(f"{path}: the roster is empty; it needs a header line with a `user` column")
    del header_line
    return roster


def _row(roster: Roster, header: list[str], fields: list[str], line: int, seen: dict[str, int],
         known_platforms: tuple[str, ...]) -> None:
    values = {name: (fields[i].strip() if i < len(fields) else None) for i, name in enumerate(header) if name}
    user = values.get("user") or ""
    if len(fields) < len(header):
        missing = [n for i, n in enumerate(header) if i >= len(fields) and n]
        roster.problems.append(RowProblem(line, user, f"missing column(s) {', '.join(missing)}"))
    elif len(fields) > len(header) and any(f.strip() for f in fields[len(header):]):
        roster.problems.append(RowProblem(line, user, f"{len(fields) - len(header)} extra field(s) ignored"))
    if not user:
        roster.problems.append(RowProblem(line, "", "no user name; row skipped"))
        return
    if not USER_RE.fullmatch(user):
        roster.problems.append(RowProblem(line, user, "not a valid user name; row skipped"))
        return
    if user in seen:
        roster.problems.append(RowProblem(line, user, f"duplicate of line {seen[user]}; row skipped"))
        return
    seen[user] = line
    platforms = tuple(p.strip().lower() for p in re.split(r"[;,\s|]+", values.get("platforms") or "") if p.strip())
    unknown = [p for p in platforms if known_platforms and p not in known_platforms]
    if unknown:
        roster.problems.append(RowProblem(line, user, f"unknown platform(s) {', '.join(unknown)} ignored"))
        platforms = tuple(p for p in platforms if p not in unknown)
    roster.rows.append(RosterRow(line, user, values.get("name") or "", values.get("email") or "", platforms))


def _column(name: str) -> str:
    key = name.strip().strip("\ufeff").lower().replace(" ", "_")
    return _ALIASES.get(key, key)


def _dialect(text: str) -> type[csv.Dialect]:
    """Comma by default; semicolon or tab when the header line uses them (spreadsheet exports).
    Decided on the header only: a `platforms` cell like `groq;cerebras` must not win."""
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter if first.count(delimiter) else ","
    return Dialect
