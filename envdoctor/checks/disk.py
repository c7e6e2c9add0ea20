"""Disk checks: room in home (and in the quota) for what the recipe installs and writes."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, warn
from envdoctor.collectors.disk import DiskFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (DiskFacts,)


@check("disk.free", "disk", "enough free space and quota in home for the course", applies=lambda r: r.disk_gb > 0)
def free(probe: Probe, recipe: Recipe) -> Outcome:
    disk = probe.of(DiskFacts)
    home = disk.home
    need = recipe.disk_gb
    if home.error:
        return fail(f"cannot measure free space in ~: {home.error}", "check that your home is mounted",
                    ["df -h ~"])
    free_gb = home.free_gb
    evidence = [f"~ filesystem: {free_gb:.1f} GB free of {home.total_gb:.1f} GB"]
    tightest: float | None = None
    for row in disk.quota.rows if disk.quota else ():
        evidence.append(f"quota {row.filesystem}: used {row.used} of {row.quota} (limit {row.limit})")
        if row.over:
            return fail(f"you are over your quota on {row.filesystem} (used {row.used}, quota {row.quota})",
                        "delete old checkpoints, caches and envs (~/.cache/pip, model_dir_*/checkpoint_*.mdl)",
                        ["quota -s", "du -sh ~/.cache ~/* 2>/dev/null | sort -h | tail"], evidence)
        if row.free_gb is not None and (tightest is None or row.free_gb < tightest):
            tightest = row.free_gb
    if disk.quota_note:
        evidence.append(disk.quota_note)
    if disk.quota and disk.quota.error:
        evidence.append(f"{disk.quota.tool}: {disk.quota.error}")
    avail = min(free_gb, tightest) if tightest is not None else free_gb
    if avail < need:
        what = "quota room" if tightest is not None and tightest < free_gb else "free space"
        return fail(f"only {avail:.1f} GB of {what} in ~, and {recipe.title} needs about {need:g} GB (env, clones, "
                    "checkpoints)", "free space in ~ (old envs, ~/.cache/pip, checkpoints) or ask for more quota",
                    ["du -sh ~/.cache ~/* 2>/dev/null | sort -h | tail", "pip cache purge"], evidence)
    if avail < need * 1.5:
        return warn(f"{avail:.1f} GB available in ~, close to the {need:g} GB the course needs",
                    "free some space before the run writes checkpoints", ["du -sh ~/* 2>/dev/null | sort -h | tail"],
                    evidence)
    return ok(*evidence)
