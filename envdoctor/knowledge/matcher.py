"""The streaming matcher: log bytes in, ranked findings out, in one pass and bounded memory.

How a block of lines (about 1 MiB) is handled:

1. Shape (C speed): `bytes.translate` lower-cases ASCII letters, deletes digits and turns every
   other byte into a space, keeping newlines. Lines that differ only in numbers (progress lines,
   timestamps, job ids) get the same shape.
2. Prefilter (C speed for repeated shapes): the set of shapes of the block minus the shapes
   already seen. Only a new shape is split into words and intersected with the anchor words of
   all signatures (see kb.anchors_of); the answer (which signatures could match) is cached per
   shape. A block whose shapes hold no anchor is done: its lines are never decoded.
3. Candidates (Python, rare): each candidate line is decoded (UTF-8, invalid bytes replaced)
   and only the signatures its anchors point to are searched, on the line and, if that fails,
   on the line joined with its soft-wrapped neighbours. Near-context rules look at a window of
   lines around the hit; a small ring buffer of previous lines is kept, and candidates too close
   to the end of a block wait for the next one.

Memory: one block, the ring buffer, and a bounded shape cache. Lines longer than MAX_LINE are
cut into pieces that keep the line's number.
"""
from __future__ import annotations

import re
from bisect import insort
from collections import Counter, deque
from dataclasses import dataclass
from itertools import chain
from typing import Any

from envdoctor.knowledge.kb import Fault, KnowledgeBase, Signature, literal_run, render_texts

BLOCK = 1 << 20
MAX_LINE = 1 << 20
MAX_LINES_KEPT = 5          # line numbers reported per finding
PLATFORM_MARKER_CAP = 20    # stop counting platform evidence after this many lines
SHAPE_CACHE_BYTES = 16 << 20
WRAP_WIDTHS = frozenset({80, 100, 120, 132, 150, 160, 200, 250})
SOFT_WRAP_MIN = 60
SOFT_WRAP_MAX = 100
MAX_VARIANTS = 3            # distinct names (commands, modules ...) reported per fault family
ERROR_LINES_HEAD = 100      # error-looking lines kept for the ranked fallback: the first ...
ERROR_LINES_TAIL = 100      # ... and the last (a run's real error is often at its end)
# Words of a line's shape that make it look like an error (for the ranked fallback only).
ERROR_WORDS = frozenset(w.encode() for w in """
error errors fatal failed fail failure exception traceback denied cannot unable invalid refused
killed exceeded aborted abort segmentation oom unknown violates missing timeout undefined
unsupported incompatible conflict conflicting permission quota notfounderror modulenotfounderror
importerror oserror ioerror runtimeerror valueerror keyerror typeerror unicodeencodeerror
unicodedecodeerror filenotfounderror permissionerror connectionerror sslerror proxyerror
cancelled canceled bad not""".split())

_table = bytearray(b" " * 256)
for _b in range(256):
    _ch = chr(_b)
    if _ch.isascii() and _ch.isalpha():
        _table[_b] = ord(_ch.lower())
_table[10] = 10
SHAPE = bytes(_table)
DIGITS = b"0123456789"


@dataclass(frozen=True)
class Finding:
    fault: str
    category: str
    title: str
    cause: str
    fix: str
    commands: tuple[str, ...]
    lines: tuple[int, ...]
    confidence: float
    harmless: bool
    hits: int = 0
    source: str = ""
    ranked: bool = False    # offered by the ranked fallback, not by a signature (confidence < 0.5)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the fields of the `envdoctor/explain@1` contract (design.md)."""
        return {
            "fault": self.fault, "category": self.category, "title": self.title, "cause": self.cause,
            "fix": self.fix, "commands": list(self.commands), "lines": list(self.lines),
            "confidence": self.confidence, "harmless": self.harmless,
        }


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")


