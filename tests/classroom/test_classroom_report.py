"""`class report`: grid, fault ranking, bad inputs, roster, CSV and JUnit from crafted reports."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from classroom_data import PLANTED, write_report

from envdoctor.classroom import aggregate, loader, roster as roster_mod


def _course(share: Path) -> None:
    for (user, platform), faults in PLANTED.items():
        write_report(share, user, platform, faults)


def _bad_inputs(share: Path) -> None:
    (share / "eve").mkdir()
    full = json.dumps({"schema": "envdoctor/check-report@1", "platform": "groq", "checks": []})
    (share / "eve" / "groq.json").write_text(full[: len(full) // 2])                      # truncated
    (share / "fay").mkdir()
    (share / "fay" / "groq.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")          # corrupt
    (share / "gus").mkdir()
    (share / "gus" / "groq.json").write_text(json.dumps({"name": "package.json", "version": "1"}))  # foreign
    (share / "hal").mkdir()
    (share / "hal" / "groq.json").write_text(json.dumps({"schema": "envdoctor/check-report@2", "platform": "groq"}))
    (share / "ivy").mkdir()
    newer = {"schema": "envdoctor/check-report@1", "envdoctor_version": "7.0.0", "platform": "groq", "checks": []}
    (share / "ivy" / "groq.json").write_text(json.dumps(newer))                            # newer major
    (share / "jon").mkdir()
    (share / "jon" / "groq.json").write_text("")                                           # empty


def test_grid_and_ranking_match_the_planted_faults(share_dir: Path) -> None:
    _course(share_dir)
    data = aggregate.aggregate(loader.iter_entries([share_dir]))
    assert data.students == ["ann", "ben", "cat", "dan"]
    assert data.platforms == ["graphcore", "groq"]
    status = {k: c.status for k, c in data.cells.items()}
    assert status[("ann", "groq")] == "fail" and status[("dan", "groq")] == "ok"
    assert status[("cat", "graphcore")] == "warn" and status[("dan", "graphcore")] == "error"
    assert data.counts() == {"ok": 2, "warn": 1, "fail": 4, "error": 1, "missing": 0}
    ranking = [(f.id, len(f.students)) for f in data.faults]
    assert ranking == [("conda.shell-init", 3), ("network.proxy", 2), ("venv.python", 1), ("packages.versions", 1)] \
        or ranking == [("conda.shell-init", 3), ("network.proxy", 2), ("packages.versions", 1), ("venv.python", 1)]
    # Same count: the fail ranks above the error (severity), then by id.
    assert ranking[2] == ("venv.python", 1)
    top = data.faults[0]
    assert top.fix == ("initialise conda for bash", ("source ~/miniconda3/bin/activate", "conda init bash"))


def test_the_most_common_fix_is_announced(share_dir: Path) -> None:
    for user in ("a1", "a2", "a3"):
        write_report(share_dir, user, "groq", ("conda.shell-init",))
    odd = share_dir / "a3" / "groq.json"
    data = json.loads(odd.read_text())
    data["checks"][-1]["fix"] = "a rarer fix"
    odd.write_text(json.dumps(data))
    fault = aggregate.aggregate(loader.iter_entries([share_dir])).faults[0]
    assert fault.fix[0] == "initialise conda for bash" and fault.fixes.most_common()[1][1] == 1


def test_bad_inputs_are_listed_never_raised(share_dir: Path, cli) -> None:
    _course(share_dir)
    _bad_inputs(share_dir)
    data = aggregate.aggregate(loader.iter_entries([share_dir]))
    kinds = {b.user: b.kind for b in data.bad}
    assert kinds == {"eve": "truncated", "fay": "corrupt", "gus": "foreign", "hal": "newer", "ivy": "newer",
                     "jon": "truncated"}
    assert data.cells[("eve", "groq")].status == "error"
    rc, out, err = cli("class", "report", str(share_dir), "--html", str(share_dir.parent / "c.html"))
    assert rc == 1 and not err
    for user, kind in kinds.items():
        assert f"{user}/groq.json: {kind}:" in out
    page = (share_dir.parent / "c.html").read_text()
    assert page.count('<tr data-kind="') == 6 and "newer envdoctor" in page


def test_roster_missing_students_and_per_row_problems(share_dir: Path, tmp_path: Path, cli) -> None:
    _course(share_dir)
    roster = tmp_path / "roster.csv"
    roster.write_bytes("\ufeffuser,name,email,platforms\r\nann,Ann Ä,ann@x.org,groq;graphcore\r\n"
                       "ben,Ben\r\nben,Ben dup,,\r\nzoe,Zoë,zoe@x.org,groq\r\n".encode("utf-8"))
    rc, out, err = cli("class", "report", str(share_dir), "--roster", str(roster), "--csv", str(tmp_path / "c.csv"))
    assert rc == 1, err
    assert "no report from: zoe" in out
    assert "roster line 4 (ben): duplicate of line 3" in out and "roster line 3 (ben): missing column" in out
    assert "not on the roster: cat, dan" in out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text())))
    assert len(rows) == 4 * 2 + 1  # 4 reporting students x 2 platforms, zoe on groq only
    zoe = [r for r in rows if r["user"] == "zoe"]
    assert [(r["platform"], r["status"], r["name"]) for r in zoe] == [("groq", "missing", "Zoë")]
    ben_groq = next(r for r in rows if r["user"] == "ben" and r["platform"] == "groq")
    assert ben_groq["problems"] == "conda.shell-init network.proxy" and ben_groq["fail"] == "1"


def test_junit_one_file_per_student(share_dir: Path, tmp_path: Path, cli) -> None:
    _course(share_dir)
    rc, out, err = cli("class", "report", str(share_dir), "--junit", str(tmp_path / "junit"))
    assert rc == 1, err
    files = sorted(p.name for p in (tmp_path / "junit").iterdir())
    assert files == ["ann.xml", "ben.xml", "cat.xml", "dan.xml"]
    root = ET.parse(tmp_path / "junit" / "ben.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"envdoctor.ben.graphcore", "envdoctor.ben.groq"}
    groq = suites["envdoctor.ben.groq"]
    assert groq.get("failures") == "1" and groq.get("tests") == str(3 + 2)
    failed = [c.get("name") for c in groq.iter("testcase") if c.find("failure") is not None]
    assert failed == ["conda.shell-init"]


def test_files_given_one_by_one_and_exit_codes(share_dir: Path, cli) -> None:
    ok = write_report(share_dir, "dan", "groq", ())
    rc, out, _ = cli("class", "report", str(ok))
    assert rc == 0 and "1 ok, 0 warn, 0 fail, 0 error, 0 missing" in out
    rc, _, err = cli("class", "report", str(share_dir / "nope"))
    assert rc == 2 and "no such file" in err


def test_secrets_in_crafted_reports_are_masked_on_the_page(share_dir: Path, tmp_path: Path, cli) -> None:
    write_report(share_dir, "ann", "groq", ("conda.shell-init",), secret="hunter2hunter2")
    cli("class", "report", str(share_dir), "--html", str(tmp_path / "c.html"))
    assert "hunter2hunter2" not in (tmp_path / "c.html").read_text()


def test_parallel_loading_gives_the_same_answer(share_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(loader, "PARALLEL_MIN", 60)  # the real threshold is in the thousands
    for i in range(loader.PARALLEL_MIN + 50):
        write_report(share_dir, f"s{i:04d}", "groq", ("conda.shell-init",) if i % 3 == 0 else ())
    serial = aggregate.aggregate(loader.load_all(loader.discover([share_dir]), workers=1))
    parallel = aggregate.aggregate(loader.load_all(loader.discover([share_dir]), workers=2))
    assert serial.counts() == parallel.counts() and serial.students == parallel.students
    assert len(parallel.faults[0].students) == len(range(0, loader.PARALLEL_MIN + 50, 3))


def test_roster_module_roundtrip(tmp_path: Path) -> None:
    r = roster_mod.parse("user\nann\n")
    assert r.users == ["ann"]
