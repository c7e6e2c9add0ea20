"""The ranked fallback (BM25 over the entries) when no signature matches; harmless never wins."""
from __future__ import annotations

from envdoctor.knowledge import explain_text
from envdoctor.knowledge.kb import default
from envdoctor.knowledge.rank import BM25, candidates, rank, terms

MNIST_RUN = """\
[ann@gc-poplar-02 mnist]$ /opt/slurm/bin/srun --ipus=1 python mnist_poptorch.py
srun: job 10671 queued and waiting for resources
srun: job 10671 has been allocated resources
Graph compilation: 100%|██████████| 100/100 [00:20<00:00]
[13:44:50.404] [poptorch:cpp] [warning] [DISPATCHER] Type coerced from Long to Int for tensor id 10
Epochs: 100%|██████████| 10/10 [01:17<00:00,  7.71s/it]
Graph compilation: 100%|██████████| 100/100 [00:16<00:00]
Accuracy on test set: 96.85%
"""


def test_bm25_prefers_the_document_with_the_rare_shared_terms() -> None:
    docs = [terms("the disk quota is exceeded on home"), terms("the partition name is invalid"),
            terms("a module is not found")]
    index = BM25(docs)
    scores = [s for s, _ in index.scores(terms("invalid partition requested"))]
    assert scores.index(max(scores)) == 1
    assert index.scores(terms("zebra"))[0] == (0.0, 0)


def test_terms_keep_dotted_names_and_drop_noise() -> None:
    got = terms("ImportError: torch.nn failed at line 12 in the file")
    assert "torch.nn" in got and "torch" in got and "importerror" in got
    assert "12" not in got and "the" not in got and "line" not in got


def test_a_near_miss_points_the_right_way_with_low_confidence() -> None:
    # Real text (pypa/pip#12582-like wording) no signature matches exactly.
    found = explain_text("Error: pip3 cannot be found on this machine, it says the command pip3 was not found")
    assert found, "the fallback offered nothing"
    assert all(f.ranked and f.confidence < 0.5 for f in found)
    assert found[0].confidence == max(f.confidence for f in found)


def test_fallback_only_when_nothing_matched() -> None:
    found = explain_text("sbatch: error: Batch job submission failed: Invalid qos specification\n"
                         "some other error that resembles nothing in particular, failed badly\n")
    assert found[0].fault == "slurm.qos-policy" and not any(f.ranked for f in found)


def test_harmless_entries_are_never_candidates() -> None:
    kb = default()
    pool = candidates(list(kb.faults), None)
    assert pool and not any(f.harmless for f in pool)
    # Even a query made of a harmless entry's own words does not bring it back.
    for fault in kb.faults:
        if not fault.harmless:
            continue
        query = [(1, fault.title + " error failed"), (2, fault.cause + " error")]
        assert all(not f.harmless for f, _, _ in rank(kb, list(kb.faults), None, query))


def test_the_graphcore_mnist_run_blames_nothing() -> None:
    """Every MNIST run prints the DISPATCHER type-coercion warning: it is reported as harmless,
    never as a cause, and the fallback does not pick it (or anything) up."""
    for platform in (None, "graphcore"):
        found = explain_text(MNIST_RUN, platform=platform)
        assert found and all(f.harmless for f in found), [(f.fault, f.confidence) for f in found]
        assert "graphcore.type-coerced-harmless" in [f.fault for f in found]
    # With a real error later in the run, the warning still is not the cause.
    failing = MNIST_RUN + "poptorch.poptorch_core.Error: 'poptorch_cpp_error': Failed to acquire 1 IPU(s)\n"
    causes = [f.fault for f in explain_text(failing) if not f.harmless]
    assert causes[0] == "graphcore.ipu-acquire-failed"
    assert "graphcore.type-coerced-harmless" not in causes


def test_lines_of_harmless_messages_do_not_feed_the_fallback() -> None:
    text = ("[13:44:50.404] [poptorch:cpp] [warning] [DISPATCHER] Type coerced from Long to Int for tensor id 10 "
            "error failed invalid\n")
    found = explain_text(text)
    assert [f.fault for f in found] == ["graphcore.type-coerced-harmless"]


def test_text_output_says_when_findings_are_only_resemblances() -> None:
    from envdoctor.knowledge import render_findings

    out = render_findings(explain_text("sbatch failed: the partition you asked for is not valid here"))
    assert "no known message matched exactly" in out and "resembles this line" in out
    exact = render_findings(explain_text("sbatch: error: Batch job submission failed: Invalid partition name specified"))
    assert "likely cause" in exact and "resembles" not in exact
