"""JUnit XML: one testsuite per report, one testcase per check (for CI dashboards).

`render` takes a live `Report`; `render_dicts` takes check-report@1 objects as loaded
from JSON (`class report --junit` writes one file per student, one suite per platform).
Both go through the same `_suite`, so the two never drift apart.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping
from xml.etree import ElementTree as ET

from envdoctor.results import Report


def render(report: Report, suite_name: str = "") -> str:
    return render_dicts([report.to_dict()], [suite_name])


def render_dicts(reports: Iterable[Mapping[str, Any]], suite_names: Iterable[str] = ()) -> str:
    """One <testsuites> document from check-report@1 mappings (missing fields are tolerated)."""
    root = ET.Element("testsuites")
    names = list(suite_names)
    for i, data in enumerate(reports):
        root.append(_suite(data, names[i] if i < len(names) else ""))
    ET.indent(root) if hasattr(ET, "indent") else None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(data: Mapping[str, Any], suite_name: str) -> ET.Element:
    checks = [c for c in data.get("checks") or () if isinstance(c, Mapping)]
    counts = {s: 0 for s in ("ok", "warn", "fail", "skip", "error")}
    for c in checks:
        if c.get("status") in counts:
            counts[str(c["status"])] += 1
    platform = str(data.get("platform", ""))
    host = data.get("host") if isinstance(data.get("host"), Mapping) else {}
    suite = ET.Element("testsuite", {
        "name": suite_name or f"envdoctor.{platform}",
        "tests": str(len(checks)),
        "failures": str(counts["fail"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skip"]),
        "time": f"{_ms(data.get('duration_ms')) / 1000:.3f}",
        "hostname": str(host.get("hostname", "")),
    })
    for c in checks:
        status, why, category = c.get("status"), str(c.get("why", "")), str(c.get("category", ""))
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{platform}.{category}", "name": str(c.get("id", "")),
            "time": f"{_ms(c.get('duration_ms')) / 1000:.3f}",
        })
        body = "\n".join([f"why: {why}", f"fix: {c.get('fix', '')}", *(f"$ {x}" for x in c.get("commands") or ()),
                          *(str(e) for e in c.get("evidence") or ())])
        if status == "fail":
            ET.SubElement(case, "failure", {"message": why, "type": category}).text = body
        elif status == "error":
            ET.SubElement(case, "error", {"message": why, "type": "check-crashed"}).text = body
        elif status == "skip":
            ET.SubElement(case, "skipped", {"message": why})
        elif status == "warn":
            ET.SubElement(case, "system-out").text = "warning\n" + body
    return suite


def _ms(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
