"""Load and validate the fault knowledge base (`faults.yaml`) into frozen objects.

The knowledge base is data: every fault is one entry (id, category, platforms, signatures,
context rules, cause, fix, commands, source, confidence, harmless, examples). This module
checks it (ids unique and dotted, categories from design.md, regexes compile, context names
exist, every signature has a literal word the prefilter can look for) and compiles every
regex once. Errors name file, line and key, like recipe errors.

Prefilter anchors: the matcher never runs the signature regexes on every line. It reduces each
line to its "shape" (ASCII lower case, digits deleted, every other character a space) and asks
whether the shape holds one of the anchor words. `anchors_of()` derives, from the regex itself,
sets of words such that every text the regex matches contains at least one word of the set
as a whole token of its shape. Deriving them from the regex (rather than writing them by hand)
keeps them honest: a signature can never be silently unreachable.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from envdoctor import cache
from envdoctor.errors import RecipeError
from envdoctor.recipe import Node, _plain, catalog
from envdoctor.results import CATEGORIES

if sys.version_info >= (3, 11):  # the regex parser moved into re (the old modules warn)
    import re._constants as _c
    import re._parser as _p
else:  # pragma: no cover - Python 3.8 to 3.10
    import sre_constants as _c
    import sre_parse as _p

KB_DIR = Path(__file__).parent
KB_PATH = KB_DIR / "faults.yaml"
SCHEMA = "envdoctor/faults@1"


def platforms() -> tuple[str, ...]:
    """The platforms knowledge entries may name: the recipe catalog's (shipped recipes plus
    those on $ENVDOCTOR_RECIPE_PATH), so a platform added as data is known here too."""
    return tuple(catalog().platforms())


def __getattr__(name: str) -> Any:
    # PLATFORMS, the older module constant, is the catalog's list, read when asked.
    if name == "PLATFORMS":
        return platforms()
    raise AttributeError(name)

SCOPES = ("anywhere", "near")
MAX_WINDOW = 20
ID_RE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$")

# Anchor words are chosen rarest first. Without a corpus, two lists stand in for frequency:
# NOISE_WORDS fill healthy logs (the platforms' names, paths, progress and pip lines): a line with
# one of them is looked at for nothing. WEAK_WORDS are English function words and generic error
# words: rare in healthy output, but shared by many messages. Everything else counts as rare.
NOISE_WORDS = frozenset("""
already requirement requirements satisfied collecting downloading packages package site lib bin
usr opt home software data path time batch device model models modelzoo cerebras csx groq groqflow
sambaflow graphcore poptorch poplar venv conda env numpy torch step loss rate samples sec epoch
train eval test compile compiling compiled build building graph throughput accuracy config configs
yaml dataset datasets checkpoint cache memory https http com github org www api tmp var log
logs out output input process server host user login node nodes srun slurm pbs qsub pef wsjob
usn cer sn size key name type object default new old main src status state done start finished
completed successfully success result results launch launched workflow namespace operator remote
info debug warning warnings python pip install installed run running job line file files version
set value values true false none use using
""".split())
WEAK_WORDS = frozenset("""
a an and are as at be been but by can could did do does for from has have in into is it its no
not of on or that the this to was were will with error errors fail failed found command directory
module named import such please see more unable cannot
""".split())
STOPWORDS = NOISE_WORDS | WEAK_WORDS
class Signature:
    """One regex (compiled on first use: most runs need only a few), its anchor words (a line
    must hold one to be looked at) and its required words (all present = a strong candidate)."""

    __slots__ = ("owner", "pattern", "anchors", "words", "_regex")

    def __init__(self, owner: str, pattern: str, anchors: frozenset[str], words: frozenset[str] = frozenset(),
                 regex: re.Pattern[str] | None = None) -> None:
        self.owner = owner          # fault id, "context:NAME" or "platform:NAME"
        self.pattern = pattern
        self.anchors = anchors
        self.words = words
        self._regex = regex

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile(self.pattern)
        return self._regex

    def __repr__(self) -> str:
        return f"Signature({self.owner!r}, {self.pattern!r})"


@dataclass(frozen=True)
class Context:
    name: str
    scope: str          # anywhere: somewhere in the input; near: within `window` lines of the hit
    window: int
    patterns: tuple[Signature, ...]
    filenames: tuple[re.Pattern[str], ...]
    description: str = ""


@dataclass(frozen=True)
class Fault:
    id: str
    category: str
    title: str
    platforms: tuple[str, ...]      # () = every platform
    signatures: tuple[Signature, ...]
    cause: str
    fix: str
    commands: tuple[str, ...]
    source: str
    confidence: float
    harmless: bool = False
    when: tuple[str, ...] = ()      # every named context must hold
    unless: tuple[str, ...] = ()    # no named context may hold
    specialises: str = ""           # platform-specific variant of a generic fault
    supersedes: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    line: int | None = None
    lookup: tuple[()] | tuple[str, str] = ()  # (table, named group): the row the log's name selects
    refines: tuple[str, ...] = ()   # on a line both match, only this one counts (the other is generic)
    defaults: tuple[tuple[str, str], ...] = ()  # text for a named group a signature does not capture
    placeholders: frozenset = frozenset()  # {name}s its texts use (empty: plain texts)
    file: str = ""

    @property
    def specific(self) -> bool:
        return bool(self.platforms)

    def applies_to(self, platform: str) -> bool:
        return not self.platforms or platform in self.platforms


@dataclass(frozen=True)
class KnowledgeBase:
    path: str
    faults: tuple[Fault, ...]
    contexts: dict[str, Context]
    platform_markers: dict[str, tuple[Signature, ...]]
    by_id: dict[str, Fault] = field(default_factory=dict)
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def get(self, fault_id: str) -> Fault:
        return self.by_id[fault_id]

    def all_signatures(self) -> list[Signature]:
        sigs = [s for f in self.faults for s in f.signatures]
        sigs += [s for c in self.contexts.values() for s in c.patterns]
        sigs += [s for ms in self.platform_markers.values() for s in ms]
        return sigs


# --------------------------------------------------------------------------------------------
# anchors


def shape_words(text: str) -> list[str]:
    """The words of `text` as the matcher's shape sees them (same rules as matcher.SHAPE)."""
    out, cur = [], []
    for ch in text:
        if ch.isdigit() and ch.isascii():
            continue
        if ch.isascii() and ch.isalnum():
            cur.append(ch.lower())
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


