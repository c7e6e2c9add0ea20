"""envdoctor: set up and diagnose the software environments of AI accelerator testbeds."""
from __future__ import annotations

import os
import sys

__version__ = "0.1.0"


def version_line() -> str:
    """`envdoctor --version`: the version, and which Python runs it (3.8 nodes vs newer ones matter)."""
    from envdoctor.__main__ import pyz_file  # lazy: the entry point sits above every module

    python, where, pyz = sys.executable, "", pyz_file()
    if pyz:
        # sys.executable is then the shim that sees the unpacked dependencies (__main__._in_pyz)
        python, where = os.path.realpath(python), " from " + pyz
    return f"envdoctor {__version__} (Python {sys.version.split()[0]}, {python}){where}"
