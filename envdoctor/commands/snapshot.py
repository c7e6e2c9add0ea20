"""`envdoctor snapshot`, `diff` and `bundle`: redacted records of an environment, ranked
differences between two of them, and a support bundle (snapshot + check report + logs).

Choices (see docs): `diff` of snapshots of two different platforms prints a warning and
compares only the parts that do not depend on the recipe (exit 0); `bundle` never
overwrites an existing file unless --yes is given: without it, the bundle goes to the first
free name `NAME.1.tar.gz`, `NAME.2.tar.gz`, ... (said in the listing before asking).
"""
from __future__ import annotations

import datetime
import gzip
import io
import json
import os
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

from envdoctor.commands.common import err, out, write_text_atomic
from envdoctor.errors import UsageError
from envdoctor.files import atomic_open

LOG_HEAD = 2 * 1024 * 1024  # bytes of a long log kept from its start ...
LOG_TAIL = 6 * 1024 * 1024  # ... and from its end (where the error usually is)
MAX_LINE = 64 * 1024  # read in pieces of this size; the redactor joins them (bounded memory)


# --- shared: which recipe and target -------------------------------------------------
def _resolve(platform: str | None, release: str | None, target: str, sim_root: str | None) -> tuple[Any, Any]:
    from envdoctor import targets
    from envdoctor.commands.common import recipe_and_target
    from envdoctor.snapshot import guess_recipe

    if platform:
        return recipe_and_target(platform, release, target, sim_root)
    if release:
        raise UsageError("--release goes with --platform")
    if target == "sim":
        if not sim_root:
            raise UsageError("--target sim without --platform needs --sim-root DIR")
        tgt = targets.open_sim(sim_root)
    else:
        tgt = targets.open_target(target, "", sim_root)
    return guess_recipe(tgt), tgt


def _redactor(anonymize: bool, target: Any) -> Any:
    from envdoctor.redact import Redactor

    return Redactor(anonymize=anonymize, users=[target.user], hosts=[target.hostname])


# --- snapshot ---------------------------------------------------------------------------
def snapshot(output: Path | None, platform: str | None, release: str | None, target: str,
             sim_root: str | None, anonymize: bool) -> int:
    from envdoctor.snapshot import build, dumps

    recipe, tgt = _resolve(platform, release, target, sim_root)
    snap = build(tgt, recipe, anonymize=anonymize, redactor=_redactor(anonymize, tgt))
    text = dumps(snap)
    if output is None or str(output) == "-":
        out(text)
    else:
        write_text_atomic(output, text, mode=0o600)
        what = f"{recipe.platform} {recipe.release}" if recipe else "generic parts only (no --platform)"
        err(f"envdoctor: snapshot of {tgt.describe()} ({what}) written to {output}")
    return 0


# --- diff -------------------------------------------------------------------------------
def diff(a: Path, b: Path, json_out: bool) -> int:
    from envdoctor.redact import redact_mapping, redact_text
    from envdoctor.snapdiff import compare, render_text
    from envdoctor.snapshot import load

    sa, sb = load(a), load(b)
    diffs, warnings = compare(sa, sb)
    if json_out:
        for w in warnings:
            err(f"envdoctor: warning: {w}")
        from envdoctor.reports.json_report import stamp

        doc = stamp({"schema": "envdoctor/diff@1", "differences": [d.to_dict() for d in diffs], "warnings": warnings})
        out(json.dumps(redact_mapping(doc), indent=2, ensure_ascii=False) + "\n")
    else:
        out(redact_text(render_text(diffs, warnings, str(a), str(b))))
    return 0


# --- bundle -----------------------------------------------------------------------------
@dataclass
class Member:
    name: str
    data: bytes
    redacted: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _check_log(path: Path) -> None:
    """Refuse, before anything is collected, a log that is not a regular file (a FIFO would
    hang the bundle, /dev/zero would never end), missing, unreadable or binary."""
    from envdoctor import safeio

    with safeio.open_binary(path, "log file", allow_stdin=False) as fh:
        try:
            head = fh.read(8192)
        except OSError as exc:
            raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\0" in head:
        raise UsageError(f"{path}: a binary file, not a text log; name text logs only")


