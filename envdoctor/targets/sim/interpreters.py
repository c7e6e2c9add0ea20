"""Find the host interpreters that play each Python version a recipe asks for.

virtualenv 21 cannot create environments for Python 3.8, so a recipe's 3.8 is played by the
nearest host interpreter virtualenv can seed (3.9 or newer); sim.json records the choice so
checks expect the played version (`Target.expected_python`).
"""
from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass
from typing import AbstractSet

from envdoctor import proc
from envdoctor.errors import UsageError

MIN_SEEDABLE = (3, 9)  # oldest Python virtualenv 21 can create an environment for


@dataclass(frozen=True)
class Interpreter:
    path: str  # the real executable on this machine
    version: str  # its full version, e.g. "3.10.13"

    @property
    def minor(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)


def _candidates() -> list[str]:
    """Executables named pythonX.Y, in the order of preference of the brief/internals."""
    found: list[str] = []
    found += sorted(glob.glob("/root/.pyenv/versions/*/bin/python3.*"))
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3.*")))
    found += sorted(glob.glob("/usr/bin/python3.*")) + sorted(glob.glob("/usr/local/bin/python3.*"))
    found.append(sys.executable)
    return [p for p in dict.fromkeys(found) if re.search(r"python3(\.\d+)?$", p) and os.access(p, os.X_OK)]


_CACHE: list[Interpreter] | None = None


def host_interpreters() -> list[Interpreter]:
    """Every usable CPython 3 on this machine, one per minor version (first found wins)."""
    global _CACHE
    if _CACHE is not None:
        return _CACHE
    by_minor: dict[tuple[int, int], Interpreter] = {}
    for path in _candidates():
        version = _version_of(path)
        if not version:
            continue
        interp = Interpreter(os.path.realpath(path) if path != sys.executable else path, version)
        by_minor.setdefault(interp.minor, interp)
    _CACHE = [by_minor[k] for k in sorted(by_minor)]
    return _CACHE


def _version_of(path: str) -> str:
    # The file name says which minor it claims; ask the interpreter itself to be sure.
    done = proc.run([path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], timeout=10)
    return done.stdout.strip() if done.ok and re.fullmatch(r"3\.\d+\.\d+", done.stdout.strip()) else ""


def _as_tuple(version: str) -> tuple[int, int]:
    parts = [int(x) for x in re.findall(r"\d+", version)[:2]]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def play(version: str, exclude: AbstractSet[tuple[int, int]] = frozenset()) -> Interpreter:
    """The host interpreter that plays recipe Python `version` ("3.8", "3.10.12").

    Same minor when virtualenv can seed it, else the nearest seedable minor (newer first:
    code written for 3.8 runs on 3.9, not on 3.7)."""
    want = _as_tuple(version)
    usable = [i for i in host_interpreters() if i.minor >= MIN_SEEDABLE and i.minor not in exclude]
    if not usable:
        raise UsageError(f"no Python >= {MIN_SEEDABLE[0]}.{MIN_SEEDABLE[1]} found on this machine to play Python {version}; "
                         "install one (e.g. with pyenv)")
    return min(usable, key=lambda i: (abs(i.minor[1] - want[1]) if i.minor[0] == want[0] else 99, i.minor < want))


def other_than(minors: set[tuple[int, int]]) -> Interpreter | None:
    """A seedable interpreter of a minor version none of `minors` has (the "system python3")."""
    usable = [i for i in host_interpreters() if i.minor >= MIN_SEEDABLE and i.minor not in minors]
    if not usable:
        return None
    # Prefer an older one, like the RHEL/Ubuntu system python3 next to a newer course python.
    older = [i for i in usable if all(i.minor < m for m in minors)]
    return (older or usable)[-1] if older else usable[0]
