"""`edit`: the recipe's path edits in config files.

- `copy`: copy `copy_from` over `file` (the ALCF-prepared configs whose data_dir already
  points at the shared datasets);
- `yaml`: set dotted keys, round-trip with ruamel.yaml so comments and key order stay;
- `replace`: literal text replacements.

Values are templated from the target (`~`, the `/software` root, `{home}`, `{user}`). A
file inside a clone (`repo:`) may not resolve outside that clone (no `../`, no symlink
out); a file without a repo must stay under the home directory. Every write is atomic and
keeps the old content as `FILE.envdoctor-backup-<time>`; mode, owner and hard links are
kept, and a replace edit changes only the text it replaces (see steps/dotfiles).
"""
from __future__ import annotations

import io
import os
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from envdoctor.errors import StepFailed
from envdoctor.recipe import Edit, Step
from envdoctor.steps import dotfiles
from envdoctor.steps.base import Action, Context, Progress, command, fail, note, template


def is_done(step: Step, ctx: Context) -> str | None:
    edit, path = _edit(step, ctx), _file(step, ctx)
    shown = ctx.display(path)
    if edit.kind == "copy":
        if not os.path.exists(path):
            return f"{shown} does not exist (copy it from {edit.copy_from})"
        src = ctx.path(edit.copy_from)
        if not os.path.exists(src):
            return f"{edit.copy_from} does not exist on this node"
        return None if _read_bytes(path) == _read_bytes(src) else f"{shown} differs from {edit.copy_from}"
    text = dotfiles.read(path)
    if text is None:
        return f"{shown} does not exist"
    try:
        new = _edited(ctx, edit, text)
    except StepFailed as exc:
        return str(exc)
    return None if new == text else f"{shown} does not have the recipe's {_what(edit)}"


def plan(step: Step, ctx: Context) -> list[Action]:
    edit, path = _edit(step, ctx), _file(step, ctx)
    shown = ctx.display(path)
    problem = _outside(ctx, edit, path)
    if problem:
        return [note(problem)]
    old = dotfiles.read(path) if os.path.exists(path) else None
    if edit.kind == "copy":
        src = ctx.path(edit.copy_from)
        if not os.path.exists(src):
            return [note(f"{edit.copy_from} does not exist on this node: this step will fail")]
        new = _read_text_or_none(src)
        actions = [] if os.path.isdir(os.path.dirname(path)) else [command(["mkdir", "-p", ctx.display(os.path.dirname(path))])]
        actions.append(command(["cp", edit.copy_from, shown]))
        if new is not None:
            actions += dotfiles.edit_actions(ctx, path, old, new)
        return actions
    if old is None:
        return [note(f"after the clone: set {_what(edit)} in {shown}")]
    try:
        new = _edited(ctx, edit, old)
    except StepFailed as exc:
        return [note(str(exc))]
    return dotfiles.edit_actions(ctx, path, old, new)


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    edit, path = _edit(step, ctx), _file(step, ctx)
    problem = _outside(ctx, edit, path)
    if problem:
        raise fail(step, problem, "fix the recipe")
    if edit.kind == "copy":
        src = ctx.path(edit.copy_from)
        if not os.path.exists(src):
            raise fail(step, f"{edit.copy_from} does not exist on this node", "check the node's datasets")
        dotfiles.write(ctx, path, _read_bytes(src))
        return
    old = dotfiles.read(path)
    if old is None:
        raise fail(step, f"{ctx.display(path)} does not exist", "its clone step must run first")
    try:
        dotfiles.write(ctx, path, _edited(ctx, edit, old))
    except StepFailed as exc:
        raise fail(step, str(exc), "fix the file or the recipe") from None


def _edited(ctx: Context, edit: Edit, text: str) -> str:
    if edit.kind == "replace":
        for old, new in edit.replace:
            new = template(ctx, new)
            if old in text:
                text = text.replace(old, new)
            elif new not in text:
                raise StepFailed(f"{ctx.display(_path_of(ctx, edit))}: the text {old!r} to replace is not there")
        return text
    return _set_yaml(ctx, edit, text)


def _set_yaml(ctx: Context, edit: Edit, text: str) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise StepFailed(f"{ctx.display(_path_of(ctx, edit))} is not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        data = {}
    changed = False
    for dotted, value in edit.set:
        changed |= _set_key(ctx, edit, data, dotted, _value(ctx, value))
    if not changed:
        return text
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _set_key(ctx: Context, edit: Edit, data: Any, dotted: str, value: Any) -> bool:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not hasattr(node, "get"):
            raise StepFailed(f"{ctx.display(_path_of(ctx, edit))}: {dotted}: {part} is not a mapping")
        if node.get(part) is None:
            node[part] = CommentedMap()
        node = node[part]
    if not hasattr(node, "get"):
        raise StepFailed(f"{ctx.display(_path_of(ctx, edit))}: {dotted}: the parent is not a mapping")
    if parts[-1] in node and node[parts[-1]] == value:
        return False
    node[parts[-1]] = value
    return True


def _value(ctx: Context, text: str) -> Any:
    """A recipe value as YAML would read it (numbers stay numbers), templated when a string."""
    try:
        value = YAML(typ="safe").load(text)
    except Exception:  # noqa: BLE001 - anything YAML cannot read is a plain string
        value = text
    if isinstance(value, str) or value is None:
        return template(ctx, text)
    return value


def _outside(ctx: Context, edit: Edit, path: str) -> str:
    """Why `path` may not be written (empty when it may)."""
    real = os.path.realpath(path)
    if edit.repo:
        root = os.path.realpath(ctx.path(ctx.recipe.repo(edit.repo).dest))
        where = f"the clone {ctx.display(root)}"
    else:
        root, where = os.path.realpath(ctx.target.home), "the home directory"
    if real != root and not real.startswith(root + os.sep):
        return f"refusing to write {edit.file}: it is outside {where}"
    return ""


def _what(edit: Edit) -> str:
    if edit.kind == "yaml":
        return ", ".join(f"{k}: {v}" for k, v in edit.set)
    return ", ".join(f"{old!r} -> {new!r}" for old, new in edit.replace)


def _edit(step: Step, ctx: Context) -> Edit:
    name = step.get("edit")
    return next(e for e in ctx.recipe.edits if e.name == name)


def _file(step: Step, ctx: Context) -> str:
    return _path_of(ctx, _edit(step, ctx))


def _path_of(ctx: Context, edit: Edit) -> str:
    return ctx.path(edit.file)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise StepFailed(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_text_or_none(path: str) -> str | None:
    try:
        return _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None
