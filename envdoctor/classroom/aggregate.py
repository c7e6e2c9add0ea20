"""A class at a glance: students x platforms, the faults ranked by how many students they
hit (with the fix to announce to everyone), who is missing, and what could not be read."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from envdoctor.classroom.loader import Bad, Loaded
from envdoctor.classroom.roster import Roster, RowProblem
from envdoctor.recipe import catalog

CELL_STATUSES = ("ok", "warn", "fail", "error", "missing")


def platform_order() -> tuple[str, ...]:
    """The catalog's platforms in class-report order (each recipe's `classroom.order`)."""
    return tuple(catalog().class_order())


def __getattr__(name: str) -> Any:
    # PLATFORM_ORDER, the older module constant, is the catalog's order, read when asked.
    if name == "PLATFORM_ORDER":
        return platform_order()
    raise AttributeError(name)

_SEVERITY = {"fail": 3, "error": 2, "warn": 1}


@dataclass
class Cell:
    user: str
    platform: str
    status: str  # one of CELL_STATUSES
    report: Loaded | None = None
    bad: Bad | None = None
    note: str = ""
    anywhere: bool = False  # "missing" for a student expected somewhere, on no platform in particular


@dataclass
class Fault:
    id: str
    category: str
    title: str
    students: set[str] = field(default_factory=set)
    platforms: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    fixes: Counter[tuple[str, tuple[str, ...]]] = field(default_factory=Counter)
    whys: Counter[str] = field(default_factory=Counter)

    @property
    def worst(self) -> str:
        return max(self.statuses, key=lambda s: _SEVERITY.get(s, 0)) if self.statuses else "warn"

    @property
    def fix(self) -> tuple[str, tuple[str, ...]]:
        """The fix to announce: the one most students' reports give."""
        return self.fixes.most_common(1)[0][0] if self.fixes else ("", ())

    @property
    def why(self) -> str:
        return self.whys.most_common(1)[0][0] if self.whys else ""


@dataclass
class ClassData:
    students: list[str]
    platforms: list[str]
    cells: dict[tuple[str, str], Cell]
    faults: list[Fault]
    bad: list[Bad]
    roster: Roster | None
    missing: list[str]  # on the roster, no report at all
    not_on_roster: list[str]  # reports from users the roster does not list
    duplicates: list[str]  # reports superseded by a newer one for the same student and platform
    files: int = 0
    warnings: list[str] = field(default_factory=list)  # about the shared directory: who wrote what, hidden names

    def counts(self) -> dict[str, int]:
        """Cells by status; a student who sent nothing and is expected on no platform in
        particular counts once as missing, not once per platform of the class."""
        c = {s: 0 for s in CELL_STATUSES}
        seen: set[str] = set()
        for cell in self.cells.values():
            if cell.anywhere:
                if cell.user in seen:
                    continue
                seen.add(cell.user)
            c[cell.status] += 1
        return c

    def student_status(self, user: str) -> str:
        worst = "ok"
        order = {"ok": 0, "warn": 1, "missing": 2, "error": 3, "fail": 4}
        for p in self.platforms:
            cell = self.cells.get((user, p))
            if cell and order[cell.status] > order[worst]:
                worst = cell.status
        return worst

    @property
    def roster_problems(self) -> list[RowProblem]:
        return list(self.roster.problems) if self.roster else []

    def row(self, user: str) -> tuple[str, str]:
        """(name, email) from the roster."""
        r = self.roster.row(user) if self.roster else None
        return (r.name, r.email) if r else ("", "")


def aggregate(entries: Iterable[Loaded | Bad], roster: Roster | None = None,
              warnings: Iterable[str] = (), known_platforms: Iterable[str] | None = None) -> ClassData:
    """Fold loaded reports (a stream) into the class picture.

    A student is expected on the platforms the roster lists for them; without that, on the
    platforms they sent reports for (a student who works on one platform is not "missing"
    on the three others); a student who sent nothing at all is missing once."""
    latest: dict[tuple[str, str], Loaded] = {}
    bad: list[Bad] = []
    duplicates: list[str] = []
    files = 0
    order = platform_order()
    known = set(order if known_platforms is None else known_platforms) | ({p for r in roster.rows for p in r.platforms} if roster else set())
    for e in entries:
        files += 1
        if isinstance(e, Bad):
            bad.append(e)
            continue
        if e.platform not in known:
            e.notes.append(f"platform {e.platform!r} is not one envdoctor knows ({', '.join(sorted(known))}); "
                           f"no other student is expected on it")
            if e.status == "ok":
                e.status = "warn"
        key = (e.user, e.platform)
        old = latest.get(key)
        if old is not None:
            keep, drop = (e, old) if (e.mtime, e.path) >= (old.mtime, old.path) else (old, e)
            latest[key] = keep
            duplicates.append(f"{drop.path}: older report for {e.user} on {e.platform}; {keep.path} is used")
        else:
            latest[key] = e

    cells: dict[tuple[str, str], Cell] = {k: Cell(k[0], k[1], v.status, report=v) for k, v in latest.items()}
    for b in bad:
        # A file name is only a hint: it fills a cell on a platform the class has, never adds a column.
        if b.user and b.platform in known and (b.user, b.platform) not in cells:
            cells[(b.user, b.platform)] = Cell(b.user, b.platform, "error", bad=b, note=f"{b.kind} report")

    platforms = {p for _, p in cells}
    roster_users: list[str] = roster.users if roster else []
    if roster:
        for r in roster.rows:
            platforms.update(r.platforms)
    platforms_sorted = sorted(platforms, key=lambda p: (order.index(p) if p in order else len(order), p))
    reported_users = {u for u, _ in cells}
    students = sorted(reported_users | set(roster_users))
    _expect(cells, students, roster, platforms_sorted, reported_users)

    faults: dict[str, Fault] = {}
    for key in sorted(latest):
        rep = latest[key]
        for prob in rep.problems:
            f = faults.get(prob["id"])
            if f is None:
                f = faults[prob["id"]] = Fault(prob["id"], prob["category"], prob["title"])
            f.students.add(rep.user)
            f.platforms[rep.platform] += 1
            f.statuses[prob["status"]] += 1
            f.fixes[(prob["fix"], tuple(prob["commands"]))] += 1
            f.whys[prob["why"]] += 1
    ranked = sorted(faults.values(), key=lambda f: (-len(f.students), -_SEVERITY.get(f.worst, 0), f.id))

    missing = [u for u in roster_users if u not in reported_users]
    not_on_roster = sorted(reported_users - set(roster_users)) if roster else []
    trust = list(warnings) + [f"{rep.path}: {t}" for key in sorted(latest) for rep in (latest[key],) for t in rep.trust]
    return ClassData(students, platforms_sorted, cells, ranked, bad, roster, missing, not_on_roster, duplicates,
                     files, trust)


def _expect(cells: dict[tuple[str, str], Cell], students: list[str], roster: Roster | None,
            platforms: list[str], reported: set[str]) -> None:
    """Add a "missing" cell wherever a student is expected and sent nothing."""
    for user in students:
        row = roster.row(user) if roster else None
        if row and row.platforms:
            for p in row.platforms:
                cells.setdefault((user, p), Cell(user, p, "missing"))
        elif user not in reported:
            for p in platforms:  # expected on some platform of the class; which one, nobody said
                cells[(user, p)] = Cell(user, p, "missing", note="no report on any platform", anywhere=True)
