"""The lazily imported registries (launchers, metrics parsers) are type-checked by mypy
through a TYPE_CHECKING tuple in their package; these tests keep those tuples naming
exactly what the registries name, so a new entry cannot skip the check."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import envdoctor.launchers as launchers
import envdoctor.metrics as metrics


def _checked_imports(module_file: str) -> dict[str, str]:
    """name -> module of every import under `if TYPE_CHECKING:` that feeds the CHECKED tuple."""
    tree = ast.parse(Path(module_file).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            checked = next((n for n in node.body if isinstance(n, ast.AnnAssign)
                            and getattr(n.target, "id", "") == "CHECKED"), None)
            if checked is None:
                continue
            names = {getattr(e, "id", "") for e in getattr(checked.value, "elts", [])}
            for imp in (n for n in node.body if isinstance(n, ast.ImportFrom)):
                for alias in imp.names:
                    if alias.name in names:
                        found[alias.name] = f"{imp.module}.{alias.name}" if imp.module != "envdoctor.launchers" \
                            else f"envdoctor.launchers.{alias.name}"
    return found


def test_every_registered_launcher_module_is_checked_against_the_protocol() -> None:
    checked = set(_checked_imports(launchers.__file__).values())
    assert checked == set(launchers.LAUNCHERS.values())
    for name in launchers.LAUNCHERS:
        assert name == launchers.get(name).NAME


def test_every_registered_parser_class_is_checked_as_a_parser() -> None:
    checked = set(_checked_imports(metrics.__file__).values())
    registered = {f"{module}.{cls}" for module, cls in metrics._MODULES.values()}
    assert checked == registered
    for module, cls in metrics._MODULES.values():
        assert issubclass(getattr(importlib.import_module(module), cls), metrics.Parser)
