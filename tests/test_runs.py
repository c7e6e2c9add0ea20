"""Run records and `envdoctor runs list|compare|export` in every format."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from envdoctor import runs
from envdoctor.runs import RunRecord


def _rec(i: int, epochs: int, lr: float, acc: float, platform: str = "graphcore") -> RunRecord:
    rec = RunRecord(f"20261122-0100{i:02d}-ab{i:02d}", platform, "sdk-3.3.0", "mnist", "MNIST", launcher="slurm",
                    target="sim", params={"epochs": epochs, "lr": lr, "batch_size": 8}, set_params=["epochs", "lr"],
                    start=f"2026-11-22T01:00:{i:02d}+00:00", end=f"2026-11-22T01:01:{i:02d}+00:00",
                    duration_s=10.0 + i, job_id=str(i), exit_status=0, status="ok",
                    metrics={"accuracy": acc, "throughput": 1000.0 + i, "loss": 1.0 / epochs},
                    performance=[{"metric": "accuracy", "value": acc, "reference": 96.85, "ratio": acc / 96.85}])
    runs.save(rec)
    return rec


@pytest.fixture
def three() -> list[RunRecord]:
    return [_rec(1, 10, 0.03, 87.75), _rec(2, 20, 0.03, 88.25), _rec(3, 20, 0.02, 88.75)]


def test_store_round_trip_and_prefix_select(three) -> None:
    assert [r.id for r in runs.load_all()] == [r.id for r in three]
    assert runs.select(["20261122-010002"])[0].params["epochs"] == 20
    assert runs.load_all("groq") == []
    (runs.runs_dir() / "junk.json").write_text("{not json")
    assert len(runs.load_all()) == 3  # an unreadable file is skipped


def test_list_and_compare(cli, three) -> None:
    rc, out, _ = cli("runs")
    assert rc == 0 and all(r.id in out for r in three) and "accuracy=87.75" in out
    rc, out, _ = cli("runs", "compare", three[0].id, three[2].id)
    assert rc == 0 and "same in every run: batch_size=8" in out
    assert re.search(r"epochs\s+10\s+20", out) and re.search(r"accuracy\s+87.75\s+88.75", out)
    assert re.search(r"start\s+2026-11-22 01:00:01\s+2026-11-22 01:00:03", out)


def test_compare_markdown_for_homework(cli, three) -> None:
    rc, md, _ = cli("runs", "compare", "--markdown")
    assert rc == 0
    lines = md.splitlines()
    header = next(line for line in lines if line.startswith("| run"))
    assert header.startswith("| run | epochs | lr | status | start | end | wall time [s] | accuracy |")
    assert "throughput [samples/s]" in header
    assert header.count("epochs") == 1, "a metric that echoes a parameter is one column"
    align = lines[lines.index(header) + 1]
    cells = [c.strip() for c in align.strip("|").split("|")]
    assert len(cells) == header.count("|") - 1, "one alignment cell per column"
    assert cells[:4] == ["---", "---:", "---:", "---"] and cells[-1] == "---:"
    rows = [line for line in lines if line.startswith("| 2026")]
    assert len(rows) == 3 and "| 10 | 0.03 | ok | 2026-11-22 01:00:01 | 2026-11-22 01:01:01 | 11 | 87.75 |" in rows[0]
    assert "Same in every run: `batch_size=8`" in md


def test_compare_covers_every_example_in_sections(cli, three) -> None:
    groq = RunRecord("20261122-020000-cd01", "groq", "groqflow-py3.10", "minilm", start="2026-11-22T02:00:00+00:00",
                     status="ok", target="sim", metrics={"e2e_ips": 1100.0})
    runs.save(groq)
    rc, md, _ = cli("runs", "compare", "--markdown")
    assert rc == 0
    titles = [line for line in md.splitlines() if line.startswith("### ")]
    assert titles == ["### graphcore mnist (sdk-3.3.0)", "### groq minilm (groqflow-py3.10)"]
    assert "end-to-end IPS [inf/s]" in md


def test_cancelled_and_check_runs_only_when_asked(cli, three) -> None:
    cancelled = _rec(4, 30, 0.03, 10.0)
    cancelled.status = "cancelled"
    runs.save(cancelled)
    deep = _rec(5, 1, 0.03, 50.0)
    deep.note = "envdoctor check --deep"
    runs.save(deep)
    rc, md, _ = cli("runs", "compare", "--markdown")
    assert rc == 0 and cancelled.id not in md and deep.id not in md and three[0].id in md
    rc, md, _ = cli("runs", "compare", "--markdown", "--all")
    assert cancelled.id in md and deep.id in md


def test_unknown_action_is_named(cli, three) -> None:
    rc, _, err = cli("runs", "frobnicate")
    assert rc == 2 and "unknown action 'frobnicate'" in err and len(err.strip().splitlines()) == 1


def test_export_csv_json(cli, three) -> None:
    rc, out, _ = cli("runs", "export", "--csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert rc == 0 and len(table) == 3 and table[1]["param:epochs"] == "20" and table[2]["metric:accuracy"] == "88.75"
    rc, out, _ = cli("runs", "export", "--json")
    data = json.loads(out)
    assert data["schema"] == "envdoctor/runs@1" and len(data["runs"]) == 3


def test_html_is_self_contained_with_a_chart_per_metric(cli, three, tmp_path) -> None:
    page = tmp_path / "runs.html"
    rc, out, _ = cli("runs", "compare", *(r.id for r in three[:2]), "--html", str(page))
    text = page.read_text()
    assert rc == 0 and "wrote" in out
    assert text.count("<svg") == 4  # accuracy, throughput, loss (each varies), duration
    assert "<polyline" in text  # one numeric parameter (epochs) changed: a line over its values
    assert not re.search(r"(src|href)=\"?https?:", text) and "<script" not in text
    rc, _, _ = cli("runs", "export", "--html", str(page))  # epochs and lr both vary: bars
    assert "<rect" in page.read_text()


def test_no_runs_and_bad_ids(cli) -> None:
    rc, out, _ = cli("runs", "list")
    assert rc == 0 and "no recorded runs" in out
    _rec(1, 10, 0.03, 80.0)
    rc, _, err = cli("runs", "compare", "nosuchid")
    assert rc == 2 and "no recorded run 'nosuchid'" in err
    rc, _, err = cli("runs", "list", "--csv", "--json")
    assert rc == 2
