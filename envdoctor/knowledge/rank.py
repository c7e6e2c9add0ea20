"""The ranked fallback: when no entry's signature matches, which entries do the log's error
lines most resemble?

Okapi BM25 (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond",
2009; the variant of Lucene and rank_bm25's BM25Okapi: idf = ln(1 + (N - df + 0.5)/(df + 0.5)),
k1 = 1.2, b = 0.75). The documents are the entries (title, cause, examples and the literal words
of their signatures); each error-looking line of the log is a query, and an entry's score is its
best score over the lines. Written here rather than taken from rank_bm25: that package needs numpy
(tens of megabytes, ~100 ms to import on every `explain`), and 150 short documents need no arrays.

Findings from here say so: their confidence is below 0.5 (the best 0.45, the others in
proportion to their score), and known-harmless entries are never candidates.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable

from envdoctor.knowledge.kb import Fault, KnowledgeBase, render_texts
from envdoctor.knowledge.matcher import Finding

K1 = 1.2
B = 0.75
TOP = 3
MAX_CONFIDENCE = 0.45
MIN_CONFIDENCE = 0.2
MIN_SCORE = 4.0         # below this, a best match is a coincidence of common words
MIN_SHARED = 2          # a line and an entry share at least this many distinct terms
RELATIVE = 0.5          # others are offered only within this fraction of the best score

_WORD = re.compile(r"[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*")
_REGEX_ESCAPE = re.compile(r"\\[AbBdDsSwWZ]|\(\?[:!=<iP][^)]*?>?|[\[\](){}|*+?^$\\]")
STOPWORDS = frozenset("""
a an and are as at be been but by can could did do does for from has have i in into is it its of
on or that the this to was were will with you your we our not no if then than so such there their
they them he she his her when which who what where why how all any some more most other only own
same too very just also may might must shall should would up out over under again further once
here line file files see use used using please try run running ran
""".split())


def terms(text: str) -> list[str]:
    """Lower-case words (dotted and dashed names kept whole, and their parts too); numbers,
    stop words and one-letter words dropped."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        parts = [w] + ([p for p in re.split(r"[.-]", w) if p] if ("." in w or "-" in w) else [])
        for p in parts:
            p = p.strip("_")
            if len(p) < 2 or p in STOPWORDS or p.isdigit():
                continue
            if len(p) > 4 and p.endswith("s") and not p.endswith("ss"):
                p = p[:-1]  # plural: 'conflicts' ~ 'conflict'
            out.append(p)
    return out


def _signature_words(pattern: str) -> str:
    return _REGEX_ESCAPE.sub(" ", pattern)


def document(fault: Fault) -> list[str]:
    text = " ".join([fault.title, fault.cause, " ".join(fault.examples),
                     " ".join(_signature_words(s.pattern) for s in fault.signatures)])
    return terms(re.sub(r"\{[a-z_]+\}", " ", text))


class BM25:
    def __init__(self, docs: list[list[str]]) -> None:
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avgdl = (sum(self.len) / len(docs)) if docs else 1.0
        df: Counter[str] = Counter()
        for tf in self.tf:
            df.update(tf.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def scores(self, query: Iterable[str]) -> list[tuple[float, int]]:
        """(score, number of distinct query terms the document has) for every document."""
        q = [t for t in set(query) if t in self.idf]
        out = []
        for tf, dl in zip(self.tf, self.len):
            score, shared = 0.0, 0
            norm = K1 * (1 - B + B * dl / self.avgdl)
            for t in q:
                f = tf.get(t)
                if f:
                    shared += 1
                    score += self.idf[t] * f * (K1 + 1) / (f + norm)
            out.append((score, shared))
        return out


_INDEXES: dict[tuple[int, tuple[str, ...]], tuple[KnowledgeBase, BM25]] = {}


def _index(kb: KnowledgeBase, fault_ids: tuple[str, ...]) -> BM25:
    """One index per knowledge base and candidate set (the kb is kept so its id stays its own)."""
    key = (id(kb), fault_ids)
    got = _INDEXES.get(key)
    if got is None or got[0] is not kb:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        got = _INDEXES[key] = (kb, BM25([document(kb.by_id[f]) for f in fault_ids]))
    return got[1]


def candidates(faults: list[Fault], platform: str | None) -> list[Fault]:
    """Entries the fallback may offer: never a harmless one; a platform-specific refinement only
    when the platform is known to be its."""
    out = []
    for f in faults:
        if f.harmless:
            continue
        if f.specialises and (platform is None or not f.applies_to(platform)):
            continue
        out.append(f)
    return out


def rank(kb: KnowledgeBase, faults: list[Fault], platform: str | None,
         lines: list[tuple[int, str]]) -> list[tuple[Fault, float, int]]:
    """(entry, best score, line number of its best line), best first, at most TOP."""
    pool = candidates(faults, platform)
    if not pool or not lines:
        return []
    index = _index(kb, tuple(f.id for f in pool))
    best: dict[int, tuple[float, int]] = {}
    for num, text in lines:
        for i, (score, shared) in enumerate(index.scores(terms(text))):
            if shared >= MIN_SHARED and score > best.get(i, (0.0, 0))[0]:
                best[i] = (score, num)
    ranked = sorted(((s, num, i) for i, (s, num) in best.items()), key=lambda t: (-t[0], t[2]))
    if not ranked or ranked[0][0] < MIN_SCORE:
        return []
    top = ranked[0][0]
    return [(pool[i], s, num) for s, num, i in ranked[:TOP] if s >= top * RELATIVE]


def ranked_fallback(kb: KnowledgeBase, faults: list[Fault], platform: str | None,
                    lines: list[tuple[int, str]]) -> list[Finding]:
    ranked = rank(kb, faults, platform, lines)
    if not ranked:
        return []
    top = ranked[0][1]
    out = []
    for fault, score, num in ranked:
        confidence = round(max(MIN_CONFIDENCE, MAX_CONFIDENCE * score / top), 2)
        caps = tuple((g, f"<{g}>") for g in sorted(_groups(fault)))
        title, cause, fix, commands = render_texts(kb, fault, caps)
        out.append(Finding(fault.id, fault.category, title, cause, fix, commands, (num,), confidence, False, 1,
                           fault.source, ranked=True))
    return out


def _groups(fault: Fault) -> set[str]:
    names: set[str] = set()
    for sig in fault.signatures:
        names.update(sig.regex.groupindex)
    return names