def _continues(a: bytes, b: bytes) -> bool:
    """Is `b` plausibly the wrapped continuation of `a`? An indented next line; or `a` exactly
    as wide as a terminal (hard wrap); or `a` as long as programs wrap their own messages."""
    if not b.strip() or not a.strip():
        return False
    width = len(a.rstrip(b"\r"))
    return b[:1] in (b" ", b"\t") or width in WRAP_WIDTHS or SOFT_WRAP_MIN <= width <= SOFT_WRAP_MAX


def _joiner(a: bytes, b: bytes) -> str:
    a = a.rstrip(b"\r")
    # A terminal that hard-wraps at its width cuts words: glue them back without a space.
    if len(a) in WRAP_WIDTHS and a[-1:].isalnum() and b[:1].isalnum():
        return ""
    return " "


class Matcher:
    """Feed bytes (any split), then `finish()` for the ranked findings."""

    def __init__(self, kb: KnowledgeBase, platform: str | None = None, source_name: str | None = None) -> None:
        self.kb = kb
        self.platform = platform
        self.faults = [f for f in kb.faults if platform is None or f.applies_to(platform)]
        sigs: list[Signature] = [s for f in self.faults for s in f.signatures]
        self._n_fault_sigs = len(sigs)
        sigs += [s for c in kb.contexts.values() if c.scope == "anywhere" for s in c.patterns]
        sigs += [s for ms in kb.platform_markers.values() for s in ms]
        self.sigs = sigs
        self._words = [frozenset(w.encode() for w in sig.words) for sig in sigs]
        self._retired: set[int] = set()
        self._index_anchors()
        self._window = max([1] + [c.window for c in kb.contexts.values() if c.scope == "near"])
        self._seen: set[bytes] = set()
        self._seen_bytes = 0
        self._cand: dict[bytes, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._stale = False
        self._tokcache: dict[bytes, frozenset[bytes]] = {}
        self._tail = b""
        self._lineno = 1                  # number of the next line to arrive
        self._continuing = False          # the last block ended inside a too-long line
        self._ctx_lines: list[bytes] = []  # ring buffer: recent lines ...
        self._ctx_nums: list[int] = []     # ... and their numbers
        self._deferred: list[tuple[int, tuple[int, ...], bytes]] = []
        # (fault id, captured names) -> [count, [first line numbers], last line, Fault, captures]
        self._hits: dict[tuple[str, tuple[tuple[str, str], ...]], list[Any]] = {}
        self._variants: dict[str, int] = {}
        # A shape whose candidate signatures are all plain fault signatures (no wrap, no near
        # context) always gets the same answer: once known, later lines of that shape are only
        # counted, in C (Counter/list.index), never decoded or searched again.
        self._settleable = [k < self._n_fault_sigs for k in range(len(sigs))]
        self._settled: dict[bytes, tuple[tuple[Fault, tuple[tuple[str, str], ...]], ...]] = {}
        # Settled shapes whose answer has a fault with a near-context rule: those lines are still
        # looked at one by one, but only for the context (no decoding, no signature search).
        self._settled_near: set[bytes] = set()
        # A near context's patterns each need a literal run: a window line without any of them
        # (a substring test on the lower-cased bytes) is ruled out without decoding it.
        self._near_literals = {c.name: tuple(literal_run(p.pattern).encode() for p in c.patterns)
                               for c in kb.contexts.values() if c.scope == "near"}
        for name, runs in list(self._near_literals.items()):
            if not all(runs):
                self._near_literals[name] = None
        self._near_memo: dict[tuple[str, int], bool] = {}  # (context, line number) -> holds it
        self._errshapes: set[bytes] = set()
        self._err_head: dict[bytes, tuple[int, str]] = {}
        self._err_tail: deque = deque(maxlen=ERROR_LINES_TAIL)
        self._err_tail_seen: set[bytes] = set()
        self._harmless_lines: set[int] = set()
        self._doc_ctx: set[str] = set()
        self._platform_hits: dict[str, int] = {}
        self.lines_read = 0
        self.bytes_read = 0
        if source_name:
            base = re.split(r"[\\/]", source_name)[-1]
            for c in kb.contexts.values():
                if any(rx.search(base) for rx in c.filenames):
                    self._doc_ctx.add(c.name)

    def _has_near(self, owner: str) -> bool:
        fault = self.kb.by_id.get(owner)
        if fault is None:
            return True
        ctx = self.kb.contexts
        return any(ctx[c].scope == "near" for c in fault.when + fault.unless)

    def _index_anchors(self) -> None:
        by_anchor: dict[bytes, list[int]] = {}
        for i, sig in enumerate(self.sigs):
            if i in self._retired:
                continue
            for word in sig.anchors:
                by_anchor.setdefault(word.encode(), []).append(i)
        self._by_anchor = {k: tuple(v) for k, v in by_anchor.items()}
        self._anchorset = frozenset(self._by_anchor)

    def _retire(self, owner: str) -> None:
        """Stop looking for a marker whose answer is known (context seen, platform counted):
        frequent markers (host names in prompts) must not keep lines hot."""
        self._retired.update(i for i, sig in enumerate(self.sigs) if sig.owner == owner)
        self._stale = True

    # -- input -------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.bytes_read += len(data)
        if self._tail:
            data = self._tail + data
            self._tail = b""
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) > MAX_LINE:
                self._block(data, ends_line=False)
            else:
                self._tail = data
            return
        self._tail = data[cut + 1:]
        self._block(data[:cut], ends_line=True)
        if len(self._tail) > MAX_LINE:
            tail, self._tail = self._tail, b""
            self._block(tail, ends_line=False)

    def finish(self) -> list[Finding]:
        if self._tail:
            tail, self._tail = self._tail, b""
            self._block(tail, ends_line=True)
        self._evaluate_pending(final=True)
        return self._findings()

    # -- one block ---------------------------------------------------------------------------

    def _block(self, block: bytes, ends_line: bool) -> None:
        shapes = block.translate(SHAPE, DIGITS).split(b"\n")
        n = len(shapes)
        # A block that starts inside a line cut at MAX_LINE keeps that line's number.
        first_num = self._lineno - 1 if self._continuing else self._lineno
        self._lineno = first_num + n
        self._continuing = not ends_line
        self.lines_read = first_num + n - 1

        if self._stale:
            self._index_anchors()
            self._forget()
            self._stale = False
        uniq = set(shapes)
        novel = uniq.difference(self._seen)
        if novel:
            self._learn(novel)
        lines: list[bytes] | None = None
        errs = uniq.intersection(self._errshapes)
        if errs:
            lines = block.split(b"\n")
            self._collect_errors(errs, shapes, lines, first_num)
        hot = uniq.intersection(self._cand)
        if hot:
            settled = hot.intersection(self._settled).difference(self._settled_near)
            if settled:
                self._count_settled(settled, shapes, first_num)
                hot -= settled
        if not hot and not self._deferred:
            self._remember_tail(block, first_num, n)
            return
        if lines is None:
            lines = block.split(b"\n")
        base = len(self._ctx_lines)
        self._ctx_lines = self._ctx_lines + lines
        self._ctx_nums = self._ctx_nums + list(range(first_num, first_num + n))
        eager: dict[bytes, int] = {}
        if hot:
            eager = self._settle_eagerly(hot, shapes, base)
            done = hot.intersection(eager).intersection(self._settled).difference(self._settled_near)
            if done:
                self._count_settled(done, shapes, first_num, eager)
                hot -= done
        edges: list[int] = []
        if hot:
            light = hot.intersection(self._settled_near)
            if light:
                edges = self._count_light(light, shapes, lines, first_num, eager)
                hot -= light
        if hot or edges:
            cand, words, toks, light = self._cand, self._words, self._tokens, self._settled_near
            for i in self._positions(hot, shapes, edges):
                s = shapes[i]
                if eager.get(s) == i:
                    continue
                if s in light:
                    self._deferred.append((base + i, (), s))
                    continue
                strong, weak = cand[s]
                if weak:
                    # Words missing from this line: only a wrapped neighbour can supply them.
                    edge = i == 0 or i + 1 == n  # neighbour in another block: stay on the safe side
                    if edge:
                        extra = weak
                    elif not (_continues(lines[i - 1], lines[i]) or _continues(lines[i], lines[i + 1])):
                        extra = ()
                    else:
                        # One word may be missing: a hard wrap at the terminal width cuts one word.
                        near = toks(shapes[i - 1]) | toks(s) | toks(shapes[i + 1])
                        extra = tuple(k for k in weak
                                      if len(words[k] - near) <= (1 if len(words[k]) >= 3 else 0))
                    if extra:
                        strong = tuple(sorted(strong + extra))
                if strong:
                    # Only plain fault signatures (no context, marker or near rule) may settle
                    # the line's shape; see _evaluate for wrap candidates.
                    settle = all(self._settleable[k] for k in strong)
                    self._deferred.append((base + i, strong, s if settle else b""))
        self._evaluate_pending(final=False)

    @staticmethod
    def _positions(hot: set[bytes], shapes: list[bytes], extra: list[int]) -> list[int]:
        """Indices of the lines whose shape is in `hot` (plus `extra`), in order: found with
        list.index (C) when few shapes are hot, by one pass otherwise."""
        if len(hot) > 16:
            return sorted(set(i for i, s in enumerate(shapes) if s in hot).union(extra))
        out = list(extra)
        for s in hot:
            pos = -1
            try:
                while True:
                    pos = shapes.index(s, pos + 1)
                    out.append(pos)
            except ValueError:
                pass
        out.sort()
        return out

    def _count_light(self, light: set[bytes], shapes: list[bytes], lines: list[bytes], first_num: int,
                     skip: dict[bytes, int]) -> list[int]:
        """Settled shapes whose answer has a near-context rule: the plain faults are counted in
        bulk; each near rule is checked on the block's own lines (set lookups on the scanned
        literals, the regex only on lines that hold one, memoised). Lines too close to the block's
        edges for their window are returned, to be looked at the usual way."""
        n, w = len(shapes), self._window
        edges: list[int] = []
        contexts = self.kb.contexts
        for s in light:
            answer = self._settled[s]
            done = skip.get(s, -1)
            inner: list[int] = []
            for i in self._positions({s}, shapes, []):
                if i == done:
                    continue
                (inner if w <= i < n - w else edges).append(i)
            if not inner:
                continue
            for fault, caps in answer:
                rules = [(c, True) for c in fault.when if contexts[c].scope == "near"] + \
                        [(c, False) for c in fault.unless if contexts[c].scope == "near"]
                if not rules:
                    self._record(fault, caps, len(inner), [first_num + i for i in inner[:MAX_LINES_KEPT]])
                    continue
                ok = [i for i in inner
                      if all(self._near_in_block(c, i, lines, first_num) == want for c, want in rules)]
                if ok:
                    self._record(fault, caps, len(ok), [first_num + i for i in ok[:MAX_LINES_KEPT]])
        return edges

    def _near_in_block(self, name: str, i: int, lines: list[bytes], first_num: int) -> bool:
        w = self.kb.contexts[name].window
        runs = self._near_literals.get(name)
        if runs is not None:
            window = b"\n".join(lines[i - w:i + w + 1]).lower()
            if not any(r in window for r in runs):
                return False  # one C pass rules the whole window out
        return any(self._holds(name, first_num + k, lines[k]) for k in range(i - w, i + w + 1))

    def _forget(self) -> None:
        self._seen.clear()
        self._cand.clear()
        self._tokcache.clear()
        self._settled.clear()
        self._settled_near.clear()
        self._errshapes.clear()
        self._seen_bytes = 0

    def _settle_eagerly(self, hot: set[bytes], shapes: list[bytes], base: int) -> dict[bytes, int]:
        """Evaluate now the first line of each shape that is new in this block and may settle,
        so that its other lines in the block are counted with it rather than each searched.
        Returns shape -> index (in the block) of the line evaluated."""
        out: dict[bytes, int] = {}
        limit = len(self._ctx_lines) - self._window  # its window of following lines is here
        for s in hot:
            if s in self._settled:
                continue
            strong = self._cand[s][0]
            if not strong or not all(self._settleable[k] for k in strong):
                continue
            i = shapes.index(s)
            if base + i >= limit:
                continue
            self._evaluate(base + i, strong, s)
            if s in self._settled or not self._cand[s][1]:
                out[s] = i  # else the line is looked at again below, with its wrap candidates
        return out

    def _count_settled(self, settled: set[bytes], shapes: list[bytes], first_num: int,
                       skip: dict[bytes, int] | None = None) -> None:
        """Lines whose shape has a known answer: count them per fault; line numbers only while
        a finding still keeps fewer than MAX_LINES_KEPT of them. `skip`: a line per shape that
        was already counted (evaluated eagerly)."""
        counts = Counter(shapes) if len(settled) > 4 else None
        for s in settled:
            answer = self._settled[s]
            if not answer:
                continue
            c = counts[s] if counts is not None else shapes.count(s)
            done = skip.get(s, -1) if skip else -1
            if done >= 0:
                c -= 1
            if c <= 0:
                continue
            nums: list[int] = []
            if any(len(self._hits.get((f.id, caps), (0, ()))[1]) < MAX_LINES_KEPT for f, caps in answer):
                pos = -1
                while len(nums) < min(c, MAX_LINES_KEPT):
                    pos = shapes.index(s, pos + 1)
                    if pos != done:
                        nums.append(first_num + pos)
            for fault, caps in answer:
                self._record(fault, caps, c, nums)

    def _collect_errors(self, errs: set[bytes], shapes: list[bytes], lines: list[bytes], first_num: int) -> None:
        """Keep error-looking lines (one per shape) for the ranked fallback: the first
        ERROR_LINES_HEAD and the last ERROR_LINES_TAIL of the input."""
        for s in errs:
            if s in self._err_head or s in self._err_tail_seen:
                continue
            i = shapes.index(s)
            item = (first_num + i, _decode(lines[i])[:500])
            if len(self._err_head) < ERROR_LINES_HEAD:
                self._err_head[s] = item
                continue
            if len(self._err_tail) == self._err_tail.maxlen:
                self._err_tail_seen.discard(self._err_tail[0][0])
            self._err_tail.append((s, item))
            self._err_tail_seen.add(s)

    def _tokens(self, shape: bytes) -> frozenset[bytes]:
        got = self._tokcache.get(shape)
        if got is None:
            got = self._tokcache[shape] = frozenset(shape.split())
        return got

    def _learn(self, novel: set[bytes]) -> None:
        if self._seen_bytes > SHAPE_CACHE_BYTES:
            self._forget()
        anchors, by_anchor, req = self._anchorset, self._by_anchor, self._words
        errw, errshapes = ERROR_WORDS, self._errshapes
        for s in novel:
            toks = s.split()
            if not errw.isdisjoint(toks):
                errshapes.add(s)
            hit = anchors.intersection(toks)
            if hit:
                ids = set(chain.from_iterable(by_anchor[w] for w in hit))
                tokset = set(toks)
                strong = tuple(sorted(k for k in ids if req[k] <= tokset))
                # Markers (contexts, platforms) need no wrap tolerance: only faults get weak lines.
                weak = tuple(sorted(k for k in ids if not req[k] <= tokset and k < self._n_fault_sigs))
                if strong or weak:  # else no signature can match it: not a candidate
                    self._cand[s] = (strong, weak)
            self._seen_bytes += len(s) + 64
        self._seen.update(novel)

    def _remember_tail(self, block: bytes, first_num: int, n: int) -> None:
        keep = 2 * self._window
        tail = block.rsplit(b"\n", keep)
        if len(tail) > keep:
            tail = tail[1:]
        nums = list(range(first_num + n - len(tail), first_num + n))
        if len(tail) < keep:
            tail = (self._ctx_lines + tail)[-keep:]
            nums = (self._ctx_nums + nums)[-keep:]
        self._ctx_lines, self._ctx_nums = tail, nums

    def _evaluate_pending(self, final: bool) -> None:
        w = self._window
        limit = len(self._ctx_lines) if final else len(self._ctx_lines) - w
        later: list[tuple[int, tuple[int, ...], bytes]] = []
        for idx, sig_ids, shape in self._deferred:
            if idx < limit:
                self._evaluate(idx, sig_ids, shape)
            else:
                later.append((idx, sig_ids, shape))
        # Trim the ring buffer to what the waiting candidates and the next block need.
        keep_from = len(self._ctx_lines) - 2 * w
        if later:
            keep_from = min(keep_from, later[0][0] - w)
        keep_from = max(0, keep_from)
        if keep_from:
            self._ctx_lines = self._ctx_lines[keep_from:]
            self._ctx_nums = self._ctx_nums[keep_from:]
            later = [(i - keep_from, s, sh) for i, s, sh in later]
        self._deferred = later

    # -- one candidate line ------------------------------------------------------------------

    def _evaluate(self, idx: int, sig_ids: tuple[int, ...], shape: bytes = b"") -> None:
        if not sig_ids:  # a settled shape with a near rule: its answer is known, check the rules
            for fault, caps in self._settled.get(shape, ()):
                self._hit(fault, idx, self._ctx_nums[idx], caps)
            return
        lines, nums = self._ctx_lines, self._ctx_nums
        text = _decode(lines[idx])
        joined: tuple[str, list[tuple[int, int]], int, int] | None = None
        own: list[tuple[Fault, tuple[tuple[str, str], ...]]] = []  # matched on the line alone
        matched: list[tuple[Fault, tuple[tuple[str, str], ...], int, bool]] = []
        done: set[str] = set()
        settle = bool(shape) and shape not in self._settled
        for sid in sig_ids:
            sig = self.sigs[sid]
            owner = sig.owner
            if owner.startswith("context:"):
                name = owner[8:]
                if name in self._doc_ctx:
                    continue
            elif owner.startswith("platform:"):
                if self._platform_hits.get(owner[9:], 0) >= PLATFORM_MARKER_CAP:
                    continue
            elif owner in done:
                continue  # one line counts once per fault, whichever of its signatures matched
            m = sig.regex.search(text)
            at = nums[idx]
            alone = m is not None
            if m is None:
                if joined is None:
                    joined = self._join(idx)
                jtext, spans, lo, hi = joined
                if spans:
                    m = sig.regex.search(jtext)
                    # Only a match that takes in this line: one inside a neighbour alone is the
                    # neighbour's own (it is looked at for itself).
                    if m is not None and m.start() < hi and m.end() > lo:
                        at = next(num for end, num in spans if m.start() < end)
                        settle = False  # the answer depended on the neighbours
                    else:
                        m = None
            if m is None:
                continue
            if owner.startswith("context:"):
                self._doc_ctx.add(owner[8:])
                self._retire(owner)
            elif owner.startswith("platform:"):
                name = owner[9:]
                self._platform_hits[name] = self._platform_hits.get(name, 0) + 1
                if self._platform_hits[name] >= PLATFORM_MARKER_CAP:
                    self._retire(owner)
            else:
                done.add(owner)
                fault = self.kb.by_id[owner]
                caps = tuple(sorted((k, v) for k, v in m.groupdict().items() if v)) if fault.placeholders \
                    or fault.lookup else ()
                matched.append((fault, caps, at, alone))
        if len(matched) > 1:  # a specific entry and the generic family it refines: only the specific
            refined = {r for f, _, _, _ in matched for r in f.refines}
            if refined:
                matched = [t for t in matched if t[0].id not in refined]
        for fault, caps, at, alone in matched:
            self._hit(fault, idx, at, caps)
            if alone:
                own.append((fault, caps))
        if settle and (own or not self._cand.get(shape, ((), ()))[1]):
            # A line that is itself a known message is taken as whole, not as the piece of a
            # wrapped one: its shape settles even if it holds words of other (wrap) candidates.
            # A line that matched nothing settles only if no wrap could ever complete a match.
            self._settled[shape] = tuple(own)
            if any(self._has_near(f.id) for f, _ in own):
                self._settled_near.add(shape)

    def _join(self, idx: int) -> tuple[str, list[tuple[int, int]], int, int]:
        """The candidate line with its soft-wrapped neighbours ([] spans if there are none), and
        where the line itself lies in the joined text."""
        lines, nums = self._ctx_lines, self._ctx_nums
        lo = idx - 1 if idx > 0 and _continues(lines[idx - 1], lines[idx]) else idx
        hi = idx + 1 if idx + 1 < len(lines) and _continues(lines[idx], lines[idx + 1]) else idx
        if lo == hi:
            return "", [], 0, 0
        text, spans = "", []
        start = end = 0
        for k in range(lo, hi + 1):
            part = _decode(lines[k])
            if k > lo:
                part = _joiner(lines[k - 1], lines[k]) + part.lstrip()
                text = text.rstrip()
            if k == idx:
                start = len(text)
            text += part
            if k == idx:
                end = len(text)
            spans.append((len(text), nums[k]))
        return text, spans, start, end

    def _near(self, name: str, idx: int) -> bool:
        lines, nums = self._ctx_lines, self._ctx_nums
        w = self.kb.contexts[name].window
        lo, hi = max(0, idx - w), min(len(lines), idx + w + 1)
        return any(self._holds(name, nums[k], lines[k]) for k in range(lo, hi))

    def _holds(self, name: str, num: int, raw: bytes) -> bool:
        """Does this line hold the near context `name`? A substring test on its literals first
        (most lines fail it), then the patterns; memoised by line number."""
        key = (name, num)
        got = self._near_memo.get(key)
        if got is None:
            runs = self._near_literals.get(name)
            if runs is not None:
                low = raw.lower()
                if not any(r in low for r in runs):
                    got = False
            if got is None:
                text = _decode(raw)
                got = any(p.regex.search(text) for p in self.kb.contexts[name].patterns)
            if len(self._near_memo) > 65536:
                self._near_memo.clear()
            self._near_memo[key] = got
        return got

    def _hit(self, fault: Fault, idx: int, at: int, caps: tuple[tuple[str, str], ...]) -> bool:
        contexts = self.kb.contexts
        for name in fault.when:
            if contexts[name].scope == "near" and not self._near(name, idx):
                return False
        for name in fault.unless:
            if contexts[name].scope == "near" and self._near(name, idx):
                return False
        self._record(fault, caps, 1, [at])
        return True

    def _record(self, fault: Fault, caps: tuple[tuple[str, str], ...], count: int, nums: list[int]) -> None:
        """`count` more lines of `fault` (with these captured names); `nums`: some of their line
        numbers. Findings are per fault, and per distinct name for a family (at most
        MAX_VARIANTS names; later names count towards the first)."""
        key = (fault.id, caps)
        rec = self._hits.get(key)
        if rec is None:
            seen = self._variants.get(fault.id, 0)
            if caps and seen >= MAX_VARIANTS:
                first = next(k for k in self._hits if k[0] == fault.id)
                rec = self._hits[first]
            else:
                self._variants[fault.id] = seen + 1
                rec = self._hits[key] = [0, [], 0, fault, caps]
        if fault.harmless:
            self._harmless_lines.update(nums)
        if count == 1 and nums and rec[2] == nums[0]:
            return  # the same line again (a joined neighbour)
        rec[0] += count
        kept = rec[1]
        for at in nums:
            if at in kept:
                continue
            if len(kept) < MAX_LINES_KEPT:
                insort(kept, at)
            elif at < kept[-1]:
                kept.pop()
                insort(kept, at)
        if nums:
            rec[2] = nums[-1]

    # -- results -----------------------------------------------------------------------------

    def inferred_platform(self) -> str | None:
        if self.platform:
            return self.platform
        if not self._platform_hits:
            return None
        ranked = sorted(self._platform_hits.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]

    def _findings(self) -> list[Finding]:
        platform = self.inferred_platform()
        contexts = self.kb.contexts
        matched: list[list[Any]] = []
        ids: set[str] = set()
        for rec in self._hits.values():
            fault = rec[3]
            if fault.specialises and (platform is None or not fault.applies_to(platform)):
                continue
            if any(contexts[c].scope == "anywhere" and c not in self._doc_ctx for c in fault.when):
                continue
            if any(contexts[c].scope == "anywhere" and c in self._doc_ctx for c in fault.unless):
                continue
            matched.append(rec)
            ids.add(fault.id)
        removed: set[str] = set()
        for fid in ids:
            fault = self.kb.by_id[fid]
            removed.update(fault.supersedes)
            if fault.specialises:
                removed.add(fault.specialises)
        order = {f.id: i for i, f in enumerate(self.faults)}
        matched = self._merge_bare_variants(matched)
        findings = []
        for count, lines, _, fault, caps in matched:
            if fault.id in removed:
                continue
            confidence = fault.confidence
            if fault.platforms and platform and platform not in fault.platforms:
                confidence *= 0.8  # the log looks like another platform's
            title, cause, fix, commands = render_texts(self.kb, fault, caps)
            findings.append((fault, count, Finding(
                fault.id, fault.category, title, cause, fix, commands,
                tuple(sorted(lines)), round(confidence, 2), fault.harmless, count, fault.source)))
        findings.sort(key=lambda t: (t[0].harmless, -t[2].confidence,
                                     -(int(t[0].specific) + int(bool(t[0].when))), -t[1], t[2].lines[:1],
                                     order.get(t[0].id, 0)))
        result = [f for _, _, f in findings]
        if not any(not f.harmless for f in result):
            result = self._fallback(platform) + result
        return result

    @staticmethod
    def _merge_bare_variants(recs: list[list[Any]]) -> list[list[Any]]:
        """A family line that named nothing (a generic line of the same message) adds to the
        first variant that did, rather than being a finding of its own."""
        named: dict[str, list[Any]] = {}
        for rec in recs:
            if rec[4] and rec[3].id not in named:
                named[rec[3].id] = rec
        out = []
        for rec in recs:
            first = named.get(rec[3].id)
            if not rec[4] and first is not None:
                first[0] += rec[0]
                first[1] = sorted(set(first[1]) | set(rec[1]))[:MAX_LINES_KEPT]
                continue
            out.append(rec)
        return out

    def error_lines(self) -> list[tuple[int, str]]:
        """The error-looking lines kept for the ranked fallback, in input order, without the
        lines a known-harmless message was found on."""
        got = list(self._err_head.values()) + [item for _, item in self._err_tail]
        return sorted(item for item in got if item[0] not in self._harmless_lines)

    def _fallback(self, platform: str | None) -> list[Finding]:
        """No entry matched: rank the entries against the log's error lines (BM25) and offer the
        best few as lower-confidence findings. Harmless entries never take part."""
        lines = self.error_lines()
        if not lines:
            return []
        from envdoctor.knowledge.rank import ranked_fallback

        return ranked_fallback(self.kb, self.faults, platform, lines)
