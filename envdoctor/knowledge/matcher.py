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
from bisect import bisect_left, insort
from collections import Counter, deque
from dataclasses import dataclass
from itertools import accumulate, chain, compress
from typing import Any

from envdoctor.knowledge.kb import (
    Fault,
    KnowledgeBase,
    Signature,
    digits_matter,
    digits_relaxed,
    literal_prefix,
    literal_run,
    render_texts,
)

BLOCK = 1 << 20
MAX_LINE = 1 << 20
MAX_LINES_KEPT = 5          # line numbers reported per finding
PLATFORM_MARKER_CAP = 20    # stop counting platform evidence after this many lines
SHAPE_CACHE_BYTES = 16 << 20
RESIDUAL_MEMO = 1 << 16     # exact lines whose digit-value answers are kept (then all dropped) ...
MEMO_BYTES = 8 << 20        # ... and at most this many bytes of lines kept as keys by the line memos
WRAP_WIDTHS = frozenset({80, 100, 120, 132, 150, 160, 200, 250})
SOFT_WRAP_MIN = 60
SOFT_WRAP_MAX = 100
MAX_VARIANTS = 3            # distinct names (commands, modules ...) reported per fault family ...
MAX_NAMES = 32              # ... chosen (the earliest in the log) among at most this many tracked
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

# What may let a regex match or look across a newline (see Matcher._line_local_regex); on the
# safe side: a false alarm only means searching line by line.
_NOT_LINE_LOCAL = re.compile(r"\\[sWDBAZnrxuUN0-9]|\[\^|\(\?[<=!]|\(\?[a-zA-Z]*[sx]|\(\?\(|\(\?P=")

_table = bytearray(b" " * 256)
for _b in range(256):
    _ch = chr(_b)
    if _ch.isascii() and _ch.isalpha():
        _table[_b] = ord(_ch.lower())
_table[10] = 10
SHAPE = bytes(_table)
DIGITS = b"0123456789"
# A line's key for settled answers: the line itself with every digit made 0 (job ids, times and
# sizes differ from line to line; what the signatures answer does not, see _settleable).
_keytab = bytearray(range(256))
for _b in DIGITS:
    _keytab[_b] = ord("0")
KEY = bytes(_keytab)


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


class _EncodedMatch:
    """A str match that answers groupdict() in bytes, like a match of a bytes pattern."""

    def __init__(self, m: Any) -> None:
        self._m = m

    def groupdict(self) -> dict[str, bytes | None]:
        return {k: (v.encode("utf-8") if v is not None else None) for k, v in self._m.groupdict().items()}


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


