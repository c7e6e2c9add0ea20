"""A platform is data: no string literal in envdoctor's code names a platform, outside the few
places listed here with the reason each is code, not data.

What a platform is (hosts, scheduler, environment, packages, SDK tools and variables, the
simulated node's trees, wheels and upstreams, its place in class reports) lives in its recipe
(envdoctor/recipes/*.yaml); code reads it from the catalog (envdoctor.recipe.catalog). A literal
that appears here again is a table someone put back into code: move it into the recipe.
Docstrings and comments are not counted (they explain, they decide nothing); the payload of
the simulated node and the files the recipes ship (recipes/files/) are data, not envdoctor's code.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

PACKAGE = Path(__file__).resolve().parents[1].parent / "envdoctor"
NAMES = re.compile(r"cerebras|sambanova|graphcore|groq|metis", re.IGNORECASE)
NOT_CODE = ("targets/sim/payload/", "recipes/files/")

# path -> (at most this many literals, why they are code). The counts are a ratchet: lower them
# when literals go, never raise them to add one.
ALLOWED: Dict[str, Tuple[int, str]] = {
    # Parsers are named after the log format they read (a recipe's `metrics: graphcore` may serve
    # any platform that prints that format); the groq parser matches the `groq` row of GroqFlow's table.
    "metrics/__init__.py": (15, "the parser registry: format name -> module, class"),
    "metrics/cerebras.py": (1, "the parser's registry name"),
    "metrics/graphcore.py": (1, "the parser's registry name"),
    "metrics/sambanova.py": (1, "the parser's registry name"),
    "metrics/metis.py": (1, "the parser's registry name"),
    "metrics/groq.py": (2, "the parser's registry name; the `groq` row of the performance table"),
    # Launchers hold logic only one system needs (design.md: one module per such need); their
    # names are registry names a recipe's `launcher:` refers to, not platform names.
    "launchers/__init__.py": (4, "the launcher registry: name -> module"),
    "launchers/cerebras.py": (2, "the appliance launcher's name; csctl's directory /opt/cerebras/bin"),
    "launchers/sambanova.py": (1, "the compile-then-self-submit launcher's name"),
    "runner.py": (1, "asks for the `cerebras` launcher's config reader (a launcher name)"),
    # The accelerator simulator prints each vendor's real log lines (their text names the vendor).
    "targets/sim/accelsim/__main__.py": (2, "the workload names of the simulator's command line"),
    "targets/sim/accelsim/cerebras.py": (2, "the appliance's log lines"),
    "targets/sim/accelsim/groq.py": (6, "GroqFlow's log lines and cache directory"),
    # The inference service's stand-in: the real endpoint's URL path and the variable the bundled
    # client (recipes/files/metis_chat.py) reads; driven by a recipe's `extra.inference`.
    "targets/sim/inference.py": (3, "the service's real URL path, its client's variable, a thread name"),
    # `--help` is static and cached (it must not load recipes).
    "cli.py": (2, "the static help text"),
    # Messages that quote real text or give an example of a well-formed name.
    "checks/repo.py": (1, "quotes pip's real error message about the model zoo"),
    "knowledge/kb.py": (2, "the anchor words of healthy logs (a frequency prior); an example fault id"),
    "recipe.py": (1, "an example of a well-formed platform name in an error message"),
}


def _docstrings(tree: ast.AST) -> Set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def literals(path: Path) -> List[Tuple[int, str]]:
    """(line, text) of every string literal in `path` that names a platform (docstrings aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            and NAMES.search(node.value)]


def _code() -> List[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if "__pycache__" not in p.parts and not p.relative_to(PACKAGE).as_posix().startswith(NOT_CODE)]


def test_no_platform_name_literal_outside_the_allowed_places() -> None:
    extra = []
    for path in _code():
        rel = path.relative_to(PACKAGE).as_posix()
        found = literals(path)
        limit = ALLOWED.get(rel, (0, ""))[0]
        if len(found) > limit:
            extra.append(f"envdoctor/{rel}: {len(found)} platform literals (allowed {limit}): "
                         + "; ".join(f"line {n}: {text[:60]!r}" for n, text in found))
    assert extra == [], "\n".join(extra)


def test_the_allowed_list_names_real_files_with_a_reason() -> None:
    for rel, (limit, why) in ALLOWED.items():
        assert (PACKAGE / rel).is_file(), rel
        assert limit > 0 and why, rel


def test_the_scan_sees_a_literal_and_skips_docstrings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""Groq and Cerebras in a docstring."""\nTABLE = {"groq": 1}\nx = f"on {1} graphcore"\n')
    assert [n for n, _ in literals(sample)] == [2, 3]
