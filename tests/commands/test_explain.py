"""`envdoctor explain` on the command line: the JSON contract, text output and exit codes."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

KEYS = {"fault", "category", "title", "cause", "fix", "commands", "lines", "confidence", "harmless"}


def _log(tmp_path: Path, text: str, name: str = "job.log") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_contract(cli, tmp_path: Path) -> None:
    path = _log(tmp_path, "[a@groq-r01-gn-01 ~]$ conda activate groqflow\n-bash: conda: command not found\n"
                          "/x/execute.py:80: DeprecationWarning: `product` is deprecated as of NumPy 1.25.0\n")
    rc, out, err = cli("explain", path, "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert set(data) == {"schema", "envdoctor_version", "findings"} and data["schema"] == "envdoctor/explain@1"
    assert [f["fault"] for f in data["findings"]] == ["groq.conda-not-found", "groq.numpy-product-harmless"]
    for f in data["findings"]:
        assert set(f) == KEYS
        assert isinstance(f["commands"], list) and isinstance(f["lines"], list)
        assert 0 < f["confidence"] <= 1
    assert data["findings"][0]["lines"] == [2] and data["findings"][0]["harmless"] is False
    assert data["findings"][1]["harmless"] is True


def test_text_output(cli, tmp_path: Path) -> None:
    path = _log(tmp_path, "qsub: Unknown queue\nFailed to find compiled extension; rebuilding.\n")
    rc, out, _ = cli("explain", path)
    assert rc == 0
    assert "PBS does not know the queue" in out and "pbs.unknown-queue" in out
    assert "cause:" in out and "fix:" in out and "$ qstat -Q" in out and "line 1" in out
    assert "not the cause" in out and "confidence" in out
    assert "\033[" not in out  # not a terminal: no colour


def test_only_harmless_says_so(cli, tmp_path: Path) -> None:
    rc, out, _ = cli("explain", _log(tmp_path, "srun: job 12 queued and waiting for resources\n"))
    assert rc == 0 and "harmless" in out and "not why the run failed" in out


def test_no_findings_exit_zero(cli, tmp_path: Path) -> None:
    rc, out, _ = cli("explain", _log(tmp_path, "Training completed successfully!\n"), "--json")
    doc = json.loads(out)
    assert rc == 0 and doc["schema"] == "envdoctor/explain@1" and doc["findings"] == []
    rc, out, _ = cli("explain", _log(tmp_path, "all fine\n", "b.log"))
    assert rc == 0 and "no known fault" in out


def test_empty_file(cli, tmp_path: Path) -> None:
    rc, out, _ = cli("explain", _log(tmp_path, ""), "--json")
    assert rc == 0 and json.loads(out)["findings"] == []


def test_stdin(cli) -> None:
    rc, out, _ = cli("explain", "-", "--json", stdin="sbatch: error: Batch job submission failed: "
                                                     "Invalid partition name specified\n")
    assert rc == 0 and json.loads(out)["findings"][0]["fault"] == "slurm.invalid-partition"


def test_platform_option(cli, tmp_path: Path) -> None:
    path = _log(tmp_path, "ModuleNotFoundError: No module named 'poptorch'\n")
    rc, out, _ = cli("explain", path, "--platform", "graphcore", "--json")
    assert json.loads(out)["findings"][0]["fault"] == "graphcore.poptorch-not-found"
    rc, out, err = cli("explain", path, "--platform", "graphcor")
    assert rc == 2 and "graphcore" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("make, words", [
    (lambda p: str(p / "missing.log"), "no such"),
    (lambda p: str(p), "is a directory"),
])
def test_bad_input_is_one_line_exit_2(cli, tmp_path: Path, make, words: str) -> None:
    rc, out, err = cli("explain", make(tmp_path))
    assert rc == 2 and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_binary_file(cli, tmp_path: Path) -> None:
    path = tmp_path / "core"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + os.urandom(4096))
    rc, _, err = cli("explain", str(path))
    assert rc == 2 and "binary" in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(cli, tmp_path: Path) -> None:
    path = tmp_path / "secret.log"
    path.write_text("x\n")
    path.chmod(0)
    rc, _, err = cli("explain", str(path))
    assert rc == 2 and "cannot read" in err


def test_invalid_utf8_is_explained(cli, tmp_path: Path) -> None:
    path = tmp_path / "latin1.log"
    path.write_bytes("Réseau: caf\xe9\n".encode("latin-1") + b"fatal: could not read Username for 'https://github.com': x\n")
    rc, out, _ = cli("explain", str(path), "--json")
    assert rc == 0 and json.loads(out)["findings"][0]["fault"] == "repo.could-not-read-username"


def test_job_output_file_name_gives_batch_context(cli, tmp_path: Path) -> None:
    path = _log(tmp_path, "conda: command not found\n", "run_minilmv2.sh.o3084")
    rc, out, _ = cli("explain", path, "--json")
    assert json.loads(out)["findings"][0]["fault"] == "conda.not-found-in-batch-job"


def test_render_findings_api_for_run() -> None:
    from envdoctor.knowledge import explain_text, render_findings
    from envdoctor.reports import Style

    text = render_findings(explain_text(["Disk quota exceeded"]), Style(color=True, unicode=False), "job.log")
    assert "disk.quota-exceeded" in text and "\033[" in text and "XX" in text


def test_explain_text_accepts_a_whole_string() -> None:
    from envdoctor.knowledge import explain_text

    assert [f.fault for f in explain_text("x\nqsub: Unknown queue\n")] == ["pbs.unknown-queue"]
