"""No secret reaches a check report, whatever a check quotes as evidence."""
from __future__ import annotations

from envdoctor.commands.check import _redacted
from envdoctor.results import CheckResult, Status


def test_results_are_redacted_before_any_report() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    raw = CheckResult("network.proxy", "network", "proxy", Status.FAIL,
                      why="HTTPS_PROXY=http://alice:s3cretPass@proxy.alcf.anl.gov:3128 is set",
                      fix="unset it", commands=(f"git clone https://{token}@github.com/x/y.git",),
                      evidence=("export GITHUB_TOKEN=" + token,))
    clean = _redacted(raw)
    text = " ".join([clean.why, clean.fix, *clean.commands, *clean.evidence])
    assert "s3cretPass" not in text and token not in text
    assert "proxy.alcf.anl.gov:3128" in clean.why
