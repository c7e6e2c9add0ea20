"""A small content-addressed cache for data that is slow to parse but cheap to reload.

Parsing YAML with ruamel (recipes, the fault knowledge base) costs tens to hundreds of
milliseconds per start; the validated plain data reloads from JSON in about a millisecond.
The key covers the file's text and the code that interprets it, so a change to either
means a miss. Any problem reading or writing just means "no cache".
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "envdoctor"


def _file(kind: str, *material: str | bytes) -> Path:
    digest = hashlib.sha256()
    for part in material:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return _directory() / f"{kind}-{digest.hexdigest()[:24]}.json"


def read(kind: str, *material: str | bytes) -> Any:
    """The cached value for this key material, or None."""
    try:
        return json.loads(_file(kind, *material).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # a damaged or planted file is a miss, never a crash
        return None


def write(kind: str, value: Any, *material: str | bytes) -> None:
    target = _file(kind, *material)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh)
        os.replace(tmp, target)
    except (OSError, TypeError, ValueError):
        pass
