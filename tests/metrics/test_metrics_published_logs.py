"""Parsers on the logs the ALCF guide and the courses publish, and the recipes' references:
each reference is what the parser computes on the published log its recipe names.

The fixtures under fixtures/ are verbatim extracts; their first line names the source
(repository, path, commit)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from envdoctor import metrics
from envdoctor.launchers.cerebras import _WSJOB, table_row
from envdoctor.recipe import RECIPE_DIR, load

FIXTURES = Path(__file__).with_name("fixtures")


def parse(name: str, parser: str) -> dict:
    return metrics.parse_file(parser, FIXTURES / name).values


def test_every_fixture_names_its_source() -> None:
    for path in FIXTURES.glob("*.log"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert re.match(r"# source: [\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{7,40}", first), path.name


@pytest.mark.parametrize("name, parser, key, value", [
    ("cerebras_ug_gpt3_111m_r2.10.log", "cerebras", "samples_per_sec", 48000 / 820.575766695),
    ("cerebras_ug_bert_large_r2.10.log", "cerebras", "samples_per_sec", 3720000 / 1017.47348681),
    ("cerebras_ug_llama2_7b_r2.10.log", "cerebras", "samples_per_sec", 204800 / 7303.586917439),
    ("cerebras_ts24_bert_large.log", "cerebras", "samples_per_sec", 1024000 / 1025.603128781),
    ("cerebras_ts24_bert_large.log", "cerebras", "rate", 1246.55),  # the last Rate=, not the first (974.00)
    ("graphcore_ug_mnist.log", "graphcore", "accuracy", 96.85),
    ("graphcore_ug_mnist.log", "graphcore", "epochs", 10),
    ("groq_ts24_minilm.log", "groq", "e2e_ips", 2144.87),
    ("groq_ts24_minilm.log", "groq", "spearman", 0.8204),
    ("groq_ts24_minilm.log", "groq", "cpu_spearman", 0.8203),
    ("groq_ts24_minilm.log", "groq", "cpu_e2e_ips", 15.23),
    ("groq_ts24_bert_tiny.log", "groq", "onchip_ips", 32358.97),
    ("groq_ts24_bert_tiny.log", "groq", "cpu_e2e_latency_ms", 2.29),
])
def test_parsers_on_published_logs(name: str, parser: str, key: str, value: float) -> None:
    assert parse(name, parser)[key] == pytest.approx(value)


def test_mnist_per_batch_bar_gives_loss_and_training_accuracy() -> None:
    line = "Loss: 0.0312 | Accuracy: 98.75% : 100%|██████████| 150/150 [00:07<00:00, 20.31it/s]"
    v = metrics.parse_text("graphcore", line + "\n").values
    assert v["loss"] == pytest.approx(0.0312) and v["train_accuracy"] == pytest.approx(98.75)


def test_the_cpu_row_never_overwrites_the_chip_values() -> None:
    v = parse("groq_ts24_minilm.log", "groq")
    assert v["onchip_ips"] == pytest.approx(2620.58) and "cpu_onchip_ips" not in v  # `--` cells are skipped
    assert v["e2e_latency_ms"] == pytest.approx(0.47) and v["cpu_e2e_latency_ms"] == pytest.approx(65.67)


def test_the_references_are_what_the_parser_computes_on_the_named_logs() -> None:
    checked = 0
    for path in sorted(RECIPE_DIR.glob("*.yaml")):
        recipe = load(path)
        for run in recipe.runs:
            cites = [c for c in recipe.citations.get(f"runs.{run.name}", ()) if c.startswith("performance: ")]
            logs = [m.group(1) for c in cites for m in [re.search(r"tests/metrics/fixtures/(\S+\.log)", c)] if m]
            if not run.performance or not logs:
                continue
            values = parse(logs[0], run.metrics)
            for metric, reference in run.performance:
                digits = len(repr(reference).split(".")[1]) if "." in repr(reference) else 0
                assert round(values[metric], digits) == reference, (path.name, run.name, metric, values[metric])
                checked += 1
    assert checked >= 7  # GPT-3, BERT, Llama2-7B, R_2.3 BERT, MNIST, MiniLM x2, BERT tiny x2


def test_every_release_job_id_line_is_caught() -> None:
    """R 2.10 prints `Job id: wsjob-...`, R 2.0-2.3 `compile job id:` / `execute job id:`;
    a run shows three wsjobs (two compiles, one execute)."""
    for name, count in (("cerebras_ug_gpt3_111m_r2.10.log", 3), ("cerebras_ts24_bert_large.log", 2)):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        ids = [m.group(1) for m in _WSJOB.finditer(text)]
        assert len(ids) == count and all(i.startswith("wsjob-") for i in ids), ids
    assert "wsjob-rc49spjqdebcxj4donzdoy" in _WSJOB.search(
        (FIXTURES / "cerebras_ts24_bert_large.log").read_text()).group(1)


def test_csctl_rows_by_column_position() -> None:
    """The guide's `csctl get jobs` output: cells with spaces (`P2 (299)`) and empty ones."""
    header = ("SESSION       NAME                          TYPE     PRIORITY  AGE  DURATION  PHASE    SYSTEMS  "
              "USER     LABELS          WORKFLOW                      DASHBOARD")
    row = ("job-operator  wsjob-ewhzngfg6rdjhw3s3k2wbh  compile  P2 (299)  12m  12m       RUNNING           "
           "username name=llama2_7b  wflow-wuetecva5mb8riup5swrff  https://grafana.anl0.cerebras.internal/d/x")
    cells = table_row(header, row)
    assert cells["NAME"] == "wsjob-ewhzngfg6rdjhw3s3k2wbh" and cells["PRIORITY"] == "P2 (299)"
    assert cells["PHASE"] == "RUNNING" and cells["SYSTEMS"] == "" and cells["USER"] == "username"
