"""`envdoctor explain [FILE|-] [--platform P] [--json]`: a log in, known faults out.

Exit 0 whether or not a fault is recognised (no finding is not an error); 2 for bad input
(missing file, directory, FIFO or device, unreadable, binary, unknown platform) with a
one-line message. The log is streamed (bounded memory, any size); only a regular file or
standard input is read (`envdoctor.safeio`), so a FIFO or /dev/zero cannot hang it. What
is printed is redacted last: a finding may quote the log.
"""
from __future__ import annotations

import json
import sys


def explain(file: str, platform: str | None, json_out: bool) -> int:
    from envdoctor import safeio
    from envdoctor.commands.common import out
    from envdoctor.errors import UsageError
    from envdoctor.knowledge import check_platform, explain_stream, findings_json, render_findings
    from envdoctor.redact import redact_mapping, redact_text
    from envdoctor.reports import style_for

    platform = check_platform(platform)
    if file in ("-", ""):
        if sys.stdin.isatty():  # a person typed `envdoctor explain` alone: say what it waits for
            sys.stderr.write("envdoctor explain: paste the log, then press Ctrl-D (or give a file: "
                             "envdoctor explain job.log)\n")
        findings = explain_stream(sys.stdin, platform, "standard input")
        source = "standard input"
    else:
        with safeio.open_binary(file, "log file") as fh:
            try:
                findings = explain_stream(fh, platform, file)
            except OSError as exc:
                raise UsageError(f"{file}: cannot read ({exc.strerror or exc})") from None
        source = file
    if json_out:
        out(json.dumps(redact_mapping(findings_json(findings)), indent=2) + "\n")
    else:
        out(redact_text(render_findings(findings, style_for(sys.stdout), source)))
    return 0
