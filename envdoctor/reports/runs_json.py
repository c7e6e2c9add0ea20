"""Runs as JSON: {"schema": "envdoctor/runs@1", "runs": [record, ...]}."""
from __future__ import annotations

import json
from typing import Sequence

from envdoctor.reports.json_report import stamp
from envdoctor.runs import RunRecord


def render(records: Sequence[RunRecord]) -> str:
    return json.dumps(stamp({"schema": "envdoctor/runs@1", "runs": [r.to_dict() for r in records]}), indent=1) + "\n"
