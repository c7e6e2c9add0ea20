"""`check --json`: the envdoctor/check-report@1 object of design.md."""
from __future__ import annotations

import json

from envdoctor.results import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
