"""Config facts: the files the recipe's edits produce, their data paths and placeholders."""
from __future__ import annotations

import os
import re
from typing import Any, Iterator

from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Edit
from envdoctor.targets import Target

PLACEHOLDER = re.compile(
    r"(/path/to\b|<\s*user(name)?\s*>|<\s*your[^>]*>|\bCHANGE_?ME\b|\bYOUR_[A-Z_]+\b|\$\{?USER\}?|\$\(whoami\))",
    re.IGNORECASE)
MAX_BYTES = 2_000_000


def _walk(node: Any, prefix: str = "") -> Iterator[tuple[str, str, Any, int | None]]:
    """(dotted key, last key, value, line) for every key of a ruamel round-trip document."""
    if isinstance(node, dict):
        lc = getattr(node, "lc", None)
        for key, value in node.items():
            line = None
            try:
                line = int(lc.key(key)[0]) + 1 if lc is not None else None
            except (KeyError, TypeError, AttributeError):
                pass
            dotted = f"{prefix}.{key}" if prefix else str(key)
            yield dotted, str(key), value, line
            yield from _walk(value, dotted)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{prefix}[{i}]")


def path_value_facts(target: Target, value: str) -> dict[str, Any]:
    mapped = target.path(value)
    shown = target.unmap(mapped)
    facts: dict[str, Any] = {"value": shown, "absolute": value.startswith("/") or value.startswith("~"),
                             "exists": False, "other_user": "", "placeholder": bool(PLACEHOLDER.search(value))}
    if facts["absolute"]:
        facts["exists"] = os.path.exists(mapped)
    m = re.match(r"^/home/([^/]+)/", shown)
    if m and m.group(1) != target.user:
        facts["other_user"] = m.group(1)
    return facts


def yaml_facts(target: Target, edit: Edit, text: str) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {"yaml_error": f"{getattr(exc, 'problem', None) or exc}", "yaml_error_line": mark.line + 1 if mark else None}
    except Exception as exc:  # noqa: BLE001 - any parser crash is a finding about the file
        return {"yaml_error": f"{type(exc).__name__}: {exc}"}
    data_paths: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    wanted = {k for k, _ in edit.set}
    for dotted, key, value, line in _walk(doc):
        if dotted in wanted:
            current[dotted] = {"value": _show(target, value), "line": line}
        if key in edit.path_keys or key.endswith("data_dir"):
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, str):
                    data_paths.append({"key": dotted, "line": line, **path_value_facts(target, v)})
                elif v is None:
                    data_paths.append({"key": dotted, "line": line, "value": "", "absolute": False, "exists": False,
                                       "other_user": "", "placeholder": True, "empty": True})
    for dotted in wanted - set(current):
        current[dotted] = {"value": None, "line": None}
    return {"data_paths": data_paths, "set_values": current}


def _show(target: Target, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("/"):
        return target.unmap(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def edit_facts(target: Target, edit: Edit) -> dict[str, Any]:
    path = target.path(edit.file)
    facts: dict[str, Any] = {"name": edit.name, "kind": edit.kind, "display": edit.file, "exists": os.path.isfile(path)}
    if edit.copy_from:
        src = target.path(edit.copy_from)
        facts["copy_from"] = {"display": edit.copy_from, "exists": os.path.isfile(src)}
    if edit.set:
        facts["expected"] = {k: target.unmap(target.path(v)) if v.startswith("/") or v.startswith("~") else v
                             for k, v in edit.set}
    if not facts["exists"]:
        facts["lexists"] = os.path.lexists(path)
        return facts
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES)
    except OSError as exc:
        facts["error"] = f"cannot be read: {exc.strerror or exc}"
        return facts
    text = raw.decode("utf-8", errors="replace")
    placeholders = []
    for i, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        m = PLACEHOLDER.search(line)
        if m:
            placeholders.append({"line": i, "match": m.group(0), "text": line.strip()[:200]})
    facts["placeholders"] = placeholders[:50]
    if path.endswith((".yaml", ".yml")):
        facts.update(yaml_facts(target, edit, text))
    return facts


@collector("configs")
def collect_configs(ctx: ProbeContext) -> dict[str, Any]:
    return {e.name: edit_facts(ctx.target, e) for e in ctx.recipe.edits}
