from __future__ import annotations

import os
import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `envdoctor` command; returns the process exit code."""
    from envdoctor.errors import run_guarded

    _in_pyz()

    def _app() -> int:
        from envdoctor.cli import app

        # prog_name and complete_var fixed: `python3 envdoctor.pyz` and `python -m envdoctor`
        # show `envdoctor` in usage lines, and completion always answers to _ENVDOCTOR_COMPLETE.
        args = list(sys.argv[1:] if argv is None else argv)
        return app(args=args, prog_name="envdoctor", complete_var="_ENVDOCTOR_COMPLETE", standalone_mode=False) or 0

    return run_guarded(_app)


def _in_pyz() -> None:
    """Run from dist/envdoctor.pyz (shiv): make `sys.executable -m virtualenv` (and -m envdoctor) work.

    shiv unpacks the dependencies into ~/.cache/envdoctor/pyz/envdoctor_<build>/site-packages
    and puts that on sys.path of this process only; the bare interpreter that child
    processes start does not see it. A venv-shaped directory next to it (pyvenv.cfg, a
    bin/python link to this interpreter, a .pth naming the unpacked site-packages) is an
    interpreter that does, without PYTHONPATH leaking into the student's own pip and python.
    """
    if "_bootstrap" not in sys.modules or not sys.argv or not sys.argv[0].endswith(".pyz"):
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
