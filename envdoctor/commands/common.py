"""Small pieces several commands share: loading recipe + target, writing output files."""
from __future__ import annotations

import sys
from pathlib import Path

from envdoctor.errors import UsageError
from envdoctor.files import write_text_atomic  # noqa: F401 - re-exported: the commands write files with it
from envdoctor.recipe import Recipe, catalog
from envdoctor.targets import Target, open_target


def recipe_and_target(platform: str, release: str | None, target: str, sim_root: str | None) -> tuple[Recipe, Target]:
    recipe = catalog().get(platform, release)
    tgt = open_target(target, platform, sim_root)
    built = tgt.built_for()
    if built and built[1] and release is None:
        # A simulated node is built for one release; check it against that release.
        recipe = catalog().get(platform, built[1])
    return recipe, tgt


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
