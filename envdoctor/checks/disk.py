"""Disk checks: room in home (and in the quota) for what the recipe installs and writes."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, warn
from envdoctor.checks.host import facts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe


@check("disk.free", "disk", "enough free space and quota in home for the course", applies=lambda r: r.disk_gb > 0)
def free(probe: Probe, recipe: Recipe) -> Outcome:
    disk = facts(probe, "disk")
    home = disk.get("home") or {}
    need = recipe.disk_gb
    if home.get("error"):
        return fail(f"cannot measure free space in ~: {home['error']}", "check that your home is mounted",
                    ["df -h ~"])
    free_gb = home.get("free_gb", 0.0)
    evidence = [f"~ filesystem: {free_gb:.1f} GB free of {home.get('total_gb', 0):.1f} GB"]
    quota = disk.get("quota") or {}
    tightest = None
    for row in quota.get("rows", []):
        evidence.append(f"quota {row['filesystem']}: used {row['used']} of {row['quota']} (limit {row['limit']})")
        if row.get("over"):
            return fail(f"you are over your quota on {row['filesystem']} (used {row['used']}, quota {row['quota']})",
                        "delete old checkpoints, caches and envs (~/.cache/pip, model_dir_*/checkpoint_*.mdl)",
                        ["quota -s", "du -sh ~/.cache ~/* 2>/dev/null | sort -h | tail"], evidence)
        if row.get("free_gb") is not None and (tightest is None or row["free_gb"] < tightest):
            tightest = row["free_gb"]
    if disk.get("quota_note"):
        evidence.append(disk["quota_note"])
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
