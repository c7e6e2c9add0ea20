"""disk.free on typed disk facts: free space, quota rows, and which of the two is tighter."""
from __future__ import annotations

from envhelpers import recipe

from envdoctor.checks.disk import free
from envdoctor.collectors.disk import DiskFacts, Quota, Usage, parse_quota_s
from envdoctor.probe import Probe
from envdoctor.results import Status

NFS_HOME = ("Disk quotas for user ada (uid 1000):\n"
            "     Filesystem   space   quota   limit   grace   files   quota   limit   grace\n"
            "10.181.1.1:/home\n"
            "                  {used}      0K   5120M            2112       0       0\n")


def verdict(facts: DiskFacts, need: float = 4.0):
    rec = recipe("groq", disk_gb=need)
    return free(Probe("real", rec.platform, rec.release, {"disk": facts}), rec)


def quota(used: str) -> Quota:
    return Quota("quota -s", tuple(parse_quota_s(NFS_HOME.format(used=used))))


def test_the_quota_is_tighter_than_the_filesystem() -> None:
    home = Usage("/home/ada", 2000.0, 900.0, 55.0)
    out = verdict(DiskFacts(home, quota("4147M")))
    assert out.status is Status.FAIL and "0.9 GB of quota room" in out.why
    assert "quota 10.181.1.1:/home: used 4147M of 0K (limit 5120M)" in out.evidence
    assert verdict(DiskFacts(home, quota("512M"))).status is Status.WARN  # 4.5 GB left, under 1.5 x 4 GB
    assert verdict(DiskFacts(home, quota("100M")), need=3.0).status is Status.OK  # 4.9 GB left


def test_over_quota_and_unmeasurable_home() -> None:
    over = parse_quota_s("/dev/sda1   2048M*  2000M   4096M    none     12       0       0\n")
    out = verdict(DiskFacts(Usage("/h", 100.0, 50.0, 50.0), Quota("quota -s", tuple(over))))
    assert out.status is Status.FAIL and "over your quota on /dev/sda1" in out.why
    out = verdict(DiskFacts(Usage(error="Stale file handle")))
    assert out.status is Status.FAIL and "Stale file handle" in out.why and out.commands == ("df -h ~",)


def test_notes_and_a_quota_tool_that_hung_are_evidence() -> None:
    out = verdict(DiskFacts(Usage("/h", 100.0, 50.0, 50.0), quota_note="quotas are not simulated"))
    assert out.status is Status.OK and "quotas are not simulated" in out.evidence
    out = verdict(DiskFacts(Usage("/h", 100.0, 50.0, 50.0), Quota("quota -s", error="did not answer in time")))
    assert out.status is Status.OK and "quota -s: did not answer in time" in out.evidence
