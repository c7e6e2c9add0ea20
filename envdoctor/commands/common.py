"""Small pieces several commands share: loading recipe + target, writing output files."""
from __future__ import annotations

import sys
from pathlib import Path

from envdoctor.diagnose import recipe_and_target  # noqa: F401 - re-exported: every command starts with it
from envdoctor.errors import UsageError
from envdoctor.files import write_text_atomic  # noqa: F401 - re-exported: the commands write files with it
from envdoctor.recipe import catalog


def one_platform(positional: str | None, option: str | None) -> str | None:
    """`snapshot groq` and `snapshot --platform groq` mean the same; both, differing, is an error."""
    if positional and option and positional != option:
        raise UsageError(f"two platforms given ({positional} and --platform {option}); give one")
    return positional or option


def platform_and_logs(args: tuple[Path, ...], option: str | None) -> tuple[str | None, tuple[Path, ...]]:
    """`bundle groq job.log`: a first argument that names a platform (and no file) is the platform."""
    if args and not args[0].exists() and str(args[0]) in catalog().platforms():
        return one_platform(str(args[0]), option), args[1:]
    return option, args


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
