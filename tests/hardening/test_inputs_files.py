"""Hostile input files: FIFOs, devices, directories, endless streams, deep nesting.

Every case runs the real `envdoctor` in a child process with a timeout, so that a hang is
a test failure, not a stuck test run; each must end in one line on stderr and exit 2.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import pytest

TIMEOUT = 60.0


def envdoctor(*args: str, stdin: Optional[object] = None, env: Optional[dict] = None,
              timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "envdoctor", *args], stdin=stdin if stdin is not None
                              else subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"envdoctor {' '.join(args)} still running after {timeout:.0f}s (it hangs)")
    done.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return done


def one_line_exit_2(done: subprocess.CompletedProcess, *words: str) -> None:
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


@pytest.fixture
def good_snapshot(tmp_path: Path) -> Path:
    p = tmp_path / "good.json"
    p.write_text(json.dumps({"schema": "envdoctor/snapshot@1", "envdoctor_version": "0.1.0", "shells": {}}))
    return p


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    p = tmp_path / "pipe"
    os.mkfifo(p)
    return p


def test_diff_refuses_a_fifo(fifo: Path, good_snapshot: Path) -> None:
    one_line_exit_2(envdoctor("diff", str(good_snapshot), str(fifo)), str(fifo), "FIFO")
    one_line_exit_2(envdoctor("diff", str(fifo), str(good_snapshot)), "FIFO")


def test_explain_refuses_a_fifo(fifo: Path) -> None:
    one_line_exit_2(envdoctor("explain", str(fifo)), str(fifo), "FIFO")
    one_line_exit_2(envdoctor("explain", str(fifo), "--json"), "FIFO")


def test_bundle_refuses_a_fifo_log(fifo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "b.tar.gz"
    one_line_exit_2(envdoctor("bundle", "-o", str(dest), "--yes", str(fifo)), str(fifo), "FIFO")
    assert not dest.exists()


@pytest.mark.parametrize("argv", [
    ("diff", "{good}", "/dev/zero"),
    ("diff", "/dev/zero", "{good}"),
    ("explain", "/dev/zero"),
    ("bundle", "-o", "{tmp}/b.tar.gz", "--yes", "/dev/zero"),
], ids=["diff-b", "diff-a", "explain", "bundle"])
def test_devices_are_refused_before_reading(argv: Sequence[str], good_snapshot: Path, tmp_path: Path) -> None:
    args = [a.format(good=good_snapshot, tmp=tmp_path) for a in argv]
    done = envdoctor(*args, timeout=30)
    one_line_exit_2(done, "/dev/zero", "character device")
    assert done.elapsed < 20  # type: ignore[attr-defined]


def test_directories_are_refused(tmp_path: Path, good_snapshot: Path) -> None:
    one_line_exit_2(envdoctor("diff", str(good_snapshot), str(tmp_path)), "directory")
    one_line_exit_2(envdoctor("explain", str(tmp_path)), "directory")


def test_stdin_is_capped_by_bytes_read(good_snapshot: Path) -> None:
    """Standard input has no size: the cap counts what was read (here an endless stream)."""
    with open("/dev/zero", "rb") as zero:
        done = envdoctor("diff", "-", str(good_snapshot), stdin=zero, timeout=60)
    one_line_exit_2(done, "standard input", "too large")


def test_a_sparse_file_larger_than_the_cap(tmp_path: Path, good_snapshot: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(65 * 1024 * 1024)  # 65 MiB of NULs, sparse: costs no disk
    one_line_exit_2(envdoctor("diff", str(big), str(good_snapshot)), "big.json")


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_snapshot(tmp_path: Path, good_snapshot: Path, depth: int) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"schema": "envdoctor/snapshot@1", "envdoctor_version": "0.1.0", "shells": {}, "x": '
                    + "[" * depth + "]" * depth + "}")
    one_line_exit_2(envdoctor("diff", str(deep), str(good_snapshot)), "deep.json", "nested")


def test_explain_still_streams_stdin_and_regular_files(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_text("Traceback (most recent call last):\nModuleNotFoundError: No module named 'poptorch'\n" * 3)
    by_file = envdoctor("explain", str(log), "--json")
    assert by_file.returncode == 0, by_file.stderr
    with open(log, "rb") as fh:
        by_stdin = envdoctor("explain", "-", "--json", stdin=fh)
    assert by_stdin.returncode == 0, by_stdin.stderr
    assert json.loads(by_file.stdout)["findings"] == json.loads(by_stdin.stdout)["findings"]


def test_explain_follows_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_text("ModuleNotFoundError: No module named 'poptorch'\n")
    link = tmp_path / "latest.log"
    link.symlink_to(log)
    assert envdoctor("explain", str(link)).returncode == 0
