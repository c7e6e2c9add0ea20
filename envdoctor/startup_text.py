"""What the text of a bash startup file says: conda initialize blocks, interactive-only
guards, the lines that source ~/.bashrc, the lines that activate an environment.

One reading for everyone: `check` reports from it (collectors/shells.py) and `setup` edits
by it (steps/dotfiles.py: where a block goes above a guard, whether the login file already
sources ~/.bashrc), so what setup fixes is what check found. Lines end only at "\n", as for
bash (a stray \r or form feed does not start a line, and line numbers match bash's).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Tuple

from envdoctor.files import split_lines

BLOCK_START = re.compile(r"^\s*#\s*>>>\s*conda initialize\s*>>>")
BLOCK_END = re.compile(r"^\s*#\s*<<<\s*conda initialize\s*<<<")
CONDA_EXE_IN_BLOCK = re.compile(r"""['"]?(/[^'"\s$]+?)/(?:bin|condabin)/conda['"]?""")
CONDA_SH = re.compile(r"""(/[^'"\s$]+?)/etc/profile\.d/conda\.sh""")
GUARD_TEST = re.compile(r"""(\$-|\$\{-\}|\bPS1\b)""")
CASE_GUARD = re.compile(r"""^\s*case\s+["']?\$(-|\{-\})["']?\s+in""")
SOURCES_BASHRC = re.compile(
    r"""(^|[;&|{\s])(\.|source)\s+["']?(~|\$HOME|\$\{HOME\}|/[^\s'"]*)/\.bashrc["']?""")
ACTIVATE_LINE = re.compile(
    r"""(\bconda\s+activate\b|/bin/activate\b|etc/profile\.d/conda\.sh|shell\.(bash|posix)\s+hook)""")


@dataclass(frozen=True)
class TextLine:
    """A line of a startup file: an interactive-only guard, or a line that activates an env."""

    line: int
    text: str


@dataclass(frozen=True)
class CondaBlock:
    """A `# >>> conda initialize >>>` block; end 0 when its end marker is missing."""

    start: int
    end: int = 0
    prefix: str = ""  # the conda it points at (this machine's path)
    prefix_display: str = ""  # the same, as the course writes it
    prefix_exists: bool = False


@dataclass(frozen=True)
class FileText:
    """What the text of one startup file says (`analyse_text`)."""

    lines: int = 0
    conda_blocks: Tuple[CondaBlock, ...] = ()
    guards: Tuple[TextLine, ...] = ()
    sources_bashrc: Tuple[int, ...] = ()
    activations: Tuple[TextLine, ...] = ()


def _strip_comment(line: str) -> str:
    s = line.strip()
    return "" if s.startswith("#") else s


def analyse_text(text: str) -> FileText:
    """Static facts of one startup file: conda blocks, interactive guards, sourcing lines."""
    lines = [line.rstrip("\n") for line in split_lines(text)]
    blocks: list[CondaBlock] = []
    guards: list[TextLine] = []
    sources_bashrc: list[int] = []
    activations: list[TextLine] = []
    current: CondaBlock | None = None
    for i, raw in enumerate(lines, start=1):
        if BLOCK_START.match(raw):
            current = CondaBlock(i)
            continue
        if current is not None:
            if BLOCK_END.match(raw):
                blocks.append(replace(current, end=i))
                current = None
                continue
            m = CONDA_EXE_IN_BLOCK.search(raw) or CONDA_SH.search(raw)
            if m and not current.prefix and not raw.lstrip().startswith("#"):
                current = replace(current, prefix=m.group(1))
            continue
        code = _strip_comment(raw)
        if not code:
            continue
        if SOURCES_BASHRC.search(code):
            sources_bashrc.append(i)
        if ACTIVATE_LINE.search(code):
            activations.append(TextLine(i, code[:200]))
        if _guard_at(lines, i - 1):
            guards.append(TextLine(i, code[:200]))
    if current is not None:  # an unterminated block still counts (and is a finding)
        blocks.append(current)
    return FileText(len(lines), tuple(blocks), tuple(guards), tuple(sources_bashrc), tuple(activations))


def _guard_at(lines: list[str], idx: int) -> bool:
    """Is line idx an interactive-only guard (returns early when the shell is not interactive)?"""
    code = _strip_comment(lines[idx])
    if CASE_GUARD.search(code):
        window = " ".join(_strip_comment(x) for x in lines[idx: idx + 5])
        return bool(re.search(r"\*\)\s*return\b", window)) and "*i*" in window
    if GUARD_TEST.search(code) and ("return" in code or idx + 1 < len(lines)):
        window = code if re.search(r"\breturn\b", code) else " ".join(
            _strip_comment(x) for x in lines[idx: idx + 3])
        if not re.search(r"\breturn\b", window):
            return False
        # [ -z "$PS1" ] && return  |  [[ $- != *i* ]] && return  |  if ...; then return
        return bool(re.search(r"""-z\s+["']?\$\{?PS1""", window) or re.search(r"\$\{?-\}?[\"']?\s*!?=+\s*\*i\*", window)
                    or re.search(r"""\[\s*!?\s*-n\s+["']?\$\{?PS1""", window))
    return False