_CLEAN, _DIRTY = "CLEAN", "DIRTY"


def _is_digit_only(item: tuple[Any, Any]) -> bool:
    op, av = item
    if op is _c.LITERAL:
        return chr(av).isdigit() and chr(av).isascii()
    if op is _c.IN:
        for sub_op, sub_av in av:
            if sub_op is _c.LITERAL and chr(sub_av) in "0123456789":
                continue
            if sub_op is _c.RANGE and 48 <= sub_av[0] <= sub_av[1] <= 57:
                continue
            if sub_op is _c.CATEGORY and sub_av is _c.CATEGORY_DIGIT:
                continue
            return False
        return True
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
        return all(_is_digit_only(i) for i in av[2].data)
    return False


def _is_separator(item: tuple[Any, Any]) -> bool:
    """An element that can only match characters the shape turns into spaces."""
    op, av = item
    if op is _c.LITERAL:
        ch = chr(av)
        return not (ch.isascii() and ch.isalnum())
    if op is _c.IN:
        for sub_op, sub_av in av:
            if sub_op is _c.LITERAL and not (chr(sub_av).isascii() and chr(sub_av).isalnum()):
                continue
            if sub_op is _c.CATEGORY and sub_av in (_c.CATEGORY_SPACE,):
                continue
            return False
        return True
    return False


