"""Small command-line conventions shared by the commands."""
from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.commands.common import one_platform, platform_and_logs
from envdoctor.commands.run import ratio_text
from envdoctor.errors import UsageError
from envdoctor.targets import SimTarget, real


def test_platform_positional_or_option() -> None:
    assert one_platform("groq", None) == one_platform(None, "groq") == one_platform("groq", "groq") == "groq"
    with pytest.raises(UsageError, match="two platforms"):
        one_platform("groq", "cerebras")


def test_bundle_takes_a_platform_first_unless_it_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "job.log"
    log.write_text("x\n")
    assert platform_and_logs((Path("groq"), log), None) == ("groq", (log,))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "groq").write_text("a log that happens to be called groq\n")
    assert platform_and_logs((Path("groq"),), None) == (None, (Path("groq"),))


def test_reference_ratio_is_never_scientific() -> None:
    assert ratio_text(3630.2) == "3,630x the reference"
    assert ratio_text(0.934) == "0.93x the reference" and ratio_text(1.0017) == "1.00x the reference"


def test_hints_name_the_simulated_node() -> None:
    sim = SimTarget("/n/home/u", "u", "h", "/n/my node", {})
    assert sim.cli_args() == " --target sim --sim-root '/n/my node'"
    assert real().cli_args() == ""
