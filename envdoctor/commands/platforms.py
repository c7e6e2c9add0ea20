"""`envdoctor platforms`: what envdoctor knows, and what this host is."""
from __future__ import annotations

from pathlib import Path

from envdoctor.commands.common import out
from envdoctor.recipe import RECIPE_DIR, catalog
from envdoctor.reports import style_for
from envdoctor.targets import real


def platforms() -> int:
    style = style_for()
    host = real()
    lines = [style.bold("platform    release            this host   about")]
    here = []
    for platform in catalog().platforms():
        for r in catalog().releases(platform):
            role = host.node_role(r.hosts.login, r.hosts.run)
            if role != "other":
                here.append(f"{r.platform} ({role} node)")
            mark = "default" if r.default else ""
            note = f"retired: {r.retired.split('.')[0]}" if r.retired else r.title
            lines.append(f"{r.platform:<11} {r.release:<18} {role if role != 'other' else '-':<11} {note} {style.dim(mark)}")
    # Recipes from $ENVDOCTOR_RECIPE_PATH: a platform added as data says where it came from.
    outside = [r for r in catalog().recipes if Path(r.path).resolve().parent != RECIPE_DIR.resolve()]
    if outside:
        lines.append("")
        lines += [f"{r.platform} {r.release}: {r.path}" for r in outside]
    lines.append("")
    lines.append(f"this host: {host.hostname} -> " + (", ".join(here) if here else
                 "not a testbed node; use --target sim to work on a simulated node"))
    out("\n".join(lines) + "\n")
    return 0
