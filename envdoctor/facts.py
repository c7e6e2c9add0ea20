"""Typed probe facts: one frozen dataclass per collector, round-tripped through JSON.

A collector returns an instance of its `Facts` subclass; checks read attributes, which
mypy checks, instead of walking nested dicts with `.get`. The JSON form is the dataclass
as a dict (field names are the wire names), so a probe recorded on a node loads back into
the same objects: `Kind.from_json(kind.to_json()) == kind`.

Field types are written with `typing` generics (`Tuple[str, ...]`, `Dict[str, X]`,
`Optional[X]`), never `list[...]` or `X | None`, because they are evaluated at load time
and envdoctor runs on Python 3.8. Sequences are tuples and mappings are read-only, so a
check cannot change the facts another check reads.
"""
from __future__ import annotations

import collections.abc
import dataclasses
import functools
import typing
from typing import Any, Dict, Mapping, Type, TypeVar

F = TypeVar("F", bound="Facts")
_NONE = type(None)


class FactsError(ValueError):
    """Recorded facts that do not fit their type (a probe from another version, or edited)."""


@dataclasses.dataclass(frozen=True)
class Facts:
    """Base of every collector's facts."""

    def to_json(self) -> Dict[str, Any]:
        return typing.cast(Dict[str, Any], _dump(self))

    @classmethod
    def from_json(cls: Type[F], data: Any) -> F:
        return typing.cast(F, _load(cls, data, cls.__name__))


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> Dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(tp: Any, value: Any, where: str) -> Any:
    """`value` (parsed JSON) as type `tp`; FactsError names the field that does not fit."""
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union:
        return _load_union(args, value, where)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _load_dataclass(tp, value, where)
    if origin in (tuple, list):
        return _load_sequence(origin, args, value, where)
    if origin in (dict, collections.abc.Mapping) or tp is dict:
        return _load_mapping(args, value, where)
    return _load_scalar(tp, value, where)


def _load_union(args: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and _NONE in args:
        return None
    problems = []
    for member in (a for a in args if a is not _NONE):
        try:
            return _load(member, value, where)
        except FactsError as exc:
            problems.append(str(exc))
    raise FactsError(problems[0] if problems else f"{where}: {value!r} fits none of {args}")


def _load_dataclass(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise FactsError(f"{where}: expected an object, found {type(value).__name__}")
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            kwargs[f.name] = _load(hints[f.name], value[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise FactsError(f"{where}.{f.name}: missing")
    return cls(**kwargs)


def _load_sequence(origin: Any, args: tuple[Any, ...], value: Any, where: str) -> Any:
    if not isinstance(value, (list, tuple)):
        raise FactsError(f"{where}: expected a list, found {type(value).__name__}")
    if origin is tuple and args and args[-1] is not Ellipsis:  # a fixed-length tuple: (name, version)
        if len(args) != len(value):
            raise FactsError(f"{where}: expected {len(args)} items, found {len(value)}")
        return tuple(_load(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    item = args[0] if args else Any
    loaded = [_load(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return tuple(loaded) if origin is tuple else loaded


def _load_mapping(args: tuple[Any, ...], value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise FactsError(f"{where}: expected an object, found {type(value).__name__}")
    item = args[1] if len(args) == 2 else Any
    return {str(k): _load(item, v, f"{where}.{k}") for k, v in value.items()}


def _load_scalar(tp: Any, value: Any, where: str) -> Any:
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # JSON writes 2.0 as 2
    if isinstance(tp, type) and isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    raise FactsError(f"{where}: expected {getattr(tp, '__name__', tp)}, found {type(value).__name__} {value!r:.40}")
