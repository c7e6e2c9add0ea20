from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `import typing`: 3 ms of the 30 that --help may cost
if TYPE_CHECKING:
    from typing import Callable, Sequence


HELP = ("--help", "-h")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `envdoctor` command; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    _in_pyz()
    if args == ["--version"]:
        from envdoctor import version_line

        print(version_line())
        return 0
    # `envdoctor [COMMAND...] --help`: the text typer rendered last time for this envdoctor, Python
    # and width. Importing typer and click alone costs 5-10 bare interpreter starts; help is
    # what a student runs first, on a shared login node (benchmarks/pyz_startup.py).
    help_key = _help_key(args) if args and args[-1] in HELP and not any(a.startswith("-") for a in args[:-1]) else None
    if help_key is not None:
        text = _cached_help(help_key)
        if text is not None:
            sys.stdout.write(text)
            return 0

    _unblock_interrupts()
    from envdoctor.errors import interrupted, run_guarded

    try:
        _start_check_early(args)
    except KeyboardInterrupt:  # Ctrl-C while the shells start: the same line as later on
        return interrupted()

    if args[:1] == ["--install-completion"]:  # not typer's: it rewrites ~/.bashrc whole (commands/completion.py)
        from envdoctor.commands.completion import install

        return run_guarded(lambda: install(args[1] if len(args) > 1 else None))

    def _app() -> int:
        from envdoctor.cli import app_for

        app = app_for(args)

        # prog_name and complete_var fixed: `python3 envdoctor.pyz` and `python -m envdoctor`
        # show `envdoctor` in usage lines, and completion always answers to _ENVDOCTOR_COMPLETE.
        def call() -> int:
            return app(args=args, prog_name="envdoctor", complete_var="_ENVDOCTOR_COMPLETE",
                       standalone_mode=False) or 0

        return call() if help_key is None else _render_help(call, help_key)

    return run_guarded(_app)


# `envdoctor check` options (cli.check) with a value (-> where it goes; None: not needed here)
# and without. Anything else (--only, --in-job, a typo, a new option) and no early start is made.
_CHECK_VALUES = {"--release": None, "-r": None, "--target": "target", "--sim-root": "sim_root",
                 "--junit": None, "--nodes": None, "--share": None}
_CHECK_FLAGS = {"--json", "--offline", "-v", "--verbose", "--fix", "--dry-run", "--yes", "-y", "--deep"}


