"""`envdoctor explain [FILE|-] [--platform P] [--json]`: a log in, known faults out.

Exit 0 whether or not a fault is recognised (no finding is not an error); 2 for bad input
(missing file, directory, unreadable, binary, unknown platform) with a one-line message.
"""
from __future__ import annotations

import json
import sys


def explain(file: str, platform: str | None, json_out: bool) -> int:
    from envdoctor.commands.common import out
    from envdoctor.knowledge import check_platform, explain_file, explain_stream, findings_json, render_findings
    from envdoctor.reports import style_for

    platform = check_platform(platform)
    if file in ("-", ""):
        findings = explain_stream(sys.stdin, platform, "standard input")
        source = "standard input"
    else:
        findings = explain_file(file, platform)
        source = file
    if json_out:
        out(json.dumps(findings_json(findings), indent=2) + "\n")
    else:
        out(render_findings(findings, style_for(sys.stdout), source))
    return 0