def _flatten(items: Any) -> list[Any]:
    """Sequence elements: ('c', ch) literal, CLEAN/DIRTY boundaries, ('B', alts), ('R', subpattern)."""
    flat: list[Any] = []
    for op, av in items:
        item = (op, av)
        if _is_digit_only(item):
            continue  # digits are deleted from shapes: transparent
        if op is _c.LITERAL:
            flat.append(("c", chr(av)))
        elif op is _c.IN:
            flat.append(_CLEAN if _is_separator(item) else _DIRTY)
        elif op is _c.AT:
            flat.append(_DIRTY if av is _c.AT_NON_BOUNDARY else _CLEAN)
        elif op is _c.SUBPATTERN:
            flat.extend(_flatten(av[-1].data))
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            flat.extend(_flatten(av.data))
        elif op is _c.BRANCH:
            flat.append(("B", [alt.data for alt in av[1]]))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
            lo, hi, sub = av
            sub_items = list(sub.data)
            if all(_is_separator(i) for i in sub_items):
                if lo >= 1:
                    flat.append(_CLEAN)
                # else: empty or separators; either way the neighbours decide the boundary
            elif lo >= 1 and hi == 1:
                flat.extend(_flatten(sub_items))
            elif lo >= 1:
                flat.extend([_DIRTY, ("R", sub_items), _DIRTY])
            else:
                flat.append(_DIRTY)
        else:  # ANY, NOT_LITERAL, lookarounds, group references: could glue or split words
            flat.append(_DIRTY)
    return flat


def _is_sepchar(ch: str) -> bool:
    return not (ch.isascii() and ch.isalnum())


def _candidate_sets(items: Any, left_clean: bool, right_clean: bool) -> list[frozenset[str]]:
    """Sets of words such that every match of `items` contains a word of the set as a token."""
    flat = _flatten(items)
    sets: list[frozenset[str]] = []
    run: list[str] = []
    run_left = left_clean

    def kind_before(k: int) -> bool:
        if k < 0:
            return left_clean
        el = flat[k]
        return el == _CLEAN or (isinstance(el, tuple) and el[0] == "c" and _is_sepchar(el[1]))

    def kind_after(k: int) -> bool:
        if k >= len(flat):
            return right_clean
        el = flat[k]
        return el == _CLEAN or (isinstance(el, tuple) and el[0] == "c" and _is_sepchar(el[1]))

    def flush(right: bool) -> None:
        nonlocal run
        text = "".join(run)
        run = []
        if not text:
            return
        # Word boundaries inside the run are always clean; its two ends depend on neighbours.
        parts = re.split(r"([^A-Za-z0-9]+)", "".join(ch for ch in text if not (ch.isdigit() and ch.isascii())))
        words = [(i, w) for i, w in enumerate(parts) if w and i % 2 == 0]
        for i, w in words:
            first, last = i == 0, i == len(parts) - 1
            if (first and not run_left) or (last and not right):
                continue
            sets.append(frozenset({w.lower()}))

    for k, el in enumerate(flat):
        if isinstance(el, tuple) and el[0] == "c":
            run.append(el[1])
            continue
        flush(el == _CLEAN)
        run_left = el == _CLEAN
        if isinstance(el, tuple) and el[0] == "B":
            left, right = kind_before(k - 1), kind_after(k + 1)
            union: set[str] = set()
            for alt in el[1]:
                best = _best(_candidate_sets(alt, left, right), 1)
                if not best:
                    union = set()
                    break
                union |= best
            if union:
                sets.append(frozenset(union))
            run_left = False
        elif isinstance(el, tuple) and el[0] == "R":
            best = _best(_candidate_sets(el[1], False, False), 1)
            if best:
                sets.append(frozenset(best))
            run_left = False
    flush(right_clean)
    return sets


def _word_score(word: str) -> tuple[int, int]:
    if word in NOISE_WORDS or len(word) < 3:
        return (0, min(len(word), 12))
    return (1 if word in WEAK_WORDS else 2, min(len(word), 12))


def _set_score(words: frozenset[str]) -> tuple[int, int, int]:
    worst = min(_word_score(w) for w in words)
    return (worst[0], worst[1], -len(words))


def _best(sets: list[frozenset[str]], n: int) -> set[str]:
    """Union of the `n` best candidate sets (rarest words first): still a sufficient set."""
    ranked = sorted(set(sets), key=_set_score, reverse=True)
    out: set[str] = set()
    for i, s in enumerate(ranked[:n]):
        if i and _set_score(s)[0] < 2:
            break  # a common or very short word would only add false candidates
        out |= s
    return out


