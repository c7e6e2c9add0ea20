"""envdoctor.collectors.disk: `quota -s` as quota-tools prints it, free space, typed and round-tripped.

The quota outputs below are real ones, as sites publish them for their users (user names
generic): NOAA RDHPCS (an NFS home on Gaea and Hera, `quota -Qs`), an SGI cluster's
device-mapper volumes (`quota -ls`), a CHTC submit node (`quota -vs`), a UCL project on NFS,
and quota-tools' own row format (quota.c: ` %7s%c %6s %7s %7s`, a filesystem name over 15
characters on a line of its own).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from envhelpers import recipe

from envdoctor.collectors.disk import (
    DiskFacts,
    Quota,
    QuotaRow,
    Usage,
    collect_disk,
    parse_quota_s,
    read_quota,
    to_gb,
    usage,
)
from envdoctor.probe import ProbeContext
from envdoctor.targets import real

HEADER = "     Filesystem   space   quota   limit   grace   files   quota   limit   grace\n"
NFS_GAEA = ("Disk quotas for user userid (uid 12345):\n" + HEADER +
            "ncrc-svm1.ncrc.gov:/ncrc/home2\n"
            "                  9228M  51200M  51200M            101k   4295m   4295m\n")
NFS_HERA = ("Disk quotas for user userid (uid 12345):\n" + HEADER +
            "10.181.1.1:/home\n"
            "                  4147M      0K   5120M            2112       0       0\n")
SGI = ("Disk quotas for user lalala (uid 666): \n" + HEADER +
       "/dev/mapper/system-home\n"
       "                  7876M      0K  10240M            105k       0       0        \n"
       "/dev/mapper/SFA7700X-vol1\n"
       "                    10G      0K   1024G           1771k       0       0   \n")
CHTC = ("Disk quotas for user alice (uid 20384): \n" + HEADER +
        "      /dev/sdb1  12690M  20480M  30720M            161k       0       0        \n")
OVER = ("Disk quotas for user ada (uid 1000): \n" + HEADER +
        "/dev/mapper/home-lv\n"
        "                 1100G*  1024G   1100G   6days    100k   1000k   1100k        \n"
        "      /dev/sda1   2048M*  2000M   4096M    none     12       0       0        \n")


def test_nfs_homes_on_a_line_of_their_own() -> None:
    assert parse_quota_s(NFS_GAEA) == [QuotaRow("ncrc-svm1.ncrc.gov:/ncrc/home2", "9228M", "51200M", "51200M",
                                                free_gb=40.99)]
    (hera,) = parse_quota_s(NFS_HERA)
    assert hera.filesystem == "10.181.1.1:/home" and hera.quota == "0K" and not hera.over
    assert hera.free_gb == round(5120 / 1024 - 4147 / 1024, 2)  # no soft quota (0K): the hard limit counts


def test_devices_wrapped_and_unwrapped() -> None:
    rows = parse_quota_s(SGI)
    assert [(r.filesystem, r.used, r.limit) for r in rows] == [("/dev/mapper/system-home", "7876M", "10240M"),
                                                             ("/dev/mapper/SFA7700X-vol1", "10G", "1024G")]
    assert rows[1].free_gb == 1014.0
    assert parse_quota_s(CHTC) == [QuotaRow("/dev/sdb1", "12690M", "20480M", "30720M", free_gb=7.61)]


def test_over_quota_rows_with_grace_times() -> None:
    home, sda = parse_quota_s(OVER)
    assert home.over and home.used == "1100G" and home.quota == "1024G" and home.free_gb == -76.0
    assert sda.over and sda.used == "2048M" and sda.free_gb == round(2000 / 1024 - 2, 2)


def test_nothing_to_report() -> None:
    assert parse_quota_s("") == []
    assert parse_quota_s("Disk quotas for user ada (uid 1000): none\n") == []
    assert parse_quota_s(HEADER + "quota: Cannot open quotafile /home/aquota.user\n") == []


def test_to_gb_units() -> None:
    assert to_gb("1024G") == 1024.0 and to_gb("1T") == 1024.0 and round(to_gb("512M") or 0, 2) == 0.5
    assert to_gb("0K") == 0.0 and to_gb("2097152") == 2.0  # no unit: KB (quota without -s)
    assert to_gb("101k") == to_gb("101K") and to_gb("none") is None and to_gb("") is None


def fake_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """A `quota` on PATH that prints a recorded output (the real one needs a kernel with quotas)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "out.txt").write_text(body, encoding="utf-8")
    script = bin_dir / "quota"
    # quota(1) exits 1 when a filesystem is over quota: its rows still count.
    script.write_text(f"#!/bin/bash\ncat {tmp_path / 'out.txt'}\n[ \"$1\" = -s ] || exit 2\nexit 1\n",
                      encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def test_disk_facts_of_the_real_machine_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_quota(tmp_path, monkeypatch, OVER)
    facts = collect_disk(ProbeContext(real(), recipe("cerebras")))
    assert facts.home.error == "" and facts.home.total_gb > 0 and 0 <= facts.home.used_percent <= 100
    assert facts.quota is not None and facts.quota.tool == "quota -s" and len(facts.quota.rows) == 2
    assert facts.quota.rows[0].over and facts.quota_note == ""
    again = DiskFacts.from_json(json.loads(json.dumps(facts.to_json())))
    assert again == facts and isinstance(again.quota.rows, tuple)


def test_a_quota_that_hangs_is_a_fact_not_a_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quota").write_text("#!/bin/bash\nexec sleep 30\n", encoding="utf-8")
    (bin_dir / "quota").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert read_quota(0.5) == Quota("quota -s", error="did not answer in time")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert read_quota(0.5) is None  # no quota tool


def test_a_simulated_node_has_no_quotas(sim_node) -> None:
    node = sim_node("groq")
    facts = collect_disk(ProbeContext(node, recipe("groq")))
    assert facts.quota is None and facts.quota_note == "quotas are not simulated"
    assert facts.home.path == node.home and facts.home.free_gb > 0
    assert DiskFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_usage_of_a_missing_path_measures_its_nearest_parent(tmp_path: Path) -> None:
    assert usage(str(tmp_path / "not" / "yet")).path == str(tmp_path)
    old = {"home": {"error": "Permission denied"}, "quota": None}  # the wire form of an unmeasurable home
    assert DiskFacts.from_json(old) == DiskFacts(Usage(error="Permission denied"))
