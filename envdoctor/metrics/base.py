"""The shared machinery of the metric parsers: a single streaming pass in bounded memory.

A parser sees one logical line at a time (split on `\\n` and `\\r`, so tqdm progress bars
count), after the prefixes that several ranks and launchers add (`[1,0]<stdout>:`,
`0: `, ANSI colours) are removed. Lines longer than MAX_LINE are cut: metric lines are
short, and a runaway line must not grow memory.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator

from envdoctor.safeio import decoded

MAX_LINE = 64 * 1024
MAX_POINTS = 512
CURVES = frozenset({"loss"})  # metrics whose every logged value is kept as a curve (the loss curve)
CHUNK = 1 << 20
NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# mpirun/poprun `[1,0]<stdout>:`, srun --label `12: `, pdsh-style `host: ` is left alone.
_PREFIX = re.compile(r"^(?:\s*(?:\[\d+,\d+\]<(?:stdout|stderr)>:|\d{1,5}: ))+")


_PREFIX_START = frozenset("[0123456789 \t")


def clean(line: str) -> str:
    """A log line without colour codes and rank prefixes."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if line[:1] in _PREFIX_START and ("]<" in line[:24] or ": " in line[:8]):
        return _PREFIX.sub("", line)
    return line


@dataclass
class Metrics:
    """What a parser found: numeric values, events seen (`completed`, ...), line counts."""

    values: dict[str, float] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    lines: int = 0
    matched: int = 0
    # Curves (the loss of each logged step, in log order), thinned to at most MAX_POINTS.
    series: dict[str, list[float]] = field(default_factory=dict)
    strides: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def point(self, key: str, value: float) -> None:
        """Add one value to `key`'s curve, keeping every stride-th value: when the curve is full
        the stride doubles and every other point goes, so memory stays bounded on any log."""
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        stride = self.strides.get(key, 1)
        if n % stride:
            return
        curve = self.series.setdefault(key, [])
        curve.append(float(value))
        if len(curve) > MAX_POINTS:
            del curve[1::2]
            self.strides[key] = stride * 2

    @property
    def empty(self) -> bool:
        return not self.values

    def to_dict(self) -> dict[str, object]:
        return {"values": dict(self.values), "events": list(self.events), "lines": self.lines, "matched": self.matched,
                "series": {k: list(v) for k, v in self.series.items()}}


class Parser:
    """Base class: subclasses implement `line(text) -> bool` (True when it matched)."""

    name = ""
    keywords: tuple[str, ...] = ()  # every line the parser can use contains one of these

    def __init__(self) -> None:
        self.metrics = Metrics()
        self._means: dict[str, tuple[float, int]] = {}

    # -- used by subclasses -------------------------------------------------
    def set(self, key: str, value: float) -> None:
        self.metrics.values[key] = float(value)
        if key in CURVES:
            self.metrics.point(key, value)

    def mean(self, key: str, value: float) -> None:
        """Keep a running mean (and count) of a value that appears once per rank or epoch."""
        total, count = self._means.get(key, (0.0, 0))
        self._means[key] = (total + float(value), count + 1)
        self.metrics.values[key] = (total + float(value)) / (count + 1)

    def capture(self, rx: re.Pattern[str], text: str, key: str, group: str = "v") -> bool:
        """Set `key` from `rx`'s named group when it matches `text`; whether it did."""
        m = rx.search(text)
        if m:
            self.set(key, float(m.group(group)))
        return m is not None

    def count(self, key: str) -> int:
        return self._means.get(key, (0.0, 0))[1]

    def event(self, name: str) -> None:
        if name not in self.metrics.events:
            self.metrics.events.append(name)

    def line(self, text: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- driving ---------------------------------------------------------------
    def feed(self, raw: str) -> None:
        self.metrics.lines += 1
        text = clean(raw[:MAX_LINE])
        if text and self.line(text):
            self.metrics.matched += 1

    def finish(self) -> Metrics:
        return self.metrics

    def feed_text(self, text: str) -> None:
        """Feed a block of complete lines: lines without a keyword are skipped in C (regex),
        which is what makes multi-gigabyte logs fast."""
        self.metrics.lines += text.count("\n") + text.count("\r") - text.count("\r\n")
        scan = self._scan
        if scan is None:
            words = "|".join(re.escape(k) for k in self.keywords) or "(?!)"
            scan = type(self)._scan = re.compile(words)
        pos, size = 0, len(text)
        while True:
            m = scan.search(text, pos)
            if m is None:
                return
            start = max(pos, text.rfind("\n", pos, m.start()) + 1, text.rfind("\r", pos, m.start()) + 1)
            ends = [e for e in (text.find("\n", m.end()), text.find("\r", m.end())) if e >= 0]
            end = min(ends) if ends else size
            line = clean(text[start:min(end, start + MAX_LINE)])
            if line and self.line(line):
                self.metrics.matched += 1
            pos = end + 1

    _scan: re.Pattern[str] | None = None


def split_lines(chunks: Iterable[str]) -> Iterator[str]:
    """Logical lines from text chunks, in bounded memory (an over-long line is cut)."""
    carry = ""
    overlong = False
    for chunk in chunks:
        data = carry + chunk
        parts = data.splitlines()
        # splitlines drops the last separator: the last part is complete only if one followed it
        carry = parts.pop() if parts and not data.endswith(("\n", "\r")) else ""
        for part in parts:
            if overlong:
                overlong = False
                continue  # the tail of a line that was already cut and emitted
            yield part
        if len(carry) > MAX_LINE:
            if not overlong:
                yield carry[:MAX_LINE]
            overlong, carry = True, ""
    if carry and not overlong:
        yield carry  # a log cut mid-line: parsers only accept complete records


def feed_stream(parser: Parser, chunks: Iterable[str]) -> Metrics:
    """Parse text chunks in one pass; at most one chunk plus one capped line in memory."""
    carry = ""
    for chunk in chunks:
        data = carry + chunk
        cut = max(data.rfind("\n"), data.rfind("\r")) + 1
        block, carry = data[:cut], data[cut:]
        if len(carry) > MAX_LINE:
            carry = carry[:MAX_LINE]  # a runaway line: keep its start only
        if block:
            parser.feed_text(block)
    if carry:
        parser.feed_text(carry)  # a log cut mid-line: parsers only accept complete records
        parser.metrics.lines += 1
    return parser.finish()


def read_chunks(fh: IO[bytes], size: int = CHUNK) -> Iterator[str]:
    """The stream's text in blocks of `size` bytes (a character split between blocks kept whole)."""
    return decoded(iter(lambda: fh.read(size), b""))
