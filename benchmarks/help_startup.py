"""`envdoctor --help` against a bare interpreter start (lazy imports keep it close)."""
from __future__ import annotations

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_side_by_side, time_command  # noqa: E402


def main() -> None:
    envdoctor = shutil.which("envdoctor") or sys.exit("envdoctor is not on PATH (pip install -e .)")
    rows = [
        ("python -c pass", time_command([sys.executable, "-c", "pass"], repeat=10)),
        ("python -m envdoctor --help", time_command([sys.executable, "-m", "envdoctor", "--help"], repeat=10)),
        ("envdoctor --help", time_command([envdoctor, "--help"], repeat=10)),
    ]
    print_side_by_side(rows, baseline="python -c pass")


if __name__ == "__main__":
    main()
