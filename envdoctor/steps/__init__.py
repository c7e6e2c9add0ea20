"""Setup step kinds: one module each, the same small interface, an explicit registry.

This file holds the schema of each kind's recipe fields (used when a recipe is loaded)
and the registry of kind modules, `registry() -> dict[str, StepKind]` (built on first use:
`check` never needs them).
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Mapping

from envdoctor.errors import closest

if TYPE_CHECKING:
    from envdoctor.steps.base import StepKind

# kind -> {field: (type, required, reference kind or "")}
STEP_FIELDS: Mapping[str, Mapping[str, tuple[type, bool, str]]] = {
    "conda-install": {},
    "shell-init": {"shell": (str, False, "")},
    "conda-env": {},
    "venv": {},
    "pip": {"args": (list, True, ""), "requires": (list, True, ""), "cwd": (str, False, ""),
            "remove_first": (list, False, ""), "title": (str, False, ""),
            "freeze_to": (str, False, "")},  # `pip list --format=freeze > FILE` first (GroqFlow's pinning)
    "git": {"repo": (str, True, "repo")},
    "edit": {"edit": (str, True, "edit")},
    "env-vars": {"variables": (list, True, "variable")},
    "conda-base": {},
    "sdk-enable": {"script": (str, True, ""), "variable": (str, True, "")},
    "fetch": {"url": (str, False, ""), "bundled": (str, False, ""), "dest": (str, True, "")},
    "inference-auth": {"helper": (str, True, "")},
}

def validate_step(kind: str, fields: Mapping[str, Any], names: Mapping[str, set[str]]) -> tuple[str, str] | None:
    """(key, problem) for the first thing wrong with a step's fields, or None."""
    if kind not in STEP_FIELDS:
        return "kind", f"unknown step kind {kind!r}: {closest(kind, sorted(STEP_FIELDS))}"
    spec = STEP_FIELDS[kind]
    for key in fields:
        if key not in spec:
            return key, f"a {kind} step does not take {key!r}" + (f"; it takes {', '.join(spec)}" if spec else "")
    for key, (typ, required, ref) in spec.items():
        if key not in fields:
            if required:
                return key, "is required"
            continue
        value = fields[key]
        if not isinstance(value, typ):
            return key, f"expected {'a list' if typ is list else 'a string'}"
        for item in value if isinstance(value, list) else [value]:
            if isinstance(value, list) and not isinstance(item, str):
                return key, "expected a list of strings"
            if ref and item not in names.get(ref, set()):
                return key, f"no {ref} named {item!r} in this recipe"
    return None


@lru_cache(maxsize=None)
def registry() -> Dict[str, StepKind]:
    """kind -> the module implementing it (a `StepKind`: is_done, plan, apply; steps/base.py).
    Built on first use, so that `check` never imports the step modules; each is imported by
    name, so a missing module fails here, and mypy checks every one against the protocol."""
    from envdoctor.steps import (  # lazy: `check` never imports a step module
        conda_base,
        conda_env,
        conda_install,
        edit,
        env_vars,
        fetch,
        git,
        inference_auth,
        pip,
        sdk_enable,
        shell_init,
        venv,
    )

    kinds: Dict[str, StepKind] = {
        "conda-install": conda_install,
        "shell-init": shell_init,
        "conda-env": conda_env,
        "venv": venv,
        "pip": pip,
        "git": git,
        "edit": edit,
        "env-vars": env_vars,
        "conda-base": conda_base,
        "sdk-enable": sdk_enable,
        "fetch": fetch,
        "inference-auth": inference_auth,
    }
    missing = set(STEP_FIELDS) ^ set(kinds)
    if missing:  # the schema and the implementations name the same kinds
        raise RuntimeError(f"step kinds without both a schema and a module: {', '.join(sorted(missing))}")
    return kinds


def module(kind: str) -> StepKind:
    """The module implementing a step kind (see steps/base.py for its interface)."""
    return registry()[kind]
