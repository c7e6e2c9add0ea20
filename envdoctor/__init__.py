"""envdoctor: set up and diagnose the software environments of AI accelerator testbeds."""
from __future__ import annotations

__version__ = "0.1.0"


def version_line() -> str:
    """`envdoctor --version`: the version, and which Python runs it (3.8 nodes vs newer ones matter)."""
    import sys

    python, where = sys.executable, ""
    if sys.argv and sys.argv[0].endswith(".pyz"):
        import os

        # sys.executable is then the shim that sees the unpacked dependencies (__main__._in_pyz)
        python, where = os.path.realpath(python), " from " + sys.argv[0]
    return f"envdoctor {__version__} (Python {sys.version.split()[0]}, {python}){where}"