@lru_cache(maxsize=None)
def required_words(pattern: str) -> frozenset[str]:
    """Every whole word any match of `pattern` contains (as a token of the line's shape)."""
    parsed = _p.parse(pattern)
    return frozenset(w for s in _candidate_sets(parsed.data, False, False) if len(s) == 1 for w in s)


def _digit_values(items: Any) -> bool:
    for op, av in items:
        if op is _c.LITERAL and chr(av).isdigit():
            return True
        if op is _c.IN:
            for sub_op, sub_av in av:
                if sub_op is _c.LITERAL and chr(sub_av).isdigit():
                    return True
                if sub_op is _c.RANGE and (48 <= sub_av[0] <= 57 or 48 <= sub_av[1] <= 57):
                    return True
        elif op is _c.SUBPATTERN:
            if _digit_values(av[-1].data):
                return True
        elif op is _c.BRANCH:
            if any(_digit_values(alt.data) for alt in av[1]):
                return True
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
            if _digit_values(av[2].data):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _digit_values(av[1].data):
                return True
        elif op is getattr(_c, "ATOMIC_GROUP", None):  # noqa: SIM102 (same shape as each opcode above)
            if _digit_values(av.data):
                return True
    return False


@lru_cache(maxsize=None)
def digits_matter(pattern: str) -> bool:
    """Can the answer of `pattern` change when one digit of a line is replaced by another? Only
    if it names digit values (a literal 5, [0-4]); \\d, \\w and the like treat all digits alike."""
    return _digit_values(_p.parse(pattern).data)


