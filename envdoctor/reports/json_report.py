"""`check --json`: the envdoctor/check-report@1 object of design.md; `stamp` for every JSON document."""
from __future__ import annotations

import json
from typing import Any, Mapping

from envdoctor import __version__
from envdoctor.results import Report


def render(report: Report) -> str:
    return json.dumps(stamp(report.to_dict()), indent=2, ensure_ascii=False) + "\n"


def stamp(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The document with `envdoctor_version` right after `schema`: every JSON envdoctor prints says
    which envdoctor wrote it (a class's reports come from whatever copy each student ran)."""
    stamped: dict[str, Any] = {}
    for key, value in doc.items():
        if key != "envdoctor_version":
            stamped[key] = value
        if key == "schema":
            stamped["envdoctor_version"] = __version__
    if "envdoctor_version" not in stamped:
        stamped = {"envdoctor_version": __version__, **stamped}
    return stamped