class _Shapes:
    """The shapes of a block's lines, by index. Most blocks have few distinct keys: a line's
    shape is its key's (computed once per key), looked up when asked; the whole list is made
    only if something needs it (index, a scan)."""

    __slots__ = ("_keys", "_of", "_list")

    def __init__(self, keys: list[bytes], of: dict[bytes, bytes] | None, listed: list[bytes] | None) -> None:
        self._keys, self._of, self._list = keys, of, listed

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, i: int) -> bytes:
        if self._list is not None:
            return self._list[i]
        assert self._of is not None
        return self._of[self._keys[i]]

    def full(self) -> list[bytes]:
        if self._list is None:
            assert self._of is not None
            self._list = list(map(self._of.__getitem__, self._keys))  # C speed: a dict lookup a line
        return self._list

    def index(self, shape: bytes) -> int:
        return self.full().index(shape)


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
        # Signatures that name digit values (Errno 101, HTTP 5xx): lines of one key may differ in
        # their answer, so a settled key runs just these again on each of its lines.
        self._digit_sig = [digits_matter(sig.pattern) for sig in sigs]
        self._residual: dict[bytes, tuple[tuple[Fault, tuple[Signature, ...]], ...]] = {}
        self._bytes_rx: dict[str, Any] = {}
        # Exact line -> per residual fault of its key, the captured names (None: no match).
        self._resid_memo: dict[bytes, tuple[tuple[tuple[str, str], ...] | None, ...]] = {}
        self._block_near: dict[str, list[int]] = {}  # context -> lines of the current block holding it
        self._block_shapes: set[bytes] = set()  # the distinct shapes of the current block
        self._block_holders: dict[str, set[bytes]] = {}  # near context -> the block's keys holding it
        self._block_pos: dict[bytes, list[int]] = {}  # key -> its lines in the block (see _light_positions)
        self._joined_rx: dict[str, Any] = {}  # pattern -> (bytes regex for joined lines, literal prefix) or None
        self._block_kshape: dict[bytes, bytes] | None = None  # (None: the block's lines are mostly distinct)
        self._key_safe: dict[str, bool] = {}  # near context -> a key decides it (see _key_decides)
        self._key_hold_memo: dict[tuple[str, bytes], bool] = {}  # (near context, key) -> a line of it holds it
        self._memo_bytes = 0  # bytes of lines held as keys by _resid_memo and _key_hold_memo
        self._settled: dict[bytes, tuple[tuple[Fault, tuple[tuple[str, str], ...]], ...]] = {}
        # Settled shapes whose answer has a fault with a near-context rule: those lines are still
        # looked at one by one, but only for the context (no decoding, no signature search).
        self._settled_near: set[bytes] = set()
        # A near context's patterns each need a literal run: a window line without any of them
        # (a substring test on the lower-cased bytes) is ruled out without decoding it.
        literals = {c.name: tuple(literal_run(p.pattern).encode() for p in c.patterns)
                    for c in kb.contexts.values() if c.scope == "near"}
        self._near_literals: dict[str, tuple[bytes, ...] | None] = {
            name: runs if all(runs) else None for name, runs in literals.items()}
        self._near_memo: dict[tuple[str, int], bool] = {}  # (context, line number) -> holds it
        self._shape_tests: dict[str, Any] = {}
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
        # Keys first (one C pass, no deletion: cheaper than the shape pass), counted at once: a
        # block full of faults needs the counts anyway, and a Counter costs a clean block about
        # what a set of its shapes did. Shapes are then derived per distinct key, not per line.
        keys = block.translate(KEY).split(b"\n")
        counts = Counter(keys)
        n = len(keys)
        if len(counts) * 2 > n:
            # Mostly distinct lines: one C pass over the block beats a translate per key.
            listed = block.translate(SHAPE, DIGITS).split(b"\n")
            uniq = set(listed)
            kshape: dict[bytes, bytes] | None = None
            shapes = _Shapes(keys, None, listed)
        else:
            kshape = {k: k.translate(SHAPE, DIGITS) for k in counts}
            uniq = set(kshape.values())
            shapes = _Shapes(keys, kshape, None)
        # A block that starts inside a line cut at MAX_LINE keeps that line's number.
        first_num = self._lineno - 1 if self._continuing else self._lineno
        self._lineno = first_num + n
        self._continuing = not ends_line
        self.lines_read = first_num + n - 1

        if self._stale:
            self._index_anchors()
            self._forget(keep_settled=True)
            self._stale = False
        novel = uniq.difference(self._seen)
        if novel:
            self._learn(novel)
        self._block_shapes = uniq
        self._block_kshape = kshape  # each distinct key's shape
        lines: list[bytes] | None = None
        errs = uniq.intersection(self._errshapes)
        hot = uniq.intersection(self._cand)
        if not hot and not self._deferred and not errs:
            self._remember_tail(block, first_num, n)
            return
        if errs:
            lines = block.split(b"\n")
            self._collect_errors(errs, shapes, lines, first_num)
        if not hot and not self._deferred:
            self._remember_tail(block, first_num, n)
            return
        if lines is None:
            lines = block.split(b"\n")
        base = len(self._ctx_lines)
        self._ctx_lines = self._ctx_lines + lines
        self._ctx_nums = self._ctx_nums + list(range(first_num, first_num + n))
        if hot:
            self._hot_lines(hot, shapes, lines, keys, counts, kshape, base, first_num)
        self._evaluate_pending(final=False)

    def _hot_lines(self, hot: set[bytes], shapes: _Shapes, lines: list[bytes], keys: list[bytes],
                   counts: Counter[bytes], kshape: dict[bytes, bytes] | None, base: int, first_num: int) -> None:
        """The block's candidate lines. Lines whose key (see KEY) has a settled answer are
        counted in bulk; the first line of every other key is evaluated now, so that its key can
        settle; whatever remains is looked at line by line (deferred until its window is here)."""
        known = self._settled.keys() & counts.keys()
        pend = {k for k in counts.keys() - known
                if (kshape[k] if kshape is not None else k.translate(SHAPE, DIGITS)) in hot}
        eager = self._settle_eagerly(pend, keys, shapes, base) if pend else {}
        known.update(k for k in eager if k in self._settled)
        light = known.intersection(self._settled_near)
        fast = known.difference(light)
        if fast:
            self._count_settled(fast, keys, first_num, eager, counts)
        edges = self._count_light(light, keys, shapes, lines, first_num, eager, counts) if light else []
        rest = pend.difference(known)
        if not rest and not edges:
            return
        n = len(shapes)
        cand, words, toks = self._cand, self._words, self._tokens
        for i in self._positions(rest, keys, edges):
            k = keys[i]
            if eager.get(k) == i:
                continue
            if k in light:
                self._deferred.append((base + i, (), k))
                continue
            s = shapes[i]
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
                    extra = tuple(j for j in weak
                                  if len(words[j] - near) <= (1 if len(words[j]) >= 3 else 0))
                if extra:
                    strong = tuple(sorted(strong + extra))
            if strong:
                # Only plain fault signatures (no context, marker or digit value) may settle the
                # line's key; see _evaluate for wrap candidates.
                settle = all(self._settleable[j] for j in strong)
                self._deferred.append((base + i, strong, k if settle else b""))

    @staticmethod
    def _positions(wanted: set[bytes], items: list[bytes], extra: list[int]) -> list[int]:
        """Indices of the items in `wanted` (plus `extra`), in order: found with list.index (C)
        when few are wanted, by one pass otherwise."""
        if len(wanted) > 16:
            return sorted(set(i for i, s in enumerate(items) if s in wanted).union(extra))
        out = list(extra)
        for s in wanted:
            pos = -1
            try:
                while True:
                    pos = items.index(s, pos + 1)
                    out.append(pos)
            except ValueError:
                pass
        out.sort()
        return out

    def _count_light(self, light: set[bytes], keys: list[bytes], shapes: _Shapes, lines: list[bytes],
                     first_num: int, skip: dict[bytes, int], counts: Counter[bytes]) -> list[int]:
        """Settled keys whose answer has a near-context rule or digit-value signatures. Plain
        faults are counted in bulk; a near rule is decided from the block's lines that hold the
        context (few): the key's lines within their windows, found around them; digit-value
        signatures run on each of the key's lines (see _count_residual). Lines too close to the
        block's edges for their window are returned, to be looked at the usual way."""
        n, w = len(keys), self._window
        self._block_near = {}
        edges = [j for j in chain(range(0, min(w, n)), range(max(w, n - w), n))
                 if keys[j] in light and skip.get(keys[j]) != j]
        outside = set(edges)
        contexts = self.kb.contexts
        resid = {k for k in light if k in self._residual}
        where = self._light_positions(light, resid, keys)
        for key in light:
            done = skip.get(key, -1)
            excluded = outside | {done}
            c = counts[key] - sum(1 for j in excluded if 0 <= j < n and keys[j] == key)
            if c <= 0:
                continue
            if key in where:
                inner = where[key]
                # Few lines are excluded (block edges, the eager one): drop them by bisection
                # rather than testing every line of the key.
                drop = sorted(j for j in excluded if 0 <= j < n and keys[j] == key)
                if drop:
                    inner = list(inner)
                    for j in reversed(drop):
                        p = bisect_left(inner, j)
                        if p < len(inner) and inner[p] == j:
                            del inner[p]
                self._count_residual(self._residual[key], inner, shapes, lines, first_num)
            for fault, caps in self._settled[key]:
                rules = [(ctx, True) for ctx in fault.when if contexts[ctx].scope == "near"] + \
                        [(ctx, False) for ctx in fault.unless if contexts[ctx].scope == "near"]
                within: set[int] | None = None
                bad: set[int] = set()
                for ctx, want in rules:
                    near = self._key_near(ctx, key, keys, shapes, lines, first_num, excluded)
                    if want:
                        within = near if within is None else within & near
                    else:
                        bad |= near
                if within is not None:
                    ok = sorted(within - bad)
                    if ok:
                        self._record(fault, caps, len(ok), [first_num + i for i in ok[:MAX_LINES_KEPT]])
                    continue
                cnt = c - len(bad)
                if cnt <= 0:
                    continue
                nums: list[int] = []
                if self._may_keep(fault.id, caps, first_num + keys.index(key)):
                    pos = -1
                    while len(nums) < min(cnt, MAX_LINES_KEPT):
                        pos = keys.index(key, pos + 1)
                        if pos not in excluded and pos not in bad:
                            nums.append(first_num + pos)
                self._record(fault, caps, cnt, nums)
        return edges

    def _light_positions(self, light: set[bytes], resid: set[bytes], keys: list[bytes]) -> dict[bytes, list[int]]:
        """One C pass over the block's keys for all the lines Python must look at: those of the
        keys with digit-value signatures, of the keys with a near rule, and (when a key decides
        it, see _key_decides) of the keys that hold a near context. Returns key -> its lines."""
        contexts = self.kb.contexts
        names: set[str] = set()
        ruled: set[bytes] = set()
        for key in light:
            for fault, _ in self._settled[key]:
                near = [c for c in fault.when + fault.unless if contexts[c].scope == "near"]
                if near:
                    names.update(near)
                    ruled.add(key)
            for fault, _ in self._residual.get(key, ()):
                names.update(c for c in fault.when + fault.unless if contexts[c].scope == "near")
        self._block_holders = {}
        kshape = self._block_kshape
        if kshape is not None:
            for name in names:
                if self._key_decides(name):
                    may = self._shape_may_hold(name)
                    self._block_holders[name] = {k for k, s in kshape.items() if may(s) and self._key_holds(name, k)}
        wanted = resid.union(ruled, *self._block_holders.values())
        pos: dict[bytes, list[int]] = {}
        for i in compress(range(len(keys)), map(wanted.__contains__, keys)):
            pos.setdefault(keys[i], []).append(i)
        self._block_pos = pos
        return {k: pos.get(k, []) for k in resid}

    def _key_near(self, ctx: str, key: bytes, keys: list[bytes], shapes: _Shapes, lines: list[bytes],
                  first_num: int, excluded: set[int]) -> set[int]:
        """Lines of `key` (in this block) within the window of a line that holds context `ctx`:
        each of the key's lines (found by _light_positions) bisected into the holding lines."""
        held = self._held(ctx, shapes, lines, first_num)
        if not held:
            return set()
        win, nh = self.kb.contexts[ctx].window, len(held)
        out: set[int] = set()
        for j in self._block_pos.get(key, ()):
            k = bisect_left(held, j - win)
            if k < nh and held[k] <= j + win and j not in excluded:
                out.add(j)
        return out

    def _held(self, name: str, shapes: _Shapes, lines: list[bytes], first_num: int) -> list[int]:
        """The lines of the current block that hold near context `name` (sorted; computed once)."""
        held = self._block_near.get(name)
        if held is None:
            may = self._shape_may_hold(name)
            holders = self._block_holders.get(name)
            if holders is not None:
                # Decided once per distinct key of the block (the same words, digits aside);
                # their lines were found in _light_positions' one pass.
                pos = self._block_pos
                held = sorted(chain.from_iterable(pos.get(k, ()) for k in holders))
            else:
                maybe = {s for s in self._block_shapes if may(s)}  # the block's shapes, known
                held = [j for j in self._positions(maybe, shapes.full(), [])
                        if self._holds(name, first_num + j, lines[j])] if maybe else []
            self._block_near[name] = held
        return held

    def _key_decides(self, name: str) -> bool:
        """Is whether a line holds near context `name` the same for all lines of one key? Yes if
        no pattern names digit values and no literal run has a digit (a key has every digit 0)."""
        got = self._key_safe.get(name)
        if got is None:
            pats = self.kb.contexts[name].patterns
            runs = self._near_literals.get(name) or ()
            got = self._key_safe[name] = not any(digits_matter(p.pattern) for p in pats) and \
                not any(c in DIGITS for r in runs for c in r)
        return got

    def _key_holds(self, name: str, key: bytes) -> bool:
        """_holds for a whole key (see _key_decides), cached: the key stands for its lines."""
        got = self._key_hold_memo.get((name, key))
        if got is None:
            runs = self._near_literals.get(name)
            if runs is not None and not any(r in key.lower() for r in runs):
                got = False
            else:
                text = _decode(key)
                got = any(p.regex.search(text) for p in self.kb.contexts[name].patterns)
            if len(self._key_hold_memo) > 65536 or self._memo_bytes > MEMO_BYTES:
                self._key_hold_memo.clear()  # bounded in entries and bytes (lines may be long)
                self._resid_memo.clear()
                self._memo_bytes = 0
            self._key_hold_memo[(name, key)] = got
            self._memo_bytes += len(key) + 64
        return got

    def _count_residual(self, residual: tuple[tuple[Fault, tuple[Signature, ...]], ...], inner: list[int],
                        shapes: _Shapes, lines: list[bytes], first_num: int) -> None:
        """The digit-value faults of a settled key on its lines in this block: each line searched
        as bytes (no decoding) by those signatures only, the hits recorded per fault and name."""
        contexts = self.kb.contexts
        groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[int]] = {}  # by id: Fault hashes slowly
        memo = self._resid_memo
        if len(memo) > RESIDUAL_MEMO or self._memo_bytes > MEMO_BYTES:
            # Bounded: a log of ever-new numbers (or very long lines) must not grow it.
            memo.clear()
            self._key_hold_memo.clear()
            self._memo_bytes = 0
        plan = []
        for fault, fsigs in residual:
            rules = [(c, True) for c in fault.when if contexts[c].scope == "near"] + \
                    [(c, False) for c in fault.unless if contexts[c].scope == "near"]
            plan.append((fault.id, [self._bytes_regex(sig) for sig in fsigs], bool(fault.placeholders or fault.lookup),
                         rules, fsigs))
        joined = self._search_joined(plan, list(map(lines.__getitem__, inner))) if len(inner) > 8 else None
        if joined is not None:
            for (fid, _, _, rules, _), found in zip(plan, joined):
                for k, named_caps in found:
                    i = inner[k]
                    if rules and not all(self._near_in_block(c, i, shapes, lines, first_num) == want
                                         for c, want in rules):
                        continue
                    groups.setdefault((fid, named_caps), []).append(i)
            inner = []
        for i in inner:
            raw = lines[i]
            # What the regexes answer depends on the line's bytes only (the near rules, on its
            # place, are applied below): the same exact line (same numbers) is searched once.
            answer = memo.get(raw)
            if answer is None:
                got: list[tuple[tuple[str, str], ...] | None] = []
                for _, rxs, named, _, _ in plan:
                    one: tuple[tuple[str, str], ...] | None = None
                    for rx in rxs:
                        m = rx.search(raw)
                        if m is not None:
                            one = tuple(sorted((k, v.decode("utf-8", "replace"))
                                                for k, v in m.groupdict().items() if v)) if named else ()
                            break
                    got.append(one)
                answer = memo[raw] = tuple(got)
                self._memo_bytes += len(raw) + 64
            for (fid, _, _, rules, _), got_caps in zip(plan, answer):
                if got_caps is None:
                    continue
                if rules and not all(self._near_in_block(c, i, shapes, lines, first_num) == want
                                     for c, want in rules):
                    continue
                groups.setdefault((fid, got_caps), []).append(i)
        for (fid, caps), idxs in groups.items():
            self._record(self.kb.by_id[fid], caps, len(idxs), [first_num + i for i in idxs[:MAX_LINES_KEPT]])

    def _search_joined(self, plan: list[Any], sel: list[bytes]
                       ) -> list[list[tuple[int, tuple[tuple[str, str], ...]]]] | None:
        """The residual signatures on many lines at once: the lines joined by newlines, each
        regex run over the whole (C), Python touching only the lines that match. Per fault, the
        (position in `sel`, captured names) of its matching lines, as searching each line alone
        (the first of its regexes to match, that regex's first match) would give. None if a regex
        could see across a newline (then each line is searched alone)."""
        rxs = [[self._line_local_regex(sig) for sig in fsigs] for _, _, _, _, fsigs in plan]
        if any(rx is None for group in rxs for rx in group):
            return None
        text = b"\n".join(sel)
        # starts[k]: where line k begins in the joined text (C: accumulate over the lengths).
        starts = list(accumulate(chain((0,), map((1).__add__, map(len, sel)))))
        out: list[list[tuple[int, tuple[tuple[str, str], ...]]]] = []
        for (_, _, named, _, _), group in zip(plan, rxs):
            found: dict[int, tuple[tuple[str, str], ...]] = {}
            for rx, lit in group:  # in order: a line keeps the first regex that matched it
                pos, end = 0, len(text)
                while pos <= end:
                    if lit:
                        # Every match starts with `lit`: jump to its next occurrence (C), try there.
                        at = text.find(lit, pos)
                        if at < 0:
                            break
                        m = rx.match(text, at)
                        if m is None:
                            pos = at + 1
                            continue
                    else:
                        m = rx.search(text, pos)
                        if m is None:
                            break
                    k = bisect_left(starts, m.start() + 1) - 1  # the line the match starts on
                    if k not in found:
                        found[k] = tuple(sorted((key, v.decode("utf-8", "replace"))
                                                for key, v in m.groupdict().items() if v)) if named else ()
                    pos = starts[k + 1]  # that line's first match only: go on with the next
            out.append(sorted(found.items()))
        return out

    def _line_local_regex(self, sig: Signature) -> Any:
        """The signature compiled for bytes to run over lines joined by newlines, with the literal
        its matches start with (b"" if none): None unless it
        can never match a newline nor look across one (no \\s, negated class, lookaround, \\A \\Z,
        DOTALL or verbose flag, back-reference, non-ASCII), so that its matches there are exactly
        its matches on each line ('^' and '$' made per line by MULTILINE)."""
        if sig.pattern in self._joined_rx:
            return self._joined_rx[sig.pattern]
        got: Any = None
        if not _NOT_LINE_LOCAL.search(sig.pattern):
            try:
                got = (re.compile(sig.pattern.encode("ascii"), re.MULTILINE),
                       literal_prefix(sig.pattern).encode("ascii"))
            except (UnicodeEncodeError, re.error):
                got = None
        self._joined_rx[sig.pattern] = got
        return got

    def _bytes_regex(self, sig: Signature) -> Any:
        """The signature compiled for bytes (the digit-value ones are ASCII); str if it is not."""
        got = self._bytes_rx.get(sig.pattern)
        if got is None:
            try:
                got = re.compile(sig.pattern.encode("ascii"))
            except (UnicodeEncodeError, re.error):
                rx = sig.regex

                class _Decoding:  # same interface, decodes first
                    @staticmethod
                    def search(raw: bytes) -> Any:
                        m = rx.search(_decode(raw))
                        return None if m is None else _EncodedMatch(m)
                got = _Decoding
            self._bytes_rx[sig.pattern] = got
        return got

    def _run_residual(self, residual: tuple[tuple[Fault, tuple[Signature, ...]], ...], text: str, num: int,
                      idx: int | None) -> None:
        """The digit-value faults of a settled key, on one of its lines (regex only)."""
        for fault, fsigs in residual:
            for sig in fsigs:
                m = sig.regex.search(text)
                if m is not None:
                    caps = tuple(sorted((k, v) for k, v in m.groupdict().items() if v)) if fault.placeholders \
                        or fault.lookup else ()
                    if idx is None or not (fault.when or fault.unless):
                        self._record(fault, caps, 1, [num])
                    else:
                        self._hit(fault, idx, num, caps)
                    break

    def _near_in_block(self, name: str, i: int, shapes: _Shapes, lines: list[bytes], first_num: int) -> bool:
        """Does a line within the context's window of line i (of this block) hold it? The block's
        holding lines are found once (shapes first, then the patterns), then bisected."""
        held = self._held(name, shapes, lines, first_num)
        if not held:
            return False
        w = self.kb.contexts[name].window
        k = bisect_left(held, i - w)
        return k < len(held) and held[k] <= i + w

    def _shape_may_hold(self, name: str) -> Any:
        """A test on a line's shape that every line holding the near context passes: its
        literals, in shape form, are substrings of the shape (cached per shape)."""
        got = self._shape_tests.get(name)
        if got is None:
            runs = self._near_literals.get(name)
            if runs is None:
                got = lambda shape: True  # noqa: E731 - no literal: every line may hold it
            else:
                forms = [r.translate(SHAPE, DIGITS).strip() for r in runs]
                cache: dict[bytes, bool] = {}

                def got(shape: bytes) -> bool:
                    hit = cache.get(shape)
                    if hit is None:
                        if len(cache) > 65536:
                            cache.clear()
                        hit = cache[shape] = any(f in shape for f in forms)
                    return hit
            self._shape_tests[name] = got
        return got

    def _forget(self, keep_settled: bool = False) -> None:
        """Drop the per-shape caches. A retired marker changes which signatures are candidates,
        not what the fault signatures answer: settled answers may stay."""
        self._seen.clear()
        self._cand.clear()
        self._tokcache.clear()
        if not keep_settled:
            self._settled.clear()
            self._settled_near.clear()
            self._residual.clear()
            self._resid_memo.clear()
            self._key_hold_memo.clear()
            self._memo_bytes = 0
        self._errshapes.clear()
        self._seen_bytes = 0

    def _settle_eagerly(self, pend: set[bytes], keys: list[bytes], shapes: _Shapes, base: int
                        ) -> dict[bytes, int]:
        """Evaluate now the first line of each key new in this block whose shape may settle, so
        that the key's other lines are counted with it rather than each searched. Returns
        key -> index (in the block) of the line evaluated."""
        out: dict[bytes, int] = {}
        limit = len(self._ctx_lines) - self._window  # its window of following lines is here
        for i, k in sorted((keys.index(k), k) for k in pend):  # in line order: a family's first names
            if base + i >= limit:
                continue
            strong, weak = self._cand[shapes[i]]
            if not strong or not all(self._settleable[j] for j in strong):
                continue
            self._evaluate(base + i, strong, k)
            if k in self._settled or not weak:
                out[k] = i  # else the line is looked at again, with its wrap candidates
        return out

    def _count_settled(self, settled: set[bytes], keys: list[bytes], first_num: int,
                       skip: dict[bytes, int] | None = None, counts: Counter[bytes] | None = None) -> None:
        """Lines whose key has a known answer: count them per fault. Line numbers are looked up
        (list.index, C) only where they can still be among a finding's first MAX_LINES_KEPT.
        `skip`: a line per key that was already counted (evaluated eagerly)."""
        if counts is None and len(settled) > 4:
            counts = Counter(keys)
        hits, variants = self._hits, self._variants
        # A family's first names are its findings: keys that may add a name go in line order.
        naming = [k for k in settled if any(caps and (f.id, caps) not in hits and variants.get(f.id, 0) < MAX_NAMES
                                            for f, caps in self._settled[k])]
        if naming:
            naming.sort(key=keys.index)
            order = naming + [k for k in settled if k not in set(naming)]
        else:
            order = list(settled)
        for s in order:
            answer = self._settled[s]
            if not answer:
                continue
            c = counts[s] if counts is not None else keys.count(s)
            done = skip.get(s, -1) if skip else -1
            if done >= 0:
                c -= 1
            if c <= 0:
                continue
            nums: list[int] = []
            # Most keys' findings already keep MAX_LINES_KEPT earlier lines: then no line of
            # this block can be kept (checked at its first line), and none is looked up.
            if not any(self._may_keep(f.id, caps, first_num) for f, caps in answer):
                first = -1
            else:
                first = keys.index(s) if done != keys.index(s) else keys.index(s, done + 1)
            if first >= 0 and any(self._may_keep(f.id, caps, first_num + first) for f, caps in answer):
                pos = -1
                while len(nums) < min(c, MAX_LINES_KEPT):
                    pos = keys.index(s, pos + 1)
                    if pos != done:
                        nums.append(first_num + pos)
            for fault, caps in answer:
                self._record(fault, caps, c, nums)

    def _may_keep(self, fid: str, caps: tuple[tuple[str, str], ...], num: int) -> bool:
        rec = self._hits.get((fid, caps))
        return rec is None or len(rec[1]) < MAX_LINES_KEPT or num < rec[1][-1]

    def _collect_errors(self, errs: set[bytes], shapes: _Shapes, lines: list[bytes], first_num: int) -> None:
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

    def _evaluate(self, idx: int, sig_ids: tuple[int, ...], key: bytes = b"") -> None:
        if not sig_ids:  # a settled key with a near rule or digit values: check those only
            for fault, caps in self._settled.get(key, ()):
                self._hit(fault, idx, self._ctx_nums[idx], caps)
            residual = self._residual.get(key)
            if residual:
                self._run_residual(residual, _decode(self._ctx_lines[idx]), self._ctx_nums[idx], idx)
            return
        lines, nums = self._ctx_lines, self._ctx_nums
        text = _decode(lines[idx])
        joined: tuple[str, list[tuple[int, int]], int, int] | None = None
        own: list[tuple[Fault, tuple[tuple[str, str], ...]]] = []  # matched on the line alone
        matched: list[tuple[Fault, tuple[tuple[str, str], ...], int, bool]] = []
        done: set[str] = set()
        settle = bool(key) and key not in self._settled
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
        if settle and (own or not self._cand.get(key.translate(SHAPE, DIGITS), ((), ()))[1]):
            # A line that is itself a known message is taken as whole, not as the piece of a
            # wrapped one: its key settles even if it holds words of other (wrap) candidates.
            # A line that matched nothing settles only if no wrap could ever complete a match.
            digit_faults = {self.sigs[j].owner for j in sig_ids if self._digit_sig[j]}
            if digit_faults:
                # A digit-value signature whose digit-relaxed form does not match the key cannot
                # match any line of it; the others are answered line by line.
                ktext = _decode(key)
                live = {self.sigs[j].owner for j in sig_ids if self._digit_sig[j]
                        and ((relaxed := digits_relaxed(self.sigs[j].pattern)) is None or relaxed.search(ktext))}
                digit_faults = {f for f in digit_faults if f in live}
            if digit_faults:  # answered per line: the faults with live digit-value signatures
                by_owner: dict[str, list[Signature]] = {}
                for j in sig_ids:
                    if self.sigs[j].owner in digit_faults:
                        by_owner.setdefault(self.sigs[j].owner, []).append(self.sigs[j])
                self._residual[key] = tuple((self.kb.by_id[o], tuple(v)) for o, v in by_owner.items())
                own = [t for t in own if t[0].id not in digit_faults]
            self._settled[key] = tuple(own)
            if digit_faults or any(self._has_near(f.id) for f, _ in own):
                self._settled_near.add(key)

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
        numbers. Findings are per fault, and per distinct name for a family (MAX_NAMES names are
        tracked, later ones count towards the first; _findings keeps the earliest)."""
        key = (fault.id, caps)
        rec = self._hits.get(key)
        if rec is None:
            seen = self._variants.get(fault.id, 0)
            if caps and seen >= MAX_NAMES:
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
        matched = self._earliest_variants(self._merge_bare_variants(matched))
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

    @staticmethod
    def _earliest_variants(recs: list[list[Any]]) -> list[list[Any]]:
        """At most MAX_VARIANTS names per family: those seen first in the log (independent of the
        order lines were looked at); the others' lines count towards the earliest."""
        by_fault: dict[str, list[list[Any]]] = {}
        for rec in recs:
            by_fault.setdefault(rec[3].id, []).append(rec)
        out = []
        for group in by_fault.values():
            if len(group) <= MAX_VARIANTS:
                out.extend(group)
                continue
            group.sort(key=lambda r: r[1][:1] or [1 << 62])
            keep, rest = group[:MAX_VARIANTS], group[MAX_VARIANTS:]
            first = keep[0]
            for r in rest:
                first[0] += r[0]
                first[1] = sorted(set(first[1]) | set(r[1]))[:MAX_LINES_KEPT]
            out.extend(keep)
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
        from envdoctor.knowledge.rank import ranked_fallback  # lazy: BM25, only when no entry matched

        return ranked_fallback(self.kb, self.faults, platform, lines)
