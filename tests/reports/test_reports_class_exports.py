"""`class report --csv/--junit` and its summary with hostile or odd report contents: formula
cells, control characters, over-long names, unknown platforms, whole fixes, grammar."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

CMDS = ["source ~/miniconda3/bin/activate", "conda init bash"]


def _report(share: Path, user: str, platform: str, *, status: str = "fail", why: str = "conda is not set up",
            claims: str | None = None, hostname: str = "node", release: str = "R") -> Path:
    checks = [{"id": "host.role", "category": "host", "title": "Node role", "status": "ok"},
              {"id": "conda.shell-init", "category": "conda", "title": "conda in bash", "status": status,
               "why": why, "fix": "initialise conda for bash", "commands": CMDS, "evidence": ["e\x1b[0m"]}]
    data = {"schema": "envdoctor/check-report@1", "envdoctor_version": "0.1.0", "platform": platform,
            "release": release, "target": "sim", "host": {"hostname": hostname, "node_role": "run"},
            "checks": checks, "user": user if claims is None else claims}
    path = share / user / f"{platform}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_csv_cells_never_start_a_formula(tmp_path: Path, cli) -> None:
    share = tmp_path / "share"
    _report(share, "=HYPERLINK(\"http:x\")", "groq", hostname="+1+cmd|' /C calc'!A0", release="@SUM(A1)")
    _report(share, "ben", "groq", hostname="-2+3")
    roster = tmp_path / "roster.csv"
    roster.write_text("user,name\nben,=1+1\n")
    rc, out, err = cli("class", "report", str(share), "--csv", str(tmp_path / "c.csv"), "--roster", str(roster))
    assert rc == 1, err
    cells = [c for row in csv.reader(io.StringIO((tmp_path / "c.csv").read_text())) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    for text in ("'=HYPERLINK(\"http:x\")", "'+1+cmd|' /C calc'!A0", "'@SUM(A1)", "'-2+3", "'=1+1"):
        assert text in cells, text


def test_control_characters_give_valid_junit(tmp_path: Path, cli) -> None:
    share = tmp_path / "share"
    _report(share, "ann", "groq", why="bad \x00 byte, \x1b[31mred\x1b[0m, form\x0cfeed, bell\x07")
    rc, out, err = cli("class", "report", str(share), "--junit", str(tmp_path / "j"))
    assert rc == 1, err
    root = ET.parse(tmp_path / "j" / "ann.xml").getroot()  # raises on invalid XML
    failure = next(root.iter("failure"))
    assert failure.get("message") == "bad \\x00 byte, \\x1b[31mred\\x1b[0m, form\\x0cfeed, bell\\x07"
    assert "$ conda init bash" in failure.text


def test_one_over_long_user_name_does_not_abort_the_junit_export(tmp_path: Path, cli) -> None:
    share = tmp_path / "share"
    long_name = "a" * 250
    _report(share, long_name, "groq")
    _report(share, "ben", "groq")
    _report(share, "cat", "groq")
    rc, out, err = cli("class", "report", str(share), "--junit", str(tmp_path / "j"))
    assert rc == 1 and not err, err
    names = sorted(p.name for p in (tmp_path / "j").iterdir())
    assert "ben.xml" in names and "cat.xml" in names and len(names) == 3
    long_file = next(n for n in names if n.startswith("aaaa"))
    assert len(long_file) <= 104
    suite = ET.parse(tmp_path / "j" / long_file).getroot().find("testsuite")
    assert suite.get("name") == f"envdoctor.{long_name}.groq"


def test_unknown_platform_marks_nobody_else_missing(tmp_path: Path, cli) -> None:
    share = tmp_path / "share"
    _report(share, "ann", "groq", status="ok")
    _report(share, "ben", "groq", status="ok")
    _report(share, "cat", "tpu", status="ok")
    rc, out, err = cli("class", "report", str(share), "--csv", str(tmp_path / "c.csv"))
    assert "0 missing" in out, out
    rows = {(r["user"], r["platform"]): r for r in csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text()))}
    assert set(rows) == {("ann", "groq"), ("ben", "groq"), ("cat", "tpu")}
    assert rows[("cat", "tpu")]["status"] == "warn" and "not one envdoctor knows" in rows[("cat", "tpu")]["note"]
    assert rc == 0


def test_summary_shows_whole_fixes_and_counts_in_good_grammar(tmp_path: Path, cli) -> None:
    share = tmp_path / "share"
    _report(share, "ann", "groq")
    rc, out, err = cli("class", "report", str(share))
    assert rc == 1, err
    assert out.startswith("class report: 1 student x 1 platform (groq) from 1 file: 0 ok, 0 warn, 1 fail")
    assert "1. conda.shell-init (fail): 1 student; fix: initialise conda for bash" in out
    lines = out.splitlines()
    i = next(n for n, ln in enumerate(lines) if "1. conda.shell-init" in ln)
    assert [ln.strip() for ln in lines[i + 1:i + 3]] == [f"$ {c}" for c in CMDS]


@pytest.mark.parametrize("n", [2, 3])
def test_plural_counts(tmp_path: Path, cli, n: int) -> None:
    share = tmp_path / "share"
    for i in range(n):
        _report(share, f"s{i}", "groq")
    rc, out, _ = cli("class", "report", str(share))
    assert out.startswith(f"class report: {n} students x 1 platform (groq) from {n} files")
    assert f"(fail): {n} students;" in out


def test_terminal_summary_shows_no_control_characters(tmp_path: Path, cli) -> None:
    """A classmate's directory name with an escape sequence cannot rewrite the instructor's terminal."""
    share = tmp_path / "share"
    _report(share, "ann\x1b[2K\rall-ok", "groq", status="ok", claims="ann")
    rc, out, _ = cli("class", "report", str(share))
    assert "\x1b" not in out and "\r" not in out and "\\x1b[2K\\x0dall-ok" in out


def test_junit_carries_ownership_warnings(tmp_path: Path, cli) -> None:
    share = tmp_path / "share"
    _report(share, "eve", "groq", status="ok", claims="ann")
    rc, out, err = cli("class", "report", str(share), "--junit", str(tmp_path / "j"))
    cases = {c.get("name"): c for c in ET.parse(tmp_path / "j" / "eve.xml").getroot().iter("testcase")}
    assert "report in eve's directory claims to be ann" in cases["class.ownership"].find("system-out").text
    assert not (tmp_path / "j" / "ann.xml").exists()
