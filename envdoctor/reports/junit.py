"""JUnit XML: one testsuite per report, one testcase per check (for CI dashboards)."""
from __future__ import annotations

from xml.etree import ElementTree as ET

from envdoctor.results import Report, Status


def render(report: Report, suite_name: str = "") -> str:
    counts = report.summary()
    suite = ET.Element("testsuite", {
        "name": suite_name or f"envdoctor.{report.platform}",
        "tests": str(len(report.results)),
        "failures": str(counts["fail"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skip"]),
        "time": f"{report.duration_ms / 1000:.3f}",
        "hostname": report.hostname,
    })
    for r in report.results:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{report.platform}.{r.category}", "name": r.id, "time": f"{r.duration_ms / 1000:.3f}",
        })
        body = "\n".join([f"why: {r.why}", f"fix: {r.fix}", *(f"$ {c}" for c in r.commands), *r.evidence])
        if r.status == Status.FAIL:
            ET.SubElement(case, "failure", {"message": r.why, "type": r.category}).text = body
        elif r.status == Status.ERROR:
            ET.SubElement(case, "error", {"message": r.why, "type": "check-crashed"}).text = body
        elif r.status == Status.SKIP:
            ET.SubElement(case, "skipped", {"message": r.why})
        elif r.status == Status.WARN:
            ET.SubElement(case, "system-out").text = "warning\n" + body
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root) if hasattr(ET, "indent") else None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
