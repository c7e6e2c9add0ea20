"""Config facts: the files the recipe's edits produce, their data paths and placeholders, and
what a snapshot records of them (same bytes as the copy source? replacements made?).

The facts are `ConfigsFacts` (checks read `probe.of(ConfigsFacts).edits`); its JSON form is
`{edit name: edit facts}`, the probe's wire form before the facts were typed.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Optional, Tuple, Type, TypeVar

from envdoctor.facts import Facts, FactsError
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Edit
from envdoctor.targets import Target

PLACEHOLDER = re.compile(
    r"(/path/to\b|<\s*user(name)?\s*>|<\s*your[^>]*>|\bCHANGE_?ME\b|\bYOUR_[A-Z_]+\b|\$\{?USER\}?|\$\(whoami\))",
    re.IGNORECASE)
MAX_BYTES = 2_000_000
C = TypeVar("C", bound="ConfigsFacts")


@dataclass(frozen=True)
class Placeholder:
    """A placeholder value left in a config file."""

    line: int
    match: str
    text: str


@dataclass(frozen=True)
class DataPath:
    """A data path in a YAML config (a recipe `path_keys` key, or any `*data_dir`)."""

    key: str  # dotted key, list items as [i]
    line: Optional[int]
    value: str  # the course's spelling (~/..., /software/...); "" when empty
    absolute: bool
    exists: bool
    other_user: str  # the user whose home it is under, when not this user's
    placeholder: bool
    empty: bool = False  # `data_dir:` with no value


@dataclass(frozen=True)
class SetValue:
    """A key's value in a config file."""

    # A YAML scalar as the file has it (str, int, float, bool or None): free-form by nature.
    value: Any
    line: Optional[int]


@dataclass(frozen=True)
class CopySource:
    """The file an edit copies from."""

    display: str
    exists: bool


@dataclass(frozen=True)
class EditFacts(Facts):
    """One recipe edit's file; filled in as far as it exists and parses."""

    name: str
    kind: str  # copy, yaml, replace
    display: str  # the file as the recipe spells it
    exists: bool
    copy_from: Optional[CopySource] = None  # only for edits that copy a file
    expected: Dict[str, str] = field(default_factory=dict)  # key -> value the recipe sets
    lexists: bool = False
    error: str = ""  # why the file could not be read
    placeholders: Tuple[Placeholder, ...] = ()
    yaml_error: str = ""
    yaml_error_line: Optional[int] = None
    data_paths: Optional[Tuple[DataPath, ...]] = None  # None: not a YAML file (or it did not parse)
    set_values: Optional[Dict[str, SetValue]] = None  # None: not a YAML file (or it did not parse)
    same_as_source: Optional[bool] = None  # copies: byte-identical to the source (None: unknown)
    replaced: Dict[str, bool] = field(default_factory=dict)  # replace edits: old text[:80] -> done


@dataclass(frozen=True)
class ConfigsFacts(Facts):
    """What each of the recipe's edits finds in its file."""

    edits: Dict[str, EditFacts] = field(default_factory=dict)  # by recipe edit name

    def to_json(self) -> Dict[str, Any]:
        return {name: e.to_json() for name, e in self.edits.items()}

    @classmethod
    def from_json(cls: Type[C], data: Any) -> C:
        if not isinstance(data, dict):
            raise FactsError(f"ConfigsFacts: expected an object, found {type(data).__name__}")
        return cls({str(k): EditFacts.from_json(v) for k, v in data.items()})


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


def path_value_facts(target: Target, key: str, line: int | None, value: str) -> DataPath:
    mapped = target.path(value)
    shown = target.unmap(mapped)
    absolute = value.startswith("/") or value.startswith("~")
    m = re.match(r"^/home/([^/]+)/", shown)
    return DataPath(key, line, shown, absolute, absolute and os.path.exists(mapped),
                    m.group(1) if m and m.group(1) != target.user else "", bool(PLACEHOLDER.search(value)))


def yaml_facts(target: Target, edit: Edit, text: str) -> Dict[str, Any]:
    """data_paths and set_values of a YAML config, or yaml_error (and its line)."""
    from ruamel.yaml import YAML  # lazy: ruamel.yaml (~30 modules) only for a YAML config
    from ruamel.yaml.error import YAMLError  # lazy: with the line above

    try:
        doc = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {"yaml_error": f"{getattr(exc, 'problem', None) or exc}", "yaml_error_line": mark.line + 1 if mark else None}
    except Exception as exc:  # noqa: BLE001 - any parser crash is a finding about the file
        return {"yaml_error": f"{type(exc).__name__}: {exc}"}
    data_paths: list[DataPath] = []
    current: Dict[str, SetValue] = {}
    wanted = {k for k, _ in edit.set}
    for dotted, key, value, line in _walk(doc):
        if dotted in wanted:
            current[dotted] = SetValue(_show(target, value), line)
        if key in edit.path_keys or key.endswith("data_dir"):
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str):
                    data_paths.append(path_value_facts(target, dotted, line, v))
                elif v is None:
                    data_paths.append(DataPath(dotted, line, "", False, False, "", True, empty=True))
    for dotted in wanted - set(current):
        current[dotted] = SetValue(None, None)
    return {"data_paths": tuple(data_paths), "set_values": current}


def _show(target: Target, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("/"):
        return target.unmap(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_as_source(path: str, src: str) -> bool | None:
    try:
        return _sha256(path) == _sha256(src)
    except OSError:
        return None


def edit_facts(target: Target, edit: Edit) -> EditFacts:
    path = target.path(edit.file)
    base: Dict[str, Any] = {"name": edit.name, "kind": edit.kind, "display": edit.file,
                            "exists": os.path.isfile(path)}
    if edit.copy_from:
        base["copy_from"] = CopySource(edit.copy_from, os.path.isfile(target.path(edit.copy_from)))
    if edit.set:
        base["expected"] = {k: target.unmap(target.path(v)) if v.startswith("/") or v.startswith("~") else v
                            for k, v in edit.set}
    if not base["exists"]:
        return EditFacts(**base, lexists=os.path.lexists(path))
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES)
    except OSError as exc:
        return EditFacts(**base, error=f"cannot be read: {exc.strerror or exc}")
    text = raw.decode("utf-8", errors="replace")
    placeholders = []
    for i, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        m = PLACEHOLDER.search(line)
        if m:
            placeholders.append(Placeholder(i, m.group(0), line.strip()[:200]))
    base["placeholders"] = tuple(placeholders[:50])
    if edit.kind == "copy" and edit.copy_from:
        base["same_as_source"] = _same_as_source(path, target.path(edit.copy_from))
    if edit.kind == "replace":
        base["replaced"] = {old[:80]: (new in text and old not in text) for old, new in edit.replace}
    if path.endswith((".yaml", ".yml")):
        base.update(yaml_facts(target, edit, text))
    return EditFacts(**base)


@collector("configs", ConfigsFacts)
def collect_configs(ctx: ProbeContext) -> ConfigsFacts:
    return ConfigsFacts({e.name: edit_facts(ctx.target, e) for e in ctx.recipe.edits})
