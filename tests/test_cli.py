"""The command line itself: --version, help for every argument, the kept help text, completion.

Run by scripts/test-pythons under Python 3.8 and the newest CPython too: everything here
goes through the real entry point (`python -m envdoctor`, a real bash for completion).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import click
import pytest

import envdoctor
from envdoctor.cli import app


def envdoctor_cmd(*argv: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "envdoctor", *argv], capture_output=True, text=True, input=stdin,
                          env=env if env is not None else dict(os.environ), timeout=120)


def commands(group: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name, sub in group.commands.items():
            yield from commands(sub, path + (name,))


# --- --version -----------------------------------------------------------------------------------

def test_version_names_envdoctor_and_the_python() -> None:
    done = envdoctor_cmd("--version")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    python = "%d.%d.%d" % sys.version_info[:3]
    assert line.startswith(f"envdoctor {envdoctor.__version__} (Python {python}, ")
    assert line.endswith(f"{sys.executable})")
    assert done.stderr == ""


def test_version_after_other_options_goes_through_typer() -> None:
    """`--version` is a real option of the app (typer's eager callback), not only the fast path."""
    import contextlib
    import io

    from envdoctor.__main__ import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["--version", "platforms"])
    assert rc == 0 and out.getvalue().startswith(f"envdoctor {envdoctor.__version__} (Python ")


def test_json_documents_carry_the_version(tmp_path: Path) -> None:
    done = envdoctor_cmd("explain", "--json", "-", stdin="ModuleNotFoundError: No module named 'poptorch'\n")
    doc = json.loads(done.stdout)
    assert list(doc)[:2] == ["schema", "envdoctor_version"] and doc["envdoctor_version"] == envdoctor.__version__
    assert doc["findings"], doc


# --- help ---------------------------------------------------------------------------------------

def test_every_argument_and_option_is_described() -> None:
    import typer.main

    root = typer.main.get_command(app)
    missing = []
    for path, cmd in commands(root):
        if not (cmd.help or "").strip():
            missing.append(" ".join(path) or "envdoctor")
        for param in cmd.params:
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"{' '.join(path) or 'envdoctor'} {param.name}")
    assert not missing, f"no help text: {missing}"


def test_arguments_show_their_help_in_the_help_page() -> None:
    done = envdoctor_cmd("check", "--help")
    assert done.returncode == 0
    assert re.search(r"PLATFORM\s+A platform from `envdoctor\s+platforms`", done.stdout), done.stdout
    diff = envdoctor_cmd("diff", "--help").stdout
    assert "The first snapshot" in diff and "The second snapshot" in diff


def _help_files() -> list[Path]:
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "envdoctor"
    return sorted(cache.glob("help-*.txt"))


def test_help_is_kept_and_served_the_same(tmp_path: Path) -> None:
    env = dict(os.environ, COLUMNS="100")
    first = envdoctor_cmd("--help", env=env)
    assert first.returncode == 0 and first.stdout.startswith("Usage: envdoctor [OPTIONS] COMMAND [ARGS]...")
    kept = _help_files()
    assert len(kept) == 1
    second = envdoctor_cmd("--help", env=env)
    assert second.stdout == first.stdout and second.returncode == 0
    # The kept file is what was served: change it, and the next --help shows the change.
    key, text = kept[0].read_text(encoding="utf-8").split("\n", 1)
    assert text == first.stdout
    kept[0].write_text(key + "\n" + text.replace("Commands:", "Commands (kept):"), encoding="utf-8")
    assert "Commands (kept):" in envdoctor_cmd("--help", env=env).stdout


def test_help_kept_per_width_and_per_command() -> None:
    narrow = envdoctor_cmd("check", "--help", env=dict(os.environ, COLUMNS="60"))
    wide = envdoctor_cmd("check", "--help", env=dict(os.environ, COLUMNS="80"))
    assert narrow.stdout != wide.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    assert re.match(r"Usage: envdoctor setup \[OPTIONS\] \{?PLATFORM\}?\n", envdoctor_cmd("setup", "-h").stdout)
    assert len(_help_files()) == 3
    # Served from the kept files, still per width and command.
    assert envdoctor_cmd("check", "--help", env=dict(os.environ, COLUMNS="60")).stdout == narrow.stdout


