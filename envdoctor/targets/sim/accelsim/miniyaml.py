"""A reader for the small YAML subset of model configs (no PyYAML in the envs).

Block mappings by indentation, `- ` lists, inline `[a, b]` lists, scalars (int, float,
bool, null, quoted or plain strings) and comments. Enough for model zoo configs; an
unknown construct is kept as a string rather than refused.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple


def _scalar(text: str) -> Any:
    t = text.strip()
    if not t or t in ("~", "null", "Null", "NULL"):
        return None
    if t[0] in "'\"" and t[-1] == t[0] and len(t) >= 2:
        return t[1:-1]
    if t.startswith("[") and t.endswith("]"):
        inner = t[1:-1].strip()
        return [_scalar(p) for p in inner.split(",")] if inner else []
    if t in ("true", "True", "TRUE", "yes"):
        return True
    if t in ("false", "False", "FALSE", "no"):
        return False
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", t):
        return float(t)
    return t


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def loads(text: str) -> Any:
    lines: List[Tuple[int, str]] = []
    for raw in text.splitlines():
        line = _strip_comment(raw).rstrip()
        if line.strip() and line.strip() not in ("---", "..."):
            lines.append((len(line) - len(line.lstrip(" ")), line.strip()))
    value, _ = _block(lines, 0, lines[0][0] if lines else 0)
    return value


def _block(lines: List[Tuple[int, str]], i: int, indent: int) -> Tuple[Any, int]:
    if i < len(lines) and lines[i][1].startswith("- "):
        return _list(lines, i, indent)
    out: Dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        key, _, rest = lines[i][1].partition(":")
        key = key.strip().strip("'\"")
        i += 1
        if rest.strip():
            out[key] = _scalar(rest)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and lines[i][1].startswith("- "))):
            out[key], i = _block(lines, i, lines[i][0])
        else:
            out[key] = None
    return out, i


def _list(lines: List[Tuple[int, str]], i: int, indent: int) -> Tuple[Any, int]:
    out: List[Any] = []
    while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
        item = lines[i][1][2:].strip()
        if ":" in item and not item.startswith(("'", '"', "[")):
            # `- key: value` starts a mapping whose other keys are indented by two more
            sub = [(indent + 2, item)]
            j = i + 1
            while j < len(lines) and lines[j][0] > indent:
                sub.append(lines[j])
                j += 1
            value, _ = _block(sub, 0, indent + 2)
            out.append(value)
            i = j
        else:
            out.append(_scalar(item))
            i += 1
    return out, i


def get(data: Any, dotted: str, default: Any = None) -> Any:
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return default if value is None else value


def find(data: Any, key: str) -> Any:
    """The first value of `key` anywhere in the tree (depth first), or None."""
    if isinstance(data, dict):
        if key in data and not isinstance(data[key], (dict, list)):
            return data[key]
        for v in data.values():
            got = find(v, key)
            if got is not None:
                return got
    elif isinstance(data, list):
        for v in data:
            got = find(v, key)
            if got is not None:
                return got
    return None
