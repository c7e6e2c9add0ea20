"""`check --share DIR`: put the JSON report where a course collects them.

The report lands as `DIR/<user>/<platform>.json`: written to a temporary file in the same
directory and renamed, so an instructor's `class report` never reads half a file; readable
by the course's group (0640 in a 0750 directory; when the shared directory is setgid the
user's directory keeps the setgid bit, so its files get the project's group rather than
the student's own); redacted,
since a project directory is read by the whole class.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from envdoctor.errors import UsageError
from envdoctor.files import atomic_open
from envdoctor.results import Report

# A user name as it becomes a directory: no separators, no leading dot.
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def safe_name(name: str, fallback: str = "unknown") -> str:
    cleaned = _SAFE.sub("_", name).lstrip(".")
    return cleaned or fallback


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """The report with secrets masked (envdoctor.redact when present; see below)."""
    try:
        from envdoctor.redact import redact_mapping
    except ImportError:  # redact.py is written by another engineer; fall back to a local pass
        return _fallback_redact(data)
    return redact_mapping(data)


_SECRET_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<cred>[^/@\s:]+(:[^/@\s]*)?)@", re.I)
_SECRET_KV = re.compile(r"(?i)\b(token|password|passwd|secret|api[_-]?key|access[_-]?key)(\s*[=:]\s*)(\S+)")


def _fallback_redact(value: Any) -> Any:
    """Masks credentials in URLs and `token=...`-style pairs; used only until envdoctor.redact lands."""
    if isinstance(value, dict):
        return {k: _fallback_redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fallback_redact(v) for v in value]
    if isinstance(value, str):
        value = _SECRET_URL.sub(lambda m: m.group("scheme") + "***@", value)
        return _SECRET_KV.sub(lambda m: m.group(1) + m.group(2) + "***", value)
    return value


def write_shared(report: Report, directory: Path) -> Path:
    """Write `report` to DIR/<user>/<platform>.json atomically; return the path written."""
    directory = Path(directory).expanduser()
    user = safe_name(report.user or _current_user())
    data = report.to_dict()
    data.setdefault("user", report.user or _current_user())
    text = json.dumps(redacted(data), indent=2, ensure_ascii=False) + "\n"
    user_dir = directory / user
    file_mode, dir_mode = _modes(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not user_dir.exists():
            user_dir.mkdir(mode=dir_mode)
            os.chmod(user_dir, dir_mode)  # mkdir's mode is cut by the umask
        target = user_dir / f"{safe_name(report.platform)}.json"
        with atomic_open(target, file_mode) as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write the shared report under {directory}: {exc.strerror or exc}; "
                         f"check that the directory exists and your group can write to it") from None
    return target


def _modes(directory: Path) -> tuple[int, int]:
    """(file mode, directory mode). In a setgid course directory, keep the bit on the
    user's directory so that its files inherit the course's group, not the student's."""
    try:
        st = directory.stat()
    except OSError:
        return 0o640, 0o750
    if st.st_mode & stat.S_ISGID:
        return 0o640, 0o2750
    return 0o640, 0o750


def _current_user() -> str:
    from envdoctor.targets import _user

    return _user()