def test_help_of_an_unknown_command_is_an_error_and_not_kept() -> None:
    done = envdoctor_cmd("chek", "--help")
    assert done.returncode == 2 and "No such command 'chek'" in done.stderr and "check" in done.stderr
    assert _help_files() == []


def test_unwritable_cache_still_prints_help(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    done = envdoctor_cmd("--help", env=dict(os.environ, XDG_CACHE_HOME=str(blocked)))
    assert done.returncode == 0 and done.stdout.startswith("Usage: envdoctor")


# --- completion ---------------------------------------------------------------------------------

def test_show_completion_prints_the_bash_script() -> None:
    """--show-completion detects the shell it runs in (here: bash, through shellingham)."""
    done = subprocess.run(["bash", "-c", f"{sys.executable} -m envdoctor --show-completion; exit $?"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_ENVDOCTOR_COMPLETE=complete_bash" in done.stdout
    assert "complete -o default -F _envdoctor_completion envdoctor" in done.stdout


def test_zsh_script_and_answers() -> None:
    """zsh users: `_ENVDOCTOR_COMPLETE=source_zsh envdoctor > ~/.zfunc/_envdoctor` (README)."""
    script = envdoctor_cmd(env=dict(os.environ, _ENVDOCTOR_COMPLETE="source_zsh"))
    assert "#compdef envdoctor" in script.stdout and "compdef _envdoctor_completion envdoctor" in script.stdout
    answer = envdoctor_cmd(env=dict(os.environ, _ENVDOCTOR_COMPLETE="complete_zsh",
                                    _TYPER_COMPLETE_ARGS="envdoctor sim cr"))
    assert answer.returncode == 0 and '"create":"Build a simulated node for PLATFORM."' in answer.stdout


def _bash_complete(words: str, tmp_path: Path) -> list[str]:
    """Source the completion script in a real bash and ask it to complete `words`."""
    script = envdoctor_cmd("--show-completion", "bash").stdout
    (tmp_path / "completion.sh").write_text(script, encoding="utf-8")
    wrapper = tmp_path / "bin" / "envdoctor"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m envdoctor \"$@\"\n", encoding="utf-8")
    wrapper.chmod(0o755)
    func = re.search(r"complete .*-F (\S+) envdoctor", script)
    assert func, script
    test = (f"source {tmp_path / 'completion.sh'}\n"
            f"COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
            f"COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}\n"
            f"{func.group(1)} envdoctor \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n"
            f"printf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    env = dict(os.environ, PATH=f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", test], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_commands_and_options(tmp_path: Path) -> None:
    assert "check" in _bash_complete("envdoctor ch", tmp_path)
    assert _bash_complete("envdoctor sim cr", tmp_path) == ["create"]
    assert "--offline" in _bash_complete("envdoctor check groq --off", tmp_path)


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_script_loads(tmp_path: Path) -> None:
    script = envdoctor_cmd("--show-completion", "zsh").stdout
    (tmp_path / "_envdoctor").write_text(script, encoding="utf-8")
    done = subprocess.run(["zsh", "-f", "-c", f"autoload -U compinit; compinit -u; source {tmp_path / '_envdoctor'}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- start-up -----------------------------------------------------------------------------------

def test_help_and_version_do_not_import_typer() -> None:
    """What keeps `--help` within a few bare interpreter starts (benchmarks/pyz_startup.py)."""
    envdoctor_cmd("--help")  # keep the text
    probe = ("import sys, runpy; sys.argv = ['envdoctor', ARG]\n"
             "try:\n    runpy.run_module('envdoctor', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('typer' in sys.modules, 'click' in sys.modules, file=sys.stderr)\n")
    for arg in ("--help", "--version"):
        done = subprocess.run([sys.executable, "-c", probe.replace("ARG", repr(arg))], capture_output=True, text=True,
                              timeout=60)
        assert done.stderr.strip().splitlines()[-1] == "False False", (arg, done.stderr)
