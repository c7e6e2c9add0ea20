"""envdoctor.safeio directly: what is refused, and that caps count bytes read."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from envdoctor import safeio
from envdoctor.errors import UsageError


def test_a_file_that_grows_after_it_was_opened(tmp_path: Path) -> None:
    """st_size said 10 bytes at open; the cap still holds for what is read after."""
    p = tmp_path / "grows.json"
    p.write_bytes(b"0123456789")
    with safeio.open_binary(p) as fh:
        assert os.fstat(fh.fileno()).st_size == 10
        with open(p, "ab") as writer:
            writer.write(b"x" * 5000)
        with pytest.raises(UsageError, match="more than 1 KiB"):
            safeio.read_capped(fh, 1024, str(p))


def test_fifo_open_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="FIFO"):
        safeio.read_bytes(fifo, 100)


def test_no_symlinks_where_asked(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert safeio.read_text(link, 100) == "{}"
    with pytest.raises(UsageError, match="symbolic link"):
        safeio.read_text(link, 100, follow_symlinks=False)


def test_stdin_text_stream_and_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("é" * 10))
    assert safeio.read_text("-", 100) == "é" * 10
    monkeypatch.setattr("sys.stdin", io.StringIO("a" * 200))
    with pytest.raises(UsageError, match="standard input"):
        safeio.read_bytes("-", 100)
    with pytest.raises(UsageError, match="not accepted"):
        safeio.read_bytes("-", 100, allow_stdin=False)


def test_json_depth_is_one_line_not_recursion_error() -> None:
    assert safeio.load_json("[" * 64 + "]" * 64, "x") is not None
    for depth in (65, 50_000):
        with pytest.raises(UsageError, match="nested more than 64"):
            safeio.load_json("[" * depth + "]" * depth, "x")


def test_yaml_aliases_anchors_and_depth() -> None:
    assert safeio.load_yaml_safe("a: [1, {b: 2}]\n", "ok.yaml") == {"a": [1, {"b": 2}]}
    with pytest.raises(UsageError, match=r"c.yaml:2: YAML anchor &x"):
        safeio.load_yaml_safe("a: 1\nb: &x [1]\nc: *x\n", "c.yaml")
    with pytest.raises(UsageError, match="nested more than 64"):
        safeio.load_yaml_safe("a: " + "[" * 100 + "]" * 100 + "\n", "d.yaml")
    with pytest.raises(UsageError, match="not valid YAML"):
        safeio.load_yaml_safe("a: [\n", "e.yaml")