@lru_cache(maxsize=None)
def digits_relaxed(pattern: str) -> re.Pattern[str] | None:
    """`pattern` with every digit value generalised to \\d (a literal 5, a class [0-4]): it
    matches whenever the original does, and its answer never depends on which digits a line has.
    None if the rewrite does not compile (then nothing may be concluded from it)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            out.append(pattern[i:i + 2])
            i += 2
        elif ch == "{":
            j = pattern.find("}", i)
            j = n - 1 if j < 0 else j
            out.append(pattern[i:j + 1])  # a quantifier's counts are not digit values
            i = j + 1
        elif ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            body = pattern[i:j + 1]
            if any(c.isdigit() for c in re.sub(r"\\.", "", body)):
                body = r"[\s\S]" if body.startswith("[^") else "[" + re.sub(r"\d-\d|\d", "", body[1:-1]) + r"\d]"
            out.append(body)
            i = j + 1
        elif ch.isdigit():
            out.append(r"\d")
            i += 1
        else:
            out.append(ch)
            i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None


@lru_cache(maxsize=None)
def literal_prefix(pattern: str) -> str:
    """The literal text every match of `pattern` starts with (after zero-width ^ or \\b), case as
    written; "" if there is none or case is ignored. A substring search for it (C, fast) finds
    every place a match may start, where the regex itself would try each position."""
    if re.compile(pattern).flags & re.IGNORECASE:
        return ""
    out: list[str] = []
    for op, av in _p.parse(pattern).data:
        if op is _c.LITERAL:
            out.append(chr(cast(int, av)))
            continue
        if op is _c.AT and not out:
            continue
        break
    return "".join(out)


def literal_run(pattern: str) -> str:
    """The longest run of literal characters every match of `pattern` contains (lower-cased;
    "" if none of 3 or more): a substring test that can rule a line out before the regex runs."""
    best, run = "", []
    for op, av in _p.parse(pattern).data:
        if op is _c.LITERAL:
            run.append(chr(cast(int, av)))  # a LITERAL's argument is its code point
            continue
        if op is _c.AT:
            continue  # \b, ^, $ match no character
        if len(run) > len(best):
            best = "".join(run)
        run = []
    if len(run) > len(best):
        best = "".join(run)
    return best.lower() if len(best) >= 3 else ""


@lru_cache(maxsize=None)
def anchors_of(pattern: str) -> frozenset[str]:
    """Anchor words for a regex: two sufficient sets where possible, so that a word cut by a
    hard line wrap still leaves the other to find the line."""
    parsed = _p.parse(pattern)
    return frozenset(_best(_candidate_sets(parsed.data, False, False), 2))


# --------------------------------------------------------------------------------------------
# loading


def _compile(n: Node, key: str, pattern: str, owner: str, need_anchor: bool = True) -> Signature:
    seeded = _SEEDED.get(pattern)
    if seeded is not None:  # validated before (cache of an identical file): compile lazily
        return Signature(owner, pattern, seeded[0], seeded[1])
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise n.error(key, f"regex {pattern!r} does not compile: {exc}") from None
    anchors = anchors_of(pattern)
    if not anchors and need_anchor:
        raise n.error(key, f"regex {pattern!r} has no required literal word for the prefilter "
                           "(add a fixed word bounded by spaces, punctuation, ^, $ or \\b)")
    return Signature(owner, pattern, anchors, required_words(pattern), regex)


def _load_context(name: str, n: Node) -> Context:
    scope = n.str("scope", "anywhere", choices=SCOPES)
    window = int(n.number("window", 5) or 5)
    if not 1 <= window <= MAX_WINDOW:
        raise n.error("window", f"must be between 1 and {MAX_WINDOW}")
    # Near contexts are searched only in the few lines around a hit, never prefiltered.
    pats = tuple(_compile(n, "patterns", p, f"context:{name}", need_anchor=scope == "anywhere")
                 for p in n.strs("patterns"))
    files: list[re.Pattern[str]] = []
    for p in n.strs("filenames"):
        try:
            files.append(re.compile(p))
        except re.error as exc:
            raise n.error("filenames", f"regex {p!r} does not compile: {exc}") from None
    if not pats and not files:
        raise n.error("patterns", "a context needs patterns or filenames")
    if scope == "near" and files:
        raise n.error("filenames", "filenames only make sense for scope: anywhere")
    desc = n.str("description")
    n.done()
    return Context(name, scope, window, pats, tuple(files), desc)


PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
TABLE_DEFAULT = "*"
MAX_CAPTURE = 80


def _load_table(name: str, n: Node) -> dict[str, dict[str, Any]]:
    """name -> {key -> row}: what the log's concrete name (a command, a module) maps to. Row
    values are strings or lists of strings; the key "*" is the row for every other name."""
    rows: dict[str, dict[str, Any]] = {}
    for key in list(n.data):
        row = n.raw(str(key))
        if not isinstance(row, dict) or not row:
            raise n.error(str(key), "a table row is a mapping of field -> text (or list of texts)")
        for field_name, value in row.items():
            ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            if not ok or not re.match(r"^[a-z][a-z0-9_]*$", field_name):
                raise n.error(str(key), f"field {field_name!r}: lower-case name and text (or list of texts)")
        rows[str(key).lower()] = row
    n.done()
    if TABLE_DEFAULT not in rows:
        raise n.error(name, f'table {name!r} needs a "{TABLE_DEFAULT}" row for names it does not list')
    fields = set(rows[TABLE_DEFAULT])
    for key, row in rows.items():
        if set(row) != fields:
            raise n.error(key, f"every row of table {name!r} has the fields {', '.join(sorted(fields))}")
    return rows


def _placeholders(*texts: str) -> set[str]:
    return {m.group(1) for t in texts for m in PLACEHOLDER.finditer(t)}


def _check_template(n: Node, fid: str, sigs: tuple[Signature, ...], texts: tuple[str, ...],
                    lookup: tuple[()] | tuple[str, str], tables: dict[str, dict[str, dict[str, Any]]],
                    defaults: dict[str, str]) -> frozenset:
    """The {name}s a fault's texts use must be a named group of every signature (or have a
    default), NAME_top for such a group (its first dotted part), or a field of the lookup table.
    A fault whose signatures name no group keeps its texts verbatim."""
    groups = [set(sig.regex.groupindex) for sig in sigs]
    common = (set.intersection(*groups) if groups else set()) | set(defaults)
    for name in defaults:
        if not any(name in g for g in groups):
            raise n.error("defaults", f"{name!r} is not a named group of any signature of {fid}")
    fields: set[str] = set()
    if lookup:
        table, key = lookup
        if table not in tables:
            raise n.error("lookup", f"unknown table {table!r}; defined: {', '.join(sorted(tables)) or 'none'}")
        if key not in common:
            raise n.error("lookup", f"{key!r} is not a named group of every signature of {fid}")
        fields = set(tables[table][TABLE_DEFAULT])
    if not common and not lookup:
        return frozenset()
    used = _placeholders(*texts)
    common |= {g + "_top" for g in common}
    unknown = used - common - fields
    if unknown:
        raise n.error("cause", f"placeholder(s) {', '.join('{' + u + '}' for u in sorted(unknown))} are neither "
                               "named groups of every signature nor fields of the lookup table")
    if lookup:  # a row's texts may name the captured groups too
        for key, row in tables[lookup[0]].items():
            for value in row.values():
                bad = _placeholders(*([value] if isinstance(value, str) else value)) - common
                if bad:
                    raise n.error("lookup", f"table {lookup[0]!r} row {key!r} uses {', '.join(sorted(bad))}, "
                                            f"not a named group of {fid}")
    return frozenset(used)


def _load_fault(n: Node, contexts: dict[str, Context], tables: dict[str, dict[str, dict[str, Any]]]) -> Fault:
    fid = n.str("id", required=True)
    if not ID_RE.match(fid):
        raise n.error("id", f"{fid!r} is not a stable lower-case dotted id like 'groq.conda-not-found'")
    category = n.str("category", required=True, choices=CATEGORIES)
    named = n.strs("platforms")
    if named == ("all",):
        named = ()
    known = platforms()
    for p in named:
        if p not in known:
            raise n.error("platforms", f"unknown platform {p!r}; use 'all' or {', '.join(known)}")
    sig_texts = n.strs("signatures")
    if not sig_texts:
        raise n.error("signatures", "at least one signature is required")
    sigs = tuple(_compile(n, "signatures", s, fid) for s in sig_texts)
    when, unless = n.strs("when"), n.strs("unless")
    for key, names in (("when", when), ("unless", unless)):
        for name in names:
            if name not in contexts:
                raise n.error(key, f"unknown context {name!r}; defined: {', '.join(sorted(contexts))}")
    confidence = n.number("confidence", 0.7)
    assert confidence is not None
    if not 0 < confidence <= 1:
        raise n.error("confidence", "must be in (0, 1]")
    examples = n.strs("examples")
    if not examples:
        raise n.error("examples", "every fault needs at least one example log text it matches")
    lk = n.child("lookup")
    lookup: tuple[()] | tuple[str, str] = ()
    if lk is not None:
        lookup = (lk.str("table", required=True), lk.str("key", required=True))
        lk.done()
    title, cause, fix = n.str("title", required=True).strip(), n.str("cause", required=True).strip(), \
        n.str("fix", required=True).strip()
    commands = tuple(c.strip() for c in n.strs("commands"))
    dn = n.child("defaults")
    defaults: dict[str, str] = {}
    if dn is not None:
        for key in list(dn.data):
            defaults[str(key)] = dn.str(str(key), required=True)
        dn.done()
    placeholders = _check_template(n, fid, sigs, (title, cause, fix) + commands, lookup, tables, defaults)
    fault = Fault(
        id=fid, category=category, title=title, platforms=named,
        signatures=sigs, cause=cause, fix=fix,
        commands=commands, source=n.str("source", required=True).strip(),
        confidence=float(confidence), harmless=n.bool("harmless"), when=when, unless=unless,
        specialises=n.str("specialises"), supersedes=n.strs("supersedes"), examples=examples,
        counter_examples=n.strs("counter_examples"), line=n.line, lookup=lookup, placeholders=placeholders,
        file=n.path, refines=n.strs("refines"), defaults=tuple(sorted(defaults.items())),
    )
    if fault.specialises and not fault.platforms:
        raise n.error("specialises", "only a platform-specific fault can specialise a generic one")
    n.done()
    return fault


# --------------------------------------------------------------------------------------------
# templates: a finding says the concrete name the log gave


def _clean_capture(value: str | None) -> str:
    """A name taken from the log, made safe to print: one line, quotes and backticks stripped,
    bounded length."""
    text = (value or "").strip().strip("'\"`")
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:MAX_CAPTURE]


def lookup_row(kb: KnowledgeBase, table: str, name: str) -> dict[str, Any]:
    """The table row for `name`: the exact (lower-cased) name, then its dotted parents
    (cerebras.pytorch.nn -> cerebras.pytorch -> cerebras), then the "*" row."""
    rows = kb.tables[table]
    key = name.lower()
    while key:
        if key in rows:
            return rows[key]
        key = key.rpartition(".")[0]
    return rows[TABLE_DEFAULT]


def _fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render_texts(kb: KnowledgeBase, fault: Fault, captures: tuple[tuple[str, str], ...]
                 ) -> tuple[str, str, str, tuple[str, ...]]:
    """(title, cause, fix, commands) of `fault` with the names the log gave filled in."""
    if not fault.placeholders and not fault.lookup:
        return fault.title, fault.cause, fault.fix, fault.commands
    values = dict(fault.defaults)
    values.update((k, _clean_capture(v)) for k, v in captures if _clean_capture(v))
    for k in list(values):
        values[k + "_top"] = values[k].split(".")[0]
    lists: dict[str, list[str]] = {}
    if fault.lookup:
        table, key = fault.lookup
        for name, value in lookup_row(kb, table, values.get(key, "")).items():
            if isinstance(value, list):
                lists[name] = [_fill(v, values) for v in value]
                values[name] = "; ".join(lists[name])
            else:
                values[name] = _fill(value, values).strip()
    commands: list[str] = []
    for cmd in fault.commands:
        m = PLACEHOLDER.fullmatch(cmd)
        if m and m.group(1) in lists:
            commands.extend(lists[m.group(1)])  # a row's list of commands, one per line
        elif cmd:
            filled = _fill(cmd, values)
            if filled.strip():
                commands.append(filled)
    return _fill(fault.title, values), _fill(fault.cause, values), _fill(fault.fix, values), tuple(commands)


# --------------------------------------------------------------------------------------------
# files and cache


def _parse(text: str, path: str) -> Any:
    from ruamel.yaml import YAML  # lazy: ruamel.yaml, ~30 modules, only when the knowledge base is not cached
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RecipeError(path, line, "(yaml)", f"not valid YAML: {exc.problem}") from None
    except YAMLError as exc:
        raise RecipeError(path, None, "(yaml)", f"not valid YAML: {exc}") from None


# Bump when the anchor algorithm or the cached layout changes.
CACHE_VERSION = "4"


def kb_files(directory: str | Path | None = None) -> list[Path]:
    """Every knowledge-base file: *.yaml in the package directory, in name order (faults.yaml and
    any file beside it, such as a service's own entries)."""
    return sorted(Path(directory or KB_DIR).glob("*.yaml"))


def _cache_material(files: list[tuple[Path, str]]) -> tuple[str, ...]:
    # The anchors depend on this module's rules too, so its code is part of the key; so are the
    # names and texts of all files (a new, removed or edited file is a miss).
    material: list[Any] = [CACHE_VERSION, Path(__file__).read_bytes()]
    for path, text in files:
        material += [path.name, text]
    return tuple(material)


def _read_cache(files: list[tuple[Path, str]]) -> Any:
    """The parsed data of files that validated before (same contents, same code): parsing YAML
    costs over a second, a cached copy a millisecond."""
    cached = cache.read("faults", *_cache_material(files))
    try:
        for pattern, (anchors, words) in cached["anchors"].items():
            _SEEDED[pattern] = (frozenset(anchors), frozenset(words))
        data = cached["data"]
        return data if isinstance(data, list) and len(data) == len(files) else None
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def _write_cache(files: list[tuple[Path, str]], datas: list[Any], kb: KnowledgeBase) -> None:
    anchors = {s.pattern: [sorted(s.anchors), sorted(s.words)] for s in kb.all_signatures()}
    cache.write("faults", {"data": [_plain(d) for d in datas], "anchors": anchors}, *_cache_material(files))


_SEEDED: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def load(path: str | Path | list[str | Path] | None = None, use_cache: bool = True) -> KnowledgeBase:
    """Load and validate a knowledge base: one file, a list of files, or (default) every
    *.yaml file of the package directory and the recipes' `knowledge:` files, merged (ids,
    contexts and tables unique across files)."""
    if path is None:
        paths = kb_files() + [Path(p) for p in catalog().knowledge_files()]  # a recipe's `knowledge:` files
    elif isinstance(path, (list, tuple)):
        paths = [Path(p) for p in path]
    else:
        paths = kb_files(path) if Path(path).is_dir() else [Path(path)]
    if not paths:
        raise RecipeError(str(path or KB_DIR), None, "(file)", "no knowledge-base file (*.yaml) found")
    files: list[tuple[Path, str]] = []
    for p in paths:
        try:
            files.append((p, p.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise RecipeError(str(p), None, "(file)", f"cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    datas = _read_cache(files) if use_cache else None
    if datas is not None:
        try:
            return _build_kb(list(zip(datas, [p for p, _ in files])))
        except RecipeError:
            pass  # re-parse for errors with line numbers
    datas = [_parse(text, str(p)) for p, text in files]
    kb = _build_kb(list(zip(datas, [p for p, _ in files])))
    if use_cache:
        _write_cache(files, datas, kb)
    return kb


def _build_kb(parts: list[tuple[Any, Path]]) -> KnowledgeBase:
    tops: list[Node] = []
    for data, path in parts:
        if not hasattr(data, "get"):
            raise RecipeError(str(path), None, "(top)", "expected a mapping with schema, contexts, platform_markers, faults")
        top = Node(data, str(path), "", 1)
        schema = top.str("schema", required=True)
        if schema != SCHEMA:
            raise top.error("schema", f"expected {SCHEMA!r}, got {schema!r}")
        tops.append(top)
    # Contexts, markers and tables first, from every file: a fault may use another file's.
    contexts: dict[str, Context] = {}
    markers: dict[str, tuple[Signature, ...]] = {}
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for top in tops:
        for name, cn in top.named("contexts"):
            if name in contexts:
                raise cn.error(name, f"context {name!r} is defined in another knowledge-base file too")
            contexts[name] = _load_context(name, cn)
        mk = top.child("platform_markers")
        if mk is not None:
            known = platforms()
            for name in list(mk.data):
                if name not in known:
                    raise mk.error(str(name), f"unknown platform; use one of {', '.join(known)}")
                found = tuple(_compile(mk, str(name), p, f"platform:{name}") for p in mk.strs(str(name)))
                markers[str(name)] = markers.get(str(name), ()) + found
            mk.done()
        tb = top.child("tables")
        if tb is not None:
            for name in list(tb.data):
                if str(name) in tables:
                    raise tb.error(str(name), f"table {name!r} is defined in another knowledge-base file too")
                node = tb.child(str(name))
                assert node is not None
                tables[str(name)] = _load_table(str(name), node)
            tb.done()
    faults: list[Fault] = []
    by_id: dict[str, Fault] = {}
    for top in tops:
        for item in top.items("faults"):
            fault = _load_fault(item, contexts, tables)
            if fault.id in by_id:
                first = by_id[fault.id]
                raise item.error("id", f"duplicate fault id {fault.id!r} (first at {Path(first.file).name} line {first.line})")
            by_id[fault.id] = fault
            faults.append(fault)
        top.done()
    for fault in faults:
        for ref in (fault.specialises, *fault.supersedes, *fault.refines):
            if ref and ref not in by_id:
                raise RecipeError(fault.file, fault.line, f"{fault.id}.supersedes", f"unknown fault id {ref!r}")
    paths = tuple(str(p) for _, p in parts)
    return KnowledgeBase(paths[0] if len(paths) == 1 else str(Path(paths[0]).parent), tuple(faults), contexts,
                         markers, by_id, tables, paths)


_DEFAULT: KnowledgeBase | None = None


def default() -> KnowledgeBase:
    """The packaged knowledge base (every *.yaml beside this module) plus the files recipes name
    in `knowledge:`, loaded and compiled once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT
