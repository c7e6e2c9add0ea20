"""Who is expected where: a student is missing only on the platforms the course expects of
them (the roster's platforms column), else on none but those they reported on; a student who
sent nothing is missing once, not once per platform."""
from __future__ import annotations

from pathlib import Path

from classroom_data import write_report

from envdoctor.classroom import aggregate, loader, roster as roster_mod


def _data(share: Path, roster_text: str = ""):
    roster = roster_mod.parse(roster_text, known_platforms=aggregate.PLATFORM_ORDER) if roster_text else None
    return aggregate.aggregate(loader.iter_entries([share]), roster)


def test_one_platform_per_student_is_not_missing_elsewhere(share_dir: Path) -> None:
    for user, platform in (("ann", "cerebras"), ("ben", "sambanova"), ("cat", "graphcore"), ("dan", "groq")):
        write_report(share_dir, user, platform)
    data = _data(share_dir)
    assert data.platforms == ["cerebras", "sambanova", "graphcore", "groq"]
    assert data.counts() == {"ok": 4, "warn": 0, "fail": 0, "error": 0, "missing": 0}
    assert ("ann", "groq") not in data.cells


def test_roster_platforms_decide_and_an_absent_student_counts_once(share_dir: Path) -> None:
    for user, platform in (("ann", "cerebras"), ("ben", "sambanova"), ("cat", "graphcore"), ("dan", "groq")):
        write_report(share_dir, user, platform)
    data = _data(share_dir, "user,platforms\nann,cerebras;groq\nben,\ncat,graphcore\ndan,groq\neve,\nfay,groq\n")
    status = {k: c.status for k, c in data.cells.items()}
    assert status[("ann", "groq")] == "missing"         # the roster expects ann on groq too
    assert ("ben", "groq") not in status                # no platforms listed: where ben reported
    assert status[("fay", "groq")] == "missing"
    assert {p for (u, p), s in status.items() if u == "eve"} == set(data.platforms)  # shown on every column
    assert data.counts()["missing"] == 3                # ann/groq, fay/groq, and eve once
    assert data.missing == ["eve", "fay"]
