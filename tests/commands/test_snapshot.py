"""`envdoctor snapshot` / `bundle` on the command line: no planted secret in any output."""
from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from snaphelp import SECRETS, leaked

from envdoctor.commands import snapshot as cmd


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        infos = tar.getmembers()
        for info in infos:
            assert info.uname == "" and info.gname == "" and info.uid == 0
        return {i.name: tar.extractfile(i).read() for i in infos if i.isfile()}  # type: ignore[union-attr]


def test_snapshot_cli_writes_redacted_file(home_node, cli, tmp_path: Path) -> None:
    t = home_node("alice")
    out = tmp_path / "me.json"
    rc, stdout, err = cli("snapshot", "--target", "sim", "--sim-root", t.root, "-o", str(out))
    assert rc == 0, err
    text = out.read_text()
    snap = json.loads(text)
    assert snap["platform"] == "graphcore"  # guessed from the node
    assert leaked(text + stdout + err) == []
    assert (out.stat().st_mode & 0o777) == 0o600
    rc, stdout, err = cli("snapshot", "--platform", "graphcore", "--target", "sim", "--sim-root", t.root, "--anonymize")
    assert rc == 0 and "alice" not in stdout and leaked(stdout + err) == []


def test_bundle_contains_everything_redacted(home_node, cli, tmp_path: Path) -> None:
    t = home_node("alice")
    log = Path(t.root) / "job.log"
    bad = tmp_path / "latin1.log"
    bad.write_bytes(b"caf\xe9 ok\npassword=" + SECRETS["generic_pw"].encode() + b"\n\xff\xfe broken\n")
    dest = tmp_path / "support.tar.gz"
    rc, out, err = cli("bundle", "--platform", "graphcore", "--target", "sim", "--sim-root", t.root,
                       "-o", str(dest), "--yes", str(log), str(bad))
    assert rc == 0, err
    # the listing comes before the file is written, with counts of what was redacted
    listing = out.split("wrote ")[0]
    for name in ("manifest.json", "snapshot.json", "check-report.json", "logs/job.log", "logs/latin1.log"):
        assert name in listing
    assert "redacted" in listing and "private key 1" in listing and "invalid UTF-8" in listing
    members = _members(dest)
    assert set(members) == {"manifest.json", "snapshot.json", "check-report.json", "logs/job.log", "logs/latin1.log"}
    for name, data in members.items():
        assert leaked(data.decode("utf-8", errors="replace")) == [], name
    joblog = members["logs/job.log"].decode()
    assert "ModuleNotFoundError: No module named 'poptorch'" in joblog  # the useful part stays
    assert "BEGIN PRIVATE KEY" in joblog and "REDACTED" in joblog
    manifest = json.loads(members["manifest.json"])
    assert manifest["schema"] == "envdoctor/bundle@1" and manifest["redacted"]
    assert leaked(out + err) == []
    assert (dest.stat().st_mode & 0o777) == 0o600


def test_bundle_refuses_without_tty_or_yes(home_node, cli, tmp_path: Path) -> None:
    t = home_node("alice", secrets=False)
    dest = tmp_path / "b.tar.gz"
    rc, out, err = cli("bundle", "--target", "sim", "--sim-root", t.root, "-o", str(dest), stdin="y\n")
    assert rc == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    assert not dest.exists()


@pytest.mark.parametrize("content, message", [(None, "no such file"), (b"ab\x00cd", "binary file")])
def test_bundle_bad_logs(home_node, cli, tmp_path: Path, content, message) -> None:
    t = home_node("alice", secrets=False)
    log = tmp_path / "x.log"
    if content is not None:
        log.write_bytes(content)
    rc, out, err = cli("bundle", "--target", "sim", "--sim-root", t.root, "-o", str(tmp_path / "b.tgz"), "--yes",
                       str(log))
    assert rc == 2 and message in err and "Traceback" not in err


def test_bundle_never_overwrites_without_yes(home_node, cli, tmp_path: Path, monkeypatch) -> None:
    t = home_node("alice", secrets=False)
    dest = tmp_path / "support.tar.gz"
    dest.write_text("precious")
    monkeypatch.setattr(cmd, "_stdin_is_tty", lambda: True)
    rc, out, err = cli("bundle", "--target", "sim", "--sim-root", t.root, "-o", str(dest), stdin="y\n")
    assert rc == 0, err
    assert dest.read_text() == "precious"
    assert (tmp_path / "support.1.tar.gz").exists() and "support.1.tar.gz" in out
    # answering no writes nothing
    rc, out, err = cli("bundle", "--target", "sim", "--sim-root", t.root, "-o", str(dest), stdin="n\n")
    assert rc == 1 and not (tmp_path / "support.2.tar.gz").exists()


def test_big_log_is_truncated_streaming(home_node, tmp_path: Path, monkeypatch) -> None:
    t = home_node("alice", secrets=False)
    monkeypatch.setattr(cmd, "LOG_HEAD", 1000)
    monkeypatch.setattr(cmd, "LOG_TAIL", 2000)
    log = tmp_path / "big.log"
    with open(log, "w") as fh:
        fh.write("first line\n")
        for i in range(20000):
            fh.write(f"step {i} token={SECRETS['github']}\n")
        fh.write("x" * 200000 + "\n")  # one huge line
        fh.write("last line: error here\n")
    m = cmd._log_member(log, "logs/big.log", False, t)
    text = m.data.decode()
    assert text.startswith("first line") and text.endswith("last line: error here\n")
    assert "omitted here" in text and "truncated" in m.note
    assert len(m.data) < 1000 + 2000 + 70000
    assert leaked(text) == []


def test_bundle_probes_once_for_snapshot_and_check_report(home_node, cli, tmp_path: Path, monkeypatch) -> None:
    """The snapshot and the check report of a bundle are views of one probe (they cannot disagree)."""
    from envdoctor import probe

    calls: list[tuple[str, ...]] = []
    real_collect = probe.collect

    def counting(ctx, only=()):  # type: ignore[no-untyped-def]
        calls.append(tuple(only))
        return real_collect(ctx, only)

    monkeypatch.setattr(probe, "collect", counting)
    t = home_node("alice")
    dest = tmp_path / "one.tar.gz"
    rc, out, err = cli("bundle", "--platform", "graphcore", "--target", "sim", "--sim-root", t.root,
                       "-o", str(dest), "--yes")
    assert rc == 0, err
    assert calls == [()]  # every collector, once
    members = _members(dest)
    snap, report = json.loads(members["snapshot.json"]), json.loads(members["check-report.json"])
    from envdoctor.snapshot import COLLECTORS

    assert set(COLLECTORS) <= set(report["collect_ms"])  # the report's probe is the snapshot's
    assert snap["repos"]["examples"]["exists"] and {c["id"] for c in report["checks"]} >= {"repo.cloned", "repo.ref"}
