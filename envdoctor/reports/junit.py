"""JUnit XML: one testsuite per report, one testcase per check (for CI dashboards).

`render` takes a live `Report`; `render_dicts` takes check-report@1 objects as loaded
from JSON (`class report --junit` writes one file per student, one suite per platform).
Both go through the same `_suite`, so the two never drift apart.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping
from xml.etree import ElementTree as ET

from envdoctor.results import Report

# Characters XML 1.0 cannot carry at all, even escaped: C0 controls but tab, newline and
# carriage return; lone surrogates; U+FFFE and U+FFFF. A report text may hold any of them
# (terminal colour codes in evidence, a hand-edited file), and one makes the whole file invalid.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """`value` as text XML can hold: each forbidden character shown as \\xNN / \\uNNNN."""
    text = str(value)
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def render(report: Report, suite_name: str = "") -> str:
    return render_dicts([report.to_dict()], [suite_name])


def render_dicts(reports: Iterable[Mapping[str, Any]], suite_names: Iterable[str] = ()) -> str:
    """One <testsuites> document from check-report@1 mappings (missing fields are tolerated)."""
    root = ET.Element("testsuites")
    names = list(suite_names)
    for i, data in enumerate(reports):
        root.append(_suite(data, names[i] if i < len(names) else ""))
    ET.indent(root) if hasattr(ET, "indent") else None
    _clean(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(data: Mapping[str, Any], suite_name: str) -> ET.Element:
    checks = [c for c in data.get("checks") or () if isinstance(c, Mapping)]
    counts = {s: 0 for s in ("ok", "warn", "fail", "skip", "error")}
    for c in checks:
        if c.get("status") in counts:
            counts[str(c["status"])] += 1
    platform = str(data.get("platform", ""))
    given = data.get("host")
    host = given if isinstance(given, Mapping) else {}
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


def _clean(root: ET.Element) -> None:
    """Every attribute and text of the tree made XML-safe, in one place, so no field is missed."""
    for el in root.iter():
        for k, v in el.attrib.items():
            el.attrib[k] = xml_text(v)
        if el.text is not None:
            el.text = xml_text(el.text)
        if el.tail is not None:
            el.tail = xml_text(el.tail)


def _ms(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