def _start_check_early(args: list[str]) -> None:
    """`envdoctor check PLATFORM ...`: start the probe's shells before the recipe, typer and
    the checks are imported (shellcapture.start_early). typer still parses and validates the
    command line; a command line this simple reading does not follow just starts nothing."""
    if args[:1] != ["check"]:
        return
    found: dict[str, str | None] = {"target": "real", "sim_root": None}
    platform = None
    rest = iter(args[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in _CHECK_VALUES:
            value = value if eq else next(rest, "")
            key = _CHECK_VALUES[name]
            if not value:
                return
            if key:
                found[key] = value
        elif arg in _CHECK_FLAGS:
            continue
        elif arg.startswith("-") or platform is not None:
            return
        else:
            platform = arg
    if platform:
        from envdoctor.shellcapture import start_early

        start_early(platform, found["target"] or "real", found["sim_root"])


def _unblock_interrupts() -> None:
    """Ctrl-C, `kill` and a closed terminal must reach envdoctor (setup removes a half-made
    step on them) even when it was started with them blocked: a signal mask is inherited,
    and a parent that leaked one would leave envdoctor deaf to Ctrl-C. (An ignored SIGINT,
    as nohup or a background job sets it, is the parent's choice and stays ignored.)"""
    import signal

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def _help_key(args: list[str]) -> str | None:
    """What the help text depends on: envdoctor's cli.py (path, size, mtime), Python, width, argv."""
    try:
        st = os.stat(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cli.py"))
    except OSError:
        return None
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:  # as shutil.get_terminal_size, which click asks
        stdout = sys.__stdout__  # None when Python started without one
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout is not None else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    from envdoctor import __version__

    return " ".join([__version__, __file__, str(st.st_size), str(st.st_mtime_ns), "%d.%d" % sys.version_info[:2],
                     str(min(columns or 80, 80)), repr(args)])


def _help_file(key: str) -> str:
    import zlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "envdoctor", "help-%08x.txt" % zlib.crc32(key.encode("utf-8", "replace")))


def _cached_help(key: str) -> str | None:
    try:
        with open(_help_file(key), encoding="utf-8") as fh:
            first, text = fh.readline(), fh.read()
    except (OSError, ValueError):
        return None
    return text if first.rstrip("\n") == key and text else None


def _render_help(call: Callable[[], int], key: str) -> int:
    """Render help with typer, print it, and keep it for next time (any failure: just no cache)."""
    import io

    real, buffer = sys.stdout, io.StringIO()
    sys.stdout = buffer
    try:
        code = call()
    finally:
        sys.stdout = real
    text = buffer.getvalue()
    real.write(text)
    real.flush()
    if code == 0 and text.startswith("Usage:") and "\n" not in key:
        from envdoctor.files import atomic_open

        try:
            with atomic_open(_help_file(key)) as fh:
                fh.write(key + "\n" + text)
        except OSError:
            pass
    return code


def _in_pyz() -> None:
    """Run from dist/envdoctor.pyz (shiv): make `sys.executable -m virtualenv` (and -m envdoctor) work.

    shiv unpacks the dependencies into ~/.cache/envdoctor/pyz/envdoctor_<build>/site-packages
    and puts that on sys.path of this process only; the bare interpreter that child
    processes start does not see it. A venv-shaped directory next to it (pyvenv.cfg, a
    bin/python link to this interpreter, a .pth naming the unpacked site-packages) is an
    interpreter that does, without PYTHONPATH leaking into the student's own pip and python.
    """
    if pyz_file() is None:
        return
    site_packages = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.basename(site_packages) != "site-packages":
        return
    minor = "%d.%d" % sys.version_info[:2]
    shim = os.path.join(os.path.dirname(site_packages), "python" + minor)
    python = os.path.join(shim, "bin", "python")
    if not os.path.exists(os.path.join(shim, "pyvenv.cfg")):
        try:
            _make_shim(shim, site_packages, minor)
        except OSError:
            return  # read-only cache: child interpreters just lack envdoctor's dependencies
    sys.executable = python


def pyz_file() -> str | None:
    """The .pyz this process runs from (its launcher, scripts/pyz/launcher.py, says so), or None."""
    return getattr(sys.modules.get("__main__"), "ENVDOCTOR_PYZ", None)


def _make_shim(shim: str, site_packages: str, minor: str) -> None:
    import tempfile

    parent = os.path.dirname(shim)
    tmp = tempfile.mkdtemp(prefix=".python", dir=parent)
    real = os.path.realpath(sys.executable)
    os.makedirs(os.path.join(tmp, "bin"))
    os.symlink(real, os.path.join(tmp, "bin", "python"))
    lib = os.path.join(tmp, "lib", "python" + minor, "site-packages")
    os.makedirs(lib)
    with open(os.path.join(lib, "envdoctor-pyz.pth"), "w", encoding="utf-8") as fh:
        fh.write(site_packages + "\n")
    with open(os.path.join(tmp, "pyvenv.cfg"), "w", encoding="utf-8") as fh:
        fh.write(f"home = {os.path.dirname(real)}\ninclude-system-site-packages = false\n"
                 f"version = {sys.version.split()[0]}\n")
    try:
        os.rename(tmp, shim)
    except OSError:  # another envdoctor made it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.exists(os.path.join(shim, "pyvenv.cfg")):
            raise


if __name__ == "__main__":
    raise SystemExit(main())
