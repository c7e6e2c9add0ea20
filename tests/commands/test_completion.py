"""`--install-completion`: the completion script in a file of its own, the rc file only
appended to, shown first, backed up, with its line endings, mode and hard links kept."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _install(home: Path, *shell: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "SHELL": "/bin/bash", "XDG_CACHE_HOME": str(home / ".cache")}
    return subprocess.run([sys.executable, "-m", "envdoctor", "--install-completion", *shell], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_bash_appends_one_line_to_a_crlf_hard_linked_bashrc(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    rc = home / ".bashrc"
    original = b"# mine\r\nalias ll='ls -l'\r\n# \xe2\x80\xa8 a separator in a comment\r\n"
    rc.write_bytes(original)
    rc.chmod(0o600)
    os.link(rc, tmp_path / "bashrc-link")
    got = _install(home)
    assert got.returncode == 0, got.stderr
    assert "+source '" in got.stdout, "the diff is shown"
    data = rc.read_bytes()
    assert data.startswith(original) and data.endswith(b".bash_completions/envdoctor.sh'\r\n")
    assert (tmp_path / "bashrc-link").read_bytes() == data, "the hard link is kept"
    assert oct(rc.stat().st_mode & 0o777) == "0o600"
    backups = list(home.glob(".bashrc.envdoctor-backup-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert "_ENVDOCTOR_COMPLETE" in (home / ".bash_completions" / "envdoctor.sh").read_text()
    again = _install(home, "bash")
    assert again.returncode == 0 and rc.read_bytes() == data and "already loaded" in again.stdout


def test_zsh_and_an_unknown_shell(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert _install(home, "zsh").returncode == 0
    assert (home / ".zshrc").read_text() == "fpath+=~/.zfunc\nautoload -Uz compinit\ncompinit\n"
    assert (home / ".zfunc" / "_envdoctor").is_file()
    fish = _install(home, "fish")
    assert fish.returncode == 2 and len(fish.stderr.strip().splitlines()) == 1
