"""Bundled logs: redaction happens before any split, at every size and cut.

Before, a log line longer than 64 KiB was split into pieces that were redacted one by one,
so a token across the boundary came out whole in neither piece's eyes, and leaked."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from secret_corpus import SHAPES

from envdoctor.commands import snapshot as cmd
from envdoctor.redact import MASK

NODE = SimpleNamespace(user="alice", hostname="gc-login-01")
ONE_LINE = [s for s in SHAPES if "\n" not in s.text]


@pytest.mark.parametrize("offset", [-30, -7, -1, 0, 3])
def test_secrets_across_the_64k_read_boundary(tmp_path: Path, offset: int) -> None:
    log = tmp_path / "long.log"
    with open(log, "w") as fh:
        for shape in ONE_LINE:
            at = shape.text.index(shape.secret) + len(shape.secret) // 2
            fh.write("p" * (cmd.MAX_LINE + offset - at - 1) + " " + shape.text + " end of the line\n")
    member = cmd._log_member(log, "logs/long.log", False, NODE)
    text = member.data.decode()
    leaked = [s.name for s in ONE_LINE if s.secret in text]
    assert not leaked, leaked
    to_line_end = sum("ookie:" in s.line for s in ONE_LINE)  # a cookie header is masked to the line's end
    assert text.count("end of the line\n") == len(ONE_LINE) - to_line_end and MASK in text
    assert text.count("\n") == len(ONE_LINE)


def test_secret_at_the_head_and_tail_cuts_of_a_big_log(tmp_path: Path) -> None:
    """A log bigger than LOG_HEAD + LOG_TAIL keeps its two ends: neither cut leaves a piece
    of a secret without its start."""
    gh = next(s for s in SHAPES if s.name == "github classic PAT")
    log = tmp_path / "big.log"
    filler = b"step 1 loss=0.5 " * 64
    with open(log, "wb") as fh:
        head_cut = cmd.LOG_HEAD - gh.text.index(gh.secret) - 10
        fh.write(b"x" * head_cut + gh.text.encode() + b"\n")  # straddles the head cut
        while fh.tell() < cmd.LOG_HEAD + 1024 * 1024:
            fh.write(filler + b"\n")
        size = cmd.LOG_HEAD + cmd.LOG_TAIL + 3 * 1024 * 1024
        tail_cut = size - cmd.LOG_TAIL
        fh.write(b"y" * (tail_cut - fh.tell() - 5) + b" " + gh.text.encode() + b" z\n")  # straddles the tail cut
        while fh.tell() < size:
            fh.write(filler + b"\n")
    member = cmd._log_member(log, "logs/big.log", False, NODE)
    text = member.data.decode()
    assert "truncated" in member.note and "bytes of this log omitted" in text
    assert gh.secret not in text
    assert gh.secret[-12:] not in text and gh.secret[:12] not in text  # no fragment either


def test_a_log_that_is_one_endless_line(tmp_path: Path) -> None:
    shapes = ONE_LINE[:20]
    log = tmp_path / "oneline.log"
    with open(log, "w") as fh:
        for s in shapes:
            fh.write("q" * 40_000 + " " + s.text + " ")
    member = cmd._log_member(log, "logs/oneline.log", False, NODE)
    text = member.data.decode()
    assert not [s.name for s in shapes if s.secret in text]
    assert text.count("q" * 40_000) == len(shapes)
