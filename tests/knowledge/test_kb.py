"""The fault knowledge base as data: it loads, validates, and every entry recognises its examples."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from envdoctor.errors import RecipeError
from envdoctor.knowledge import explain_text, kb
from envdoctor.results import CATEGORIES

KB = kb.load(use_cache=False)  # full validation: every regex compiled, anchors derived
FAULTS = {f.id: f for f in KB.faults}


def test_size_and_unique_ids() -> None:
    ids = [f.id for f in KB.faults]
    assert len(ids) >= 80
    assert len(ids) == len(set(ids))
    for fid in ids:
        assert re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", fid), fid


@pytest.mark.parametrize("fault", KB.faults, ids=lambda f: f.id)
def test_entry_is_complete(fault: kb.Fault) -> None:
    assert fault.category in CATEGORIES
    assert fault.title and fault.cause and fault.fix and fault.source
    assert 0 < fault.confidence <= 1
    assert fault.examples
    for sig in fault.signatures:
        re.compile(sig.pattern)
        assert sig.anchors, sig.pattern
    for p in fault.platforms:
        assert p in kb.PLATFORMS
    if fault.specialises:
        generic = FAULTS[fault.specialises]
        assert not generic.platforms, f"{fault.id} specialises a platform-specific fault"
    for ref in fault.supersedes:
        assert ref in FAULTS and ref != fault.id


@pytest.mark.parametrize("fault", KB.faults, ids=lambda f: f.id)
def test_every_example_is_recognised(fault: kb.Fault) -> None:
    platform = fault.platforms[0] if fault.platforms else None
    for example in fault.examples:
        found = [f.fault for f in explain_text(example.splitlines(), platform=platform, kb=KB)]
        assert fault.id in found, f"{fault.id} does not recognise its example {example!r}: {found}"


@pytest.mark.parametrize("fault", [f for f in KB.faults if f.counter_examples], ids=lambda f: f.id)
def test_counter_examples_are_not_recognised(fault: kb.Fault) -> None:
    for text in fault.counter_examples:
        # The ranked fallback may still offer it (below 0.5, marked ranked): no signature may.
        found = [f.fault for f in explain_text(text.splitlines(), kb=KB) if not f.ranked]
        assert fault.id not in found


def test_every_signature_reaches_its_example_through_the_prefilter() -> None:
    """The anchors are derived from the regex; an example matched by the regex must contain them."""
    from envdoctor.knowledge.matcher import DIGITS, SHAPE

    for fault in KB.faults:
        for example in fault.examples:
            shape_words = set(example.encode().translate(SHAPE, DIGITS).split())
            for sig in fault.signatures:
                joined = " ".join(line.strip() for line in example.splitlines())
                if sig.regex.search(joined):
                    assert {w.encode() for w in sig.anchors} & shape_words, (fault.id, sig.pattern)


def test_known_harmless_messages_are_marked() -> None:
    harmless = {f.id for f in KB.faults if f.harmless}
    for fid in ("groq.numpy-product-harmless", "graphcore.type-coerced-harmless",
                "graphcore.extension-rebuild-harmless", "graphcore.horovod-mpi-harmless",
                "slurm.state-file-harmless", "graphcore.gc-monitor-segfault", "cerebras.run-py-deprecated"):
        assert fid in harmless


def test_every_platform_and_category_is_covered() -> None:
    for platform in kb.PLATFORMS:
        assert sum(1 for f in KB.faults if platform in f.platforms) >= 8, platform
    used = {f.category for f in KB.faults}
    assert {"conda", "venv", "packages", "network", "disk", "repo", "scheduler", "sdk", "hardware", "config"} <= used


@pytest.mark.parametrize("pattern, allowed", [
    # anchors are some of the whole words every match contains (rarest preferred)
    (r"\bconda: command not found\b", {"conda", "command", "not"}),
    (r"Failed to acquire \d+ IPU\(s\)", {"acquire", "ipu", "to"}),
    (r"\bversion `GLIBCXX_[\d.]+' not found\b", {"glibcxx", "version", "not", "found"}),
    (r"^\s*Killed\s*$", {"killed"}),
    (r"\bfoo\d+bar\b", {"foobar"}),  # digits vanish from shapes: the word is 'foobar'
    (r"\b(?:sbatch|srun): command not found\b", {"sbatch", "srun", "command", "not"}),
    (r"foo\d+bar", set()),          # open edges: 'foo...' could end a longer word: nothing usable
    (r"\bpoplar", set()),
])
def test_anchor_derivation(pattern: str, allowed: set[str]) -> None:
    got = kb.anchors_of(pattern)
    assert got <= allowed, (pattern, got)
    assert bool(got) == bool(allowed)


def test_anchors_prefer_rare_words() -> None:
    assert kb.anchors_of(r"\bCould not find conda environment: \S+") == {"environment"} or \
        "could" not in kb.anchors_of(r"\bCould not find conda environment: \S+")
    assert kb.anchors_of(r"\bDisk quota exceeded\b") == {"quota", "exceeded"}


def _write_kb(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "faults.yaml"
    path.write_text("schema: envdoctor/faults@1\ncontexts: {}\nfaults:\n" + body, encoding="utf-8")
    return path


ENTRY = """  - id: {id}
    category: {category}
    title: t
    signatures: ['{sig}']
    cause: c
    fix: f
    source: s
    examples: ['x']
"""


@pytest.mark.parametrize("fields, message", [
    (dict(id="Bad Id", category="conda", sig=r"\\bfoo bar\\b"), "stable lower-case"),
    (dict(id="a.b", category="nonsense", sig=r"\\bfoo bar\\b"), "not one of"),
    (dict(id="a.b", category="conda", sig=r"\\bfoo (bar"), "does not compile"),
    (dict(id="a.b", category="conda", sig=r".*"), "no required literal word"),
])
def test_invalid_entries_are_refused_with_file_and_line(tmp_path: Path, fields: dict, message: str) -> None:
    path = _write_kb(tmp_path, ENTRY.format(**fields).replace("\\\\", "\\"))
    with pytest.raises(RecipeError) as err:
        kb.load(path, use_cache=False)
    assert message in str(err.value)
    assert str(path) in str(err.value) and re.search(r":\d+:", str(err.value))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = ENTRY.format(id="a.b", category="conda", sig=r"\bfoo bar\b")
    with pytest.raises(RecipeError, match="duplicate fault id"):
        kb.load(_write_kb(tmp_path, entry + entry), use_cache=False)


def test_cache_gives_the_same_knowledge_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    kb._SEEDED.clear()
    first = kb.load()
    assert list(tmp_path.glob("envdoctor/faults-*.json"))
    second = kb.load()
    assert [(s.owner, s.pattern, s.anchors, s.words) for s in first.all_signatures()] == \
           [(s.owner, s.pattern, s.anchors, s.words) for s in second.all_signatures()]
