"""The tests mirror the package: a new module's tests have one obvious place.

tests/<path>/test_<module>.py tests envdoctor/<path>/<module>.py; tests/<path>/test_<package>.py
tests envdoctor/<path>/__init__.py; test_<module>_<aspect>.py is one more file for the same module
and test_<package>_<aspect>.py a file that spans several modules of that package. End-to-end and
cross-cutting suites live in tests/e2e/ and tests/hardening/. Helper and fixture modules (no
`test_` prefix) live in tests/ itself.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, Set

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "envdoctor"
CROSS_CUTTING = ("e2e", "hardening")
META = {"test_layout.py"}  # this file: it tests the tests
NOT_MODULES = {"payload", "__pycache__"}  # data shipped to simulated nodes, not envdoctor's code
# A ratchet: modules with a mirrored test file may grow, never shrink (raise it when they grow).
MIRRORED_AT_LEAST = 80


def _test_files() -> Iterator[Path]:
    for path in sorted(TESTS.rglob("test_*.py")):
        if "__pycache__" not in path.parts:
            yield path


def _modules_of(package: Path) -> Set[str]:
    """The names a test file in the mirror of `package` may start with: its modules and itself."""
    names = {p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    names.add("envdoctor" if package == PACKAGE else package.name)
    return names


def _misplaced(path: Path) -> str:
    """Why `path` does not mirror envdoctor, or "" when it does."""
    rel = path.relative_to(TESTS)
    if rel.parts[0] in CROSS_CUTTING or rel.name in META:
        return ""
    package = PACKAGE.joinpath(*rel.parts[:-1])
    if not (package / "__init__.py").is_file():
        return f"tests/{rel}: no package envdoctor/{'/'.join(rel.parts[:-1])} (use tests/e2e/ for end-to-end suites)"
    name = path.stem[len("test_"):]
    if any(name == m or name.startswith(m + "_") for m in _modules_of(package)):
        return ""
    where = "envdoctor/" + "/".join(rel.parts[:-1] + (name + ".py",))
    return f"tests/{rel}: no module {where} (name it test_<module>[_<aspect>].py)"


def modules() -> List[Path]:
    """envdoctor's own modules (packages count by their __init__), not the simulated node's payload."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if NOT_MODULES & set(parts) or path.name == "__main__.py":
            continue
        found.append(path)
    return found


def mirror_of(module: Path) -> Path:
    rel = module.relative_to(PACKAGE)
    if module.name == "__init__.py":
        name = "envdoctor" if len(rel.parts) == 1 else rel.parts[-2]
        return TESTS.joinpath(*rel.parts[:-1], f"test_{name}.py")
    return TESTS.joinpath(*rel.parts[:-1], f"test_{module.stem}.py")


def _tested(module: Path) -> bool:
    mirror = mirror_of(module)
    stem = mirror.stem
    return mirror.is_file() or any(p.stem.startswith(stem + "_") for p in mirror.parent.glob("test_*.py"))


def test_every_test_file_mirrors_a_module_or_is_end_to_end() -> None:
    misplaced = [why for why in map(_misplaced, _test_files()) if why]
    assert misplaced == []


def test_the_mirror_figure(capsys) -> None:
    """How many of envdoctor's modules have a test file at their mirrored path (printed with -s)."""
    mods = modules()
    tested = [m for m in mods if _tested(m)]
    with capsys.disabled():
        print(f"\ntests mirror {len(tested)} of {len(mods)} envdoctor modules")
    assert len(tested) >= MIRRORED_AT_LEAST, "a mirrored test file was moved or removed"
