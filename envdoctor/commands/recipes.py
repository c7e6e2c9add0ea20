"""`envdoctor recipe validate FILE...`."""
from __future__ import annotations

from pathlib import Path

from envdoctor.commands.common import err, out
from envdoctor.errors import EXIT_USAGE, RecipeErrors, UsageError
from envdoctor.recipe import load


def validate(files: tuple[Path, ...]) -> int:
    bad = 0
    for f in files:
        try:
            r = load(f)
        except RecipeErrors as exc:
            for one in exc.errors:
                err(f"envdoctor: {one}")
            bad += 1
            continue
        except UsageError as exc:
            err(f"envdoctor: {exc}")
            bad += 1
            continue
        if r.unsourced:  # every fact names its source (envdoctor.recipe_sources)
            for key in r.unsourced:
                err(f"envdoctor: {f}: {key}: states facts without a `source:` (a citation, or `unsourced: why`)")
            bad += 1
            continue
        out(f"{f}: ok ({r.platform} {r.release}: {len(r.steps)} steps, {len(r.runs)} reference runs, "
            f"{len(r.citations)} cited)\n")
    return EXIT_USAGE if bad else 0
