"""`envdoctor --install-completion [bash|zsh]`: tab completion, installed the way envdoctor
edits every dotfile.

typer's own installer rewrites the whole ~/.bashrc through Python's universal newlines (a
CRLF file becomes LF, a hard link is split, nothing is backed up). Here the completion
script goes into a file of its own (~/.bash_completions/envdoctor.sh, ~/.zfunc/_envdoctor),
and the lines that load it are appended to the rc file only when missing: the diff is
shown first, a backup `FILE.envdoctor-backup-<time>` is taken, and every other byte,
the line endings, the mode, the owner and hard links are kept.
"""
from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

from envdoctor.commands.common import err, out
from envdoctor.errors import UsageError

SHELLS = ("bash", "zsh")


def _script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="envdoctor", complete_var="_ENVDOCTOR_COMPLETE", shell=shell)


def _where(shell: str, home: Path) -> tuple[Path, Path, list[str]]:
    """(completion script file, rc file, the rc lines that load it)."""
    if shell == "bash":
        dest = home / ".bash_completions" / "envdoctor.sh"
        return dest, home / ".bashrc", [f"source '{dest}'"]
    dest = home / ".zfunc" / "_envdoctor"
    return dest, home / ".zshrc", ["fpath+=~/.zfunc", "autoload -Uz compinit", "compinit"]


def appended(old: str, lines: list[str]) -> str:
    """`old` with the lines it lacks appended, in its own line ending."""
    from envdoctor import files

    have = {line.rstrip("\r") for line in old.split("\n")}
    missing = [line for line in lines if line not in have]
    if not missing:
        return old
    nl = files.newline_of(old)
    sep = "" if not old or old.endswith("\n") else nl
    return old + sep + "".join(line + nl for line in missing)


def install(shell: str | None) -> int:
    from envdoctor import files
    from envdoctor.steps.dotfiles import diff

    shell = shell or os.path.basename(os.environ.get("SHELL", "") or "bash")
    if shell not in SHELLS:
        raise UsageError(f"completion can be installed for {' or '.join(SHELLS)}, not {shell!r}; "
                         f"give the shell: envdoctor --install-completion bash")
    home = Path(os.path.expanduser("~"))
    dest, rc, lines = _where(shell, home)
    dest.parent.mkdir(parents=True, exist_ok=True)
    files.write_text_atomic(dest, _script(shell))
    real = os.path.realpath(rc)
    old = files.decode(Path(real).read_bytes()) if os.path.exists(real) else ""
    new = appended(old, lines)
    if new == old:
        out(f"{shell} completion installed: {dest} (already loaded by ~/{rc.name})\n")
        return 0
    out(diff(old if os.path.exists(real) else None, new, f"~/{rc.name}"))
    _write_keeping(real, files.encode(new))
    out(f"{shell} completion installed: {dest}; open a new shell to use it\n")
    return 0


def _write_keeping(real: str, data: bytes) -> None:
    """Backup first, then an atomic rename keeping mode and owner (in place for a hard link)."""
    from envdoctor import files

    try:
        like = os.stat(real)
    except FileNotFoundError:
        files.write_replacing(real, f"{real}.envdoctor-tmp-{os.getpid()}", data, None)
        return
    from envdoctor.steps.base import BACKUP_TAG

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = f"{real}.{BACKUP_TAG}-{stamp}"
    shutil.copy2(real, backup)
    err(f"envdoctor: kept a backup of {real} in {backup}")
    if like.st_nlink > 1 or not files.write_replacing(real, f"{real}.envdoctor-tmp-{os.getpid()}", data, like):
        files.write_in_place(real, data)
