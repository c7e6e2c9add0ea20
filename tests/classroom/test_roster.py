"""Rosters from real life: BOMs, Latin-1, CRLF, duplicates, missing columns; reported per row."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.classroom import roster
from envdoctor.errors import UsageError

PLATFORMS = ("cerebras", "sambanova", "graphcore", "groq")


def _load(tmp_path: Path, data: bytes):
    p = tmp_path / "roster.csv"
    p.write_bytes(data)
    return roster.load(p, PLATFORMS)


def test_utf8_bom_crlf_and_aliases(tmp_path: Path) -> None:
    r = _load(tmp_path, "\ufeffUsername,Full Name,E-mail,Platforms\r\nalice,Alice Ångström,a@x.org,groq;cerebras\r\n"
                        "bob,Bob,b@x.org,\r\n".encode("utf-8"))
    assert r.encoding == "utf-8-sig" and not r.problems
    assert r.users == ["alice", "bob"]
    assert r.rows[0].name == "Alice Ångström" and r.rows[0].platforms == ("groq", "cerebras")
    assert r.rows[1].platforms == ()


def test_latin1_is_decoded_not_crashed(tmp_path: Path) -> None:
    r = _load(tmp_path, "user,name\njose,José Núñez\n".encode("latin-1"))
    assert r.rows[0].name == "José Núñez" and r.encoding in ("cp1252", "latin-1")


def test_problems_are_reported_per_row(tmp_path: Path) -> None:
    text = ("user,name,email,platforms\n"
            "alice,Alice,a@x.org,groq\n"
            "alice,Alice again,a2@x.org,groq\n"     # duplicate
            ",Nobody,n@x.org,groq\n"                # no user
            "bad user!,Bad,b@x.org,groq\n"          # invalid name
            "carol,Carol\n"                         # missing columns
            "dave,Dave,d@x.org,groq;tpu\n"          # unknown platform
            "\n# a comment line\n"
            "erin,Erin,e@x.org,groq,extra\n")       # extra field
    r = _load(tmp_path, text.encode())
    assert r.users == ["alice", "carol", "dave", "erin"]
    by_line = {p.line: p.problem for p in r.problems}
    assert "duplicate of line 2" in by_line[3]
    assert "no user" in by_line[4]
    assert "not a valid user name" in by_line[5]
    assert "missing column" in by_line[6]
    assert "unknown platform(s) tpu" in by_line[7]
    assert "extra field" in by_line[10]
    assert r.row("dave").platforms == ("groq",)


def test_semicolon_export_and_single_column(tmp_path: Path) -> None:
    assert _load(tmp_path, b"user;name\nalice;Alice\n").rows[0].name == "Alice"
    assert _load(tmp_path, b"user\nalice\nbob\n").users == ["alice", "bob"]


def test_no_user_column_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs a `user` column"):
        _load(tmp_path, b"name,email\nAlice,a@x.org\n")
    with pytest.raises(UsageError, match="empty"):
        _load(tmp_path, b"\n\n")
