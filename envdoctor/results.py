"""Results are values: check results, reports, and the exit code they imply."""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from envdoctor import __version__
from envdoctor.fixorder import next_steps

CATEGORIES = (
    "host", "shell", "conda", "python", "venv", "packages", "repo", "config",
    "network", "disk", "scheduler", "sdk", "hardware", "run",
)


class Status(str, enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    @property
    def is_problem(self) -> bool:
        return self in (Status.WARN, Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class CheckResult:
    """What one check found: status, why, the fix and the commands that apply it."""

    id: str
    category: str
    title: str
    status: Status
    why: str = ""
    fix: str = ""
    commands: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    duration_ms: int = 0
    step: str = ""  # the setup step that repairs this result (for `check --fix`)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: unknown category {self.category!r}")
        if self.status in (Status.WARN, Status.FAIL, Status.ERROR) and not (self.why and self.fix):
            raise ValueError(f"{self.id}: a {self.status.value} result needs why and fix")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["commands"] = list(self.commands)
        data["evidence"] = list(self.evidence)
        if not data["step"]:
            del data["step"]
        return data


def exit_code_for(statuses: Iterable[Status]) -> int:
    """0 when nothing failed (warnings allowed), else 1."""
    return 1 if any(s in (Status.FAIL, Status.ERROR) for s in statuses) else 0


@dataclass(frozen=True)
class Report:
    """A check's results on one target, with what the report needs around them."""

    platform: str
    release: str
    target: str
    hostname: str
    node_role: str
    results: tuple[CheckResult, ...]
    duration_ms: int = 0
    user: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return exit_code_for(r.status for r in self.results)

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for r in self.results:
            counts[r.status.value] += 1
        return counts

    def problems(self) -> list[CheckResult]:
        return [r for r in self.results if r.status.is_problem]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": "envdoctor/check-report@1",
            "envdoctor_version": __version__,
            "platform": self.platform,
            "release": self.release,
            "target": self.target,
            "host": {"hostname": self.hostname, "node_role": self.node_role},
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "checks": [r.to_dict() for r in self.results],
            # The problems' commands in the order that works, each once (envdoctor.fixorder).
            "next_steps": [{"check": s.check_id, "commands": list(s.commands)} for s in next_steps(self.results)],
            "duration_ms": self.duration_ms,
        }
        if self.user:
            data["user"] = self.user
        data.update(self.extra)
        return data