def _log_lines(fh: IO[bytes], size: int, stats: dict[str, int]) -> Iterator[str]:
    """Decoded text of a log, in pieces of at most MAX_LINE bytes (a piece that does not end
    in a newline is continued by the next: the redactor joins them, and redacts a longer
    line in overlapping windows, so nothing is split before it is redacted). All of the log,
    or its first LOG_HEAD and last LOG_TAIL bytes with a note in between; the cuts are made
    at line ends (a cut inside a line drops the rest of that line, so that no fragment of a
    secret is left without its start). Reads stop at what fstat said at open: a log that
    grows while it is bundled (or a device) cannot make the bundle endless."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def decode(raw: bytes, final: bool = False) -> str:
        try:
            return decoder.decode(raw, final)
        except UnicodeDecodeError:
            decoder.reset()
            stats["invalid_utf8_lines"] = stats.get("invalid_utf8_lines", 0) + 1
            return raw.decode("utf-8", errors="replace")

    truncate = size > LOG_HEAD + LOG_TAIL
    head_limit = LOG_HEAD if truncate else size
    read = 0
    last = b"\n"
    while read < head_limit:
        raw = fh.readline(min(MAX_LINE, head_limit - read))
        if not raw:
            break
        read += len(raw)
        last = raw
        if truncate and read >= head_limit and not raw.endswith(b"\n"):
            # the cut word may be the start of a secret: omitted (what rb"\S+\Z" matches, found
            # from the end: that regex backtracks quadratically over a long word before a space)
            raw = raw[:max(raw.rfind(c) for c in b" \t\n\r\f\v") + 1]
        yield decode(raw)
    if not truncate:
        tail = decode(b"", final=True)
        if tail:
            yield tail
        return
    if not last.endswith(b"\n"):
        yield "\n"  # the head ends inside a line: what follows of it is omitted
    fh.seek(size - LOG_TAIL)
    skipped = 0
    while skipped < LOG_TAIL:  # to the start of a line
        raw = fh.readline(MAX_LINE)
        skipped += len(raw)
        if not raw or raw.endswith(b"\n"):
            break
    omitted = size - LOG_TAIL + skipped - read
    stats["omitted_bytes"] = omitted
    yield f"\n[envdoctor bundle: {omitted} bytes of this log omitted here; kept the first and last parts]\n\n"
    decoder.reset()
    left = LOG_TAIL - skipped
    while left > 0:
        raw = fh.readline(min(MAX_LINE, left))
        if not raw:
            return
        left -= len(raw)
        yield decode(raw)
    yield decode(b"", final=True)


def _log_member(path: Path, name: str, anonymize: bool, target: Any) -> Member:
    from envdoctor import safeio

    rd = _redactor(anonymize, target)
    stats: dict[str, int] = {}
    buf = io.BytesIO()
    with safeio.open_binary(path, "log file", allow_stdin=False) as fh:
        size = os.fstat(fh.fileno()).st_size
        for piece in rd.lines(_log_lines(fh, size, stats)):
            buf.write(piece.encode("utf-8"))
    notes = []
    if stats.get("omitted_bytes"):
        notes.append(f"truncated: {_human(size)} log, kept the first {_human(LOG_HEAD)} and last {_human(LOG_TAIL)}")
    if stats.get("invalid_utf8_lines"):
        notes.append(f"{stats['invalid_utf8_lines']} lines with invalid UTF-8 (bad bytes replaced)")
    return Member(name, buf.getvalue(), dict(rd.counts), "; ".join(notes))


def _free_name(path: Path) -> Path:
    if not path.exists():
        return path
    name = path.name
    stem, ext = (name[:-7], ".tar.gz") if name.endswith(".tar.gz") else (path.stem, path.suffix)
    for i in range(1, 10000):
        candidate = path.with_name(f"{stem}.{i}{ext}")
        if not candidate.exists():
            return candidate
    raise UsageError(f"{path}: too many bundles with this name; pass -o NEWNAME")


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _write_tar(path: Path, members: list[Member]) -> None:
    """Atomically: a temporary file in the same directory, renamed when complete."""
    now = int(datetime.datetime.now().timestamp())
    try:
        with atomic_open(path, 0o600, binary=True) as raw:
            # No file name and a fixed owner in the headers: nothing about this account leaks.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=now) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for m in members:
                        info = tarfile.TarInfo(m.name)
                        info.size, info.mtime, info.mode = len(m.data), now, 0o600
                        info.uid = info.gid = 0
                        info.uname = info.gname = ""
                        tar.addfile(info, io.BytesIO(m.data))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _listing(path: Path, members: list[Member], replaced: Path | None, overwrite: bool) -> str:
    lines = [f"envdoctor bundle: {path} will contain (secrets are removed; counts by kind):"]
    width = max(len(m.name) for m in members)
    for m in members:
        total = sum(m.redacted.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(m.redacted.items()))
        red = f"redacted {total} ({detail})" if total else "redacted 0"
        lines.append(f"  {m.name:<{width}}  {_human(len(m.data)):>10}  {red}" + (f"; {m.note}" if m.note else ""))
    if replaced is not None:
        lines.append(f"  ({replaced} exists and --yes was not given: writing {path} instead)")
    elif overwrite:
        lines.append(f"  ({path} exists: it will be replaced, as --yes was given)")
    return "\n".join(lines) + "\n"


def bundle(output: Path, logs: tuple[Path, ...], platform: str | None, release: str | None, target: str,
           sim_root: str | None, anonymize: bool, yes: bool) -> int:
    from envdoctor import __version__
    from envdoctor.snapshot import build, collect, dumps

    if not yes and not _stdin_is_tty():
        raise UsageError("bundle asks before writing, but standard input is not a terminal: add --yes")
    for log in logs:
        _check_log(Path(log))
    recipe, tgt = _resolve(platform, release, target, sim_root)
    members: list[Member] = []
    notes: list[str] = []

    rd = _redactor(anonymize, tgt)
    probe = collect(tgt, recipe, with_checks=True)  # one probe: the snapshot and the check report agree
    snap = build(tgt, recipe, anonymize=anonymize, redactor=rd, probe=probe)
    members.append(Member("snapshot.json", dumps(snap).encode("utf-8"), dict(rd.counts)))

    if recipe is not None:
        report = _check_report(recipe, tgt, release, target, sim_root, anonymize, notes, probe)
        if report is not None:
            members.append(report)
    else:
        notes.append("no check report: the platform is unknown (pass --platform)")

    used: set[str] = set()
    for log in logs:
        base = _redactor(anonymize, tgt).text(Path(log).name) or "log"
        name, i = f"logs/{base}", 2
        while name in used:
            name, i = f"logs/{i}-{base}", i + 1
        used.add(name)
        members.append(_log_member(Path(log), name, anonymize, tgt))

    redacted: dict[str, int] = {}
    for m in members:
        for k, v in m.redacted.items():
            redacted[k] = redacted.get(k, 0) + v
    manifest = {
        "schema": "envdoctor/bundle@1", "envdoctor_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "platform": recipe.platform if recipe else None, "release": recipe.release if recipe else None,
        "anonymized": anonymize,
        "members": [{"name": m.name, "bytes": len(m.data), "redacted": sum(m.redacted.values()),
                     **({"note": m.note} if m.note else {})} for m in members],
        "redacted": dict(sorted(redacted.items())), "notes": notes,
    }
    members.insert(0, Member("manifest.json", (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()))

    dest = Path(output)
    replaced = None
    if dest.exists() and not yes:
        replaced, dest = dest, _free_name(dest)
    out(_listing(dest, members, replaced, overwrite=dest.exists() and yes))
    for n in notes:
        out(f"  note: {n}\n")
    if not yes and not _confirm(f"Write {dest}? [y/N] "):
        err("envdoctor: bundle not written")
        return 1
    _write_tar(dest, members)
    out(f"wrote {dest} ({_human(dest.stat().st_size)})\n")
    return 0


def _check_report(recipe: Any, tgt: Any, release: str | None, target: str, sim_root: str | None, anonymize: bool,
                  notes: list[str], probe: Any = None) -> Member | None:
    from envdoctor.diagnose import CheckOptions, build_report

    rd = _redactor(anonymize, tgt)
    try:
        report = build_report(recipe, tgt, CheckOptions(recipe.platform, release, target, sim_root, offline=True),
                              probe)
    except UsageError as exc:
        notes.append(f"no check report: {exc}")
        return None
    data = rd.mapping(report.to_dict())
    return Member("check-report.json", (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                  dict(rd.counts))


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _confirm(prompt: str) -> bool:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")
