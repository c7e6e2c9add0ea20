"""Every shape of the secret corpus is removed by each entry point of envdoctor.redact, in
every form it can arrive in (one string, a stream of lines, a JSON-like mapping, an
environment value, a line longer than any window, a line that arrives in pieces), and
ordinary text (hashes, versions, paths) is left alone."""
from __future__ import annotations

import json

import pytest
from secret_corpus import ORDINARY, SHAPES, Shape

from envdoctor.redact import MASK, OVERLAP, WINDOW, Redactor, redact_env, redact_mapping, redact_text

IDS = [s.name for s in SHAPES]


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_text(shape: Shape) -> None:
    out = redact_text(shape.text)
    assert shape.secret not in out, out
    assert MASK in out


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_stream_of_lines(shape: Shape) -> None:
    text = f"before\n{shape.text}\nafter\n"
    out = "".join(Redactor().lines(iter(text.splitlines(keepends=True))))
    assert shape.secret not in out and out.startswith("before\n") and out.endswith("after\n")


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_mapping_and_env(shape: Shape) -> None:
    doc = {"evidence": [shape.text], "nested": {"value": shape.text}, "CONDA_X": shape.text}
    assert shape.secret not in json.dumps(redact_mapping(doc))
    assert shape.secret not in redact_env("CONDA_EDTEST", shape.text)
    assert redact_env("EDTEST_TOKEN", shape.secret) == MASK


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact_text(text) == text
    assert "".join(Redactor().lines([text + "\n"])) == text + "\n"


def _one_line_shapes() -> list[Shape]:
    return [s for s in SHAPES if "\n" not in s.text]


@pytest.mark.parametrize("delta", [-23, -3, 0, 2, 11])
def test_secret_across_the_window_boundary(delta: int) -> None:
    """A line far longer than a window, with secrets placed so that the cut at WINDOW falls
    inside each of them (or between a secret and its context), at several offsets."""
    for shape in _one_line_shapes():
        secret_at = shape.text.index(shape.secret)
        pad = "x " * ((WINDOW + delta - secret_at - len(shape.secret) // 2) // 2)
        line = pad + shape.text + " " + "y" * (OVERLAP + 999) + " tail\n"
        pieces = [line[i:i + 4096] for i in range(0, len(line), 4096)]  # as readline(limit) gives it
        out = "".join(Redactor().lines(pieces))
        assert shape.secret not in out, (shape.name, delta)
        assert out.endswith("\n") and out.startswith(pad)
        if "ookie:" not in shape.line:  # a cookie header is masked to the end of its line
            assert out.endswith(" tail\n") and out.count("y") >= OVERLAP + 999, shape.name


def test_long_line_redaction_keeps_everything_else() -> None:
    shape = SHAPES[0]
    filler = "".join(f"step {i} loss=0.{i % 97:02d} " for i in range(20000))  # ~450 KB, one line
    line = filler + shape.text + " " + filler + "\n"
    assert len(line) > 4 * (WINDOW + OVERLAP)
    out = "".join(Redactor().lines([line[i:i + 65536] for i in range(0, len(line), 65536)]))
    assert out == line.replace(shape.secret, MASK)
    assert redact_text(line) == out  # the same answer whole or streamed


def test_key_block_split_over_printed_messages() -> None:
    """`run` echoes a job's output one line at a time: a key block spans several messages."""
    shape = next(s for s in SHAPES if s.name == "rsa private key")
    rd = Redactor()
    shown = [rd.stateful(line) for line in ["start"] + shape.text.splitlines() + ["done"]]
    assert shape.secret not in "".join(shown) and "MIIEpAIBAAKCAQEA7bq98l5c0Zt7a0FhLx3DwPq4mJ9xRnM0aVb2Ye1UqPzS6tKcW" \
        not in "".join(shown)
    assert shown[0] == "start" and shown[-1] == "done"


def test_counts_every_shape() -> None:
    rd = Redactor()
    for s in SHAPES:
        rd.text(s.text)
    assert sum(rd.counts.values()) >= len(SHAPES)
