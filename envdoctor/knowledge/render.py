"""Findings for people: title, confidence, lines, cause, fix, commands; harmless ones last,
marked "not the cause"."""
from __future__ import annotations

from envdoctor.knowledge.matcher import Finding
from envdoctor.reports import Style


def _lines(f: Finding) -> str:
    shown = ", ".join(str(n) for n in f.lines)
    more = f.hits - len(f.lines)
    return f"line {shown}" if f.hits <= 1 else f"lines {shown}" + (f" (+{more} more)" if more > 0 else "")


def _block(label: str, text: str) -> list[str]:
    pad = " " * (4 + len(label))
    parts = text.splitlines() or [""]
    return [f"    {label}{parts[0]}"] + [pad + p for p in parts[1:]]


def render(findings: list[Finding], style: Style, source: str = "") -> str:
    where = f" in {source}" if source else ""
    causes = [f for f in findings if not f.harmless]
    harmless = [f for f in findings if f.harmless]
    if not findings:
        return (style.bold("envdoctor explain") + f": no known fault recognised{where}.\n"
                + style.dim("  (The knowledge base covers the ALCF AI Testbed's documented faults; "
                            "`envdoctor check PLATFORM` inspects the environment itself.)\n"))
    if causes and all(f.ranked for f in causes):
        # The ranked fallback: nothing matched exactly; say so, these are resemblances.
        head = (f"no known message matched exactly; {len(causes)} closest known fault"
                f"{'s' if len(causes) != 1 else ''} (lower confidence)")
    else:
        head = f"{len(causes)} likely cause{'s' if len(causes) != 1 else ''}"
    if harmless:
        head += f", {len(harmless)} harmless message{'s' if len(harmless) != 1 else ''}"
    out = [style.bold("envdoctor explain") + f": {head}{where}", ""]
    bullet = "✗" if style.unicode else "XX"
    for i, f in enumerate(causes, 1):
        out.append(style.paint(f"{i}. [{bullet}] ", "31") + style.bold(f.title) + style.dim(f"  {f.fault}"))
        how = " · resembles this line" if f.ranked else ""
        out.append(style.dim(f"    {_lines(f)} · confidence {f.confidence:.2f} · {f.category}{how}"))
        out.extend(_block("cause: ", f.cause))
        out.extend(_block("fix:   ", f.fix))
        for cmd in f.commands:
            out.append("      " + style.paint(cmd if cmd.startswith("#") else f"$ {cmd}", "36"))
        if f.source:
            out.append(style.dim(f"    source: {f.source}"))
        out.append("")
    if harmless:
        out.append(style.dim("Also seen, harmless (not the cause):"))
        for f in harmless:
            out.append(style.paint("  - ", "2") + f"{f.title}" + style.dim(f"  {f.fault} · {_lines(f)}"))
            out.extend(style.dim(line) for line in _block("  ", f.cause))
        out.append("")
    if not causes:
        out.append(style.paint("Only known-harmless messages were found: they are not why the run failed.", "33"))
    return "\n".join(out).rstrip("\n") + "\n"
