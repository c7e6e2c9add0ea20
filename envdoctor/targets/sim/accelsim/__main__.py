"""`python -m accelsim sambanova compile|run ...`: entry points for shell-script workloads."""
from __future__ import annotations

import sys


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] != "sambanova":
        sys.stderr.write("usage: python -m accelsim sambanova compile|run [options]\n")
        return 2
    from .sambanova import main as sambanova

    return sambanova(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
