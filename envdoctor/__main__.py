from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `envdoctor` command; returns the process exit code."""
    from envdoctor.errors import run_guarded

    def _app() -> int:
        from envdoctor.cli import app

        return app(args=list(sys.argv[1:] if argv is None else argv), standalone_mode=False) or 0

    return run_guarded(_app)


if __name__ == "__main__":
    raise SystemExit(main())
