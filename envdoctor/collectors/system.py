"""System facts: the operating system, kernel, CPUs and memory of the machine envdoctor runs on
(a simulated node shares its machine's)."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector


@dataclass(frozen=True)
class OsInfo:
    system: str
    kernel: str
    distro: str  # PRETTY_NAME of /etc/os-release
    machine: str


@dataclass(frozen=True)
class SystemFacts(Facts):
    os: OsInfo
    cpus: int
    memory_gb: float


def distro(os_release: str = "/etc/os-release") -> str:
    try:
        with open(os_release, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def memory_bytes() -> int:
    """Physical memory (what psutil.virtual_memory().total reports), from sysconf: no compiled dependency."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


@collector("system", SystemFacts)
def collect_system(ctx: ProbeContext) -> SystemFacts:
    return SystemFacts(OsInfo(platform.system(), platform.release(), distro(), platform.machine()),
                       os.cpu_count() or 0, round(memory_bytes() / 2**30, 1))
