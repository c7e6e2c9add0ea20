"""Config checks: the files the recipe edits or copies, their data paths and placeholders."""
from __future__ import annotations

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.collectors.configs import ConfigsFacts, EditFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Edit, Recipe

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (ConfigsFacts,)


def edit_commands(edit: Edit) -> list[str]:
    if edit.kind == "copy" or (edit.copy_from and not edit.set):
        return [f"cp {edit.copy_from} {edit.file}"]
    if edit.kind == "yaml":
        return [f"# in {edit.file} set:"] + [f"#   {k}: {v}" for k, v in edit.set]
    return [f"# in {edit.file} replace {old!r} with {new!r}" for old, new in edit.replace]


def _missing(edit: Edit, recipe: Recipe) -> str:
    if edit.repo:
        return f"{edit.file} does not exist (is the {edit.repo} clone there? see repo.cloned)"
    return f"{edit.file} does not exist"


def _edit(probe: Probe, edit: Edit) -> EditFacts:
    """The facts of `edit`'s file (an edit the collector did not see reads as a missing file)."""
    found = probe.of(ConfigsFacts).edits.get(edit.name)
    return found if found is not None else EditFacts(edit.name, edit.kind, edit.file, False)


@check("config.data-dir", "config", "data paths in the course's config files are absolute and exist", step="edit",
       applies=lambda r: bool(r.edits))
def data_dir(probe: Probe, recipe: Recipe) -> Outcome:
    problems, cmds, good = [], [], []
    for edit in recipe.edits:
        f = _edit(probe, edit)
        if not f.exists:
            problems.append(_missing(edit, recipe))
            if edit.copy_from and f.copy_from is not None and not f.copy_from.exists:
                problems[-1] += f"; its source {edit.copy_from} is missing too (wrong node?)"
            cmds += edit_commands(edit)
            continue
        if f.error:
            problems.append(f"{edit.file} {f.error}")
            continue
        if f.yaml_error:
            line = f":{f.yaml_error_line}" if f.yaml_error_line else ""
            problems.append(f"{edit.file}{line} is not valid YAML: {f.yaml_error}")
            cmds += edit_commands(edit) if edit.copy_from else []
            continue
        for key, want in f.expected.items():
            have = (f.set_values or {}).get(key)
            value, at = (have.value, have.line) if have is not None else (None, None)
            if value != want:
                line = f":{at}" if at else ""
                problems.append(f"{edit.file}{line}: {key} is {value!r}, the course sets {want}")
                cmds.append(f"# {edit.file}{line}: {key.rsplit('.', 1)[-1]}: {want}")
        for p in f.data_paths or ():
            where = f"{edit.file}:{p.line}" if p.line else edit.file
            label = f"{where}: {p.key}: {p.value or '(empty)'}"
            if p.empty or not p.value:
                problems.append(f"{label} is empty")
            elif p.placeholder:
                problems.append(f"{label} is still a placeholder")
            elif not p.absolute:
                problems.append(f"{label} is relative: it resolves against the directory the run starts in, and "
                                "fails with \"Path ... does not exist\"")
            elif p.other_user:
                problems.append(f"{label} is under another user's home ({p.other_user}): copied from someone "
                                "else's config")
            elif not p.exists:
                problems.append(f"{label} does not exist")
            else:
                good.append(label)
                continue
            if edit.copy_from:
                cmds.append(f"cp {edit.copy_from} {edit.file}")
            else:
                cmds.append(f"# {where}: set {p.key.rsplit('.', 1)[-1]} to an absolute path under "
                            "/software/.../dataset")
    if not problems:
        return ok(*good) if good else ok("the config files are in place")
    return fail("; ".join(problems), "copy the ALCF-prepared configs (their data_dir already points at the shared "
                "datasets), or set each data_dir to an existing absolute path", list(dict.fromkeys(cmds)), good)


@check("config.placeholders", "config", "no template placeholders left in the course's config files", step="edit",
       applies=lambda r: bool(r.edits))
def placeholders(probe: Probe, recipe: Recipe) -> Outcome:
    found, cmds, seen = [], [], 0
    for edit in recipe.edits:
        f = _edit(probe, edit)
        if not f.exists:
            continue
        seen += 1
        for p in f.placeholders:
            found.append(f"{edit.file}:{p.line}: `{p.text}` ({p.match})")
        if f.placeholders:
            cmds += edit_commands(edit) if edit.copy_from else [f"grep -n -e '/path/to' -e '<user' -e 'CHANGE' {edit.file}"]
    if not seen:
        return skip("none of the config files exists yet (see config.data-dir)")
    if not found:
        return ok(f"{seen} config file(s) scanned")
    return warn("template placeholders are still in the config: " + "; ".join(found[:6])
                + (f"; and {len(found) - 6} more" if len(found) > 6 else ""),
                "replace each placeholder with the real value (your username, an absolute dataset path)",
                list(dict.fromkeys(cmds)), found)
