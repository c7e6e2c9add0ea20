"""The corpus of real error texts: its shape (size, sources, fields, the held-out draw), never a
score (benchmarks/explain_accuracy.py reports the scores)."""
from __future__ import annotations

import json
import random
from pathlib import Path
from urllib.parse import urlparse

from envdoctor.knowledge.kb import default

CORPUS = Path(__file__).parent / "corpus" / "errors.jsonl"
FIELDS = {"id", "split", "fault", "accept", "source", "remedy", "text"}


def rows() -> list[dict]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_at_least_150_texts_with_all_fields() -> None:
    items = rows()
    assert len(items) >= 150
    for r in items:
        assert set(r) == FIELDS, r["id"]
        assert r["text"].strip() and r["remedy"].strip(), r["id"]
        assert isinstance(r["accept"], list)


def test_every_text_has_a_public_source_and_ids_are_unique() -> None:
    items = rows()
    assert len({r["id"] for r in items}) == len(items)
    assert len({r["source"] for r in items}) == len(items)  # one thread, one text
    for r in items:
        url = urlparse(r["source"])
        assert url.scheme in ("http", "https") and url.netloc, r["source"]


def test_labels_are_knowledge_base_faults() -> None:
    known = {f.id for f in default().faults}
    for r in rows():
        assert r["fault"] in known, (r["id"], r["fault"])
        assert set(r["accept"]) <= known, (r["id"], r["accept"])


def test_heldout_is_the_seeded_third() -> None:
    """The held-out part is exactly the draw the corpus README states (seed 20261129, a third),
    so nobody can have moved texts between the parts."""
    items = rows()
    ids = sorted(r["id"] for r in items)
    drawn = set(random.Random(20261129).sample(ids, len(ids) // 3))
    assert {r["id"] for r in items if r["split"] == "heldout"} == drawn
    assert {r["split"] for r in items} == {"heldout", "tuning"}
    assert abs(len(drawn) / len(items) - 1 / 3) < 0.01


def test_corpus_spans_the_families_the_issue_names() -> None:
    faults = {r["fault"] for r in rows()}
    for family in ("shell.command-not-found", "python.module-not-found", "packages.resolution-impossible",
                   "slurm.invalid-account", "pbs.walltime-exceeded", "repo.pathspec", "shell.locale",
                   "disk.quota-exceeded", "venv.bad-interpreter", "lib.undefined-symbol"):
        assert family in faults, family
