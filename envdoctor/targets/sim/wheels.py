"""A tiny wheel writer and the node's wheelhouse of stand-in packages.

A wheel is a zip holding the package files plus `<name>-<version>.dist-info/` with METADATA,
WHEEL and RECORD (sha256, urlsafe base64 without padding, and the size of every file). Writing
them by hand keeps the sim independent of setuptools/wheel and makes builds reproducible:
every zip entry gets the same fixed timestamp, so the same input gives byte-identical wheels.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Iterable, Mapping

if TYPE_CHECKING:
    from envdoctor.recipe import Recipe, SimWheel

BACKEND = Path(__file__).with_name("payload") / "build_backend" / "envdoctor_sim_build.py"


@dataclass(frozen=True)
class Dist:
    """One distribution to build: name and version as on PyPI (or in the vendor's SDK)."""

    name: str
    version: str
    files: Mapping[str, str]  # path inside the wheel -> text
    requires: tuple[str, ...] = ()
    summary: str = ""
    requires_python: str = ">=3.8"
    entry_points: Mapping[str, str] = field(default_factory=dict)  # console script -> module:func
    filename_version: str = ""  # vendor wheels keep their own spelling (poptorch's +113432_...)
    tag: str = "py3-none-any"

    @property
    def dist_info(self) -> str:
        return f"{_escape(self.name)}-{self.version}.dist-info"

    @property
    def filename(self) -> str:
        return f"{_escape(self.name)}-{self.filename_version or self.version}-{self.tag}.whl"


def _backend() -> ModuleType:
    """The wheel writer shared with the upstreams' in-tree build backend (one implementation)."""
    spec = importlib.util.spec_from_file_location("envdoctor_sim_build", BACKEND)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _escape(name: str) -> str:
    return str(_backend().escape(name))


def write_wheel(dist: Dist, directory: str | os.PathLike[str]) -> Path:
    """Write `dist` as a wheel into `directory`; returns its path."""
    backend = _backend()
    top_level = {p.split("/")[0] for p in dist.files if "/" in p or p.endswith(".py")}
    contents: dict[str, bytes] = {p: t.encode("utf-8") for p, t in sorted(dist.files.items())}
    contents.update(backend.dist_info_files(
        dist.name, dist.version, summary=dist.summary, requires=dist.requires, requires_python=dist.requires_python,
        entry_points=dict(dist.entry_points), tag=dist.tag, top_level=top_level))
    path = Path(directory) / dist.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    backend.write_wheel(str(path), contents, dist.dist_info)
    return path


def package_files(directory: str | os.PathLike[str], prefix: str = "") -> dict[str, str]:
    """The .py (and data) files of a source package directory, as wheel paths -> text."""
    root = Path(directory)
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            rel = path.relative_to(root.parent).as_posix()
            files[prefix + rel] = path.read_text(encoding="utf-8")
    return files


# --- the stand-in packages ------------------------------------------------------------

# Why stand-ins at all: the real vendor wheels exist only on the testbeds (or are huge);
# checks only need the real distribution names, versions and import names. Which ones a
# node has is data: each recipe's `sim.wheels` (envdoctor.recipe.SimWheel).
def _module(doc: str, version: str, extra: str = "") -> str:
    return f'"""{doc} (envdoctor simulated-node stand-in)."""\n__version__ = "{version}"\n{extra}'


def recipe_dists(wheel: SimWheel, payload: str | os.PathLike[str], accelsim: bool) -> list[Dist]:
    """The distributions one `sim.wheels` entry stands for (one per version)."""
    extra = Path(payload, wheel.code).read_text(encoding="utf-8") if wheel.code else ""
    parts = wheel.module.split(".")
    top = "/".join(parts)
    requires = tuple(r for r in wheel.requires if accelsim or r != "accelsim")
    out = []
    for version in wheel.versions:
        shown = wheel.module_version or version
        # A dotted name leaves its parents namespace packages (cerebras.pytorch shares
        # `cerebras` with the model zoo).
        files = {f"{top}/__init__.py": _module(wheel.summary or wheel.name, shown, extra)}
        for sub in wheel.submodules:
            files[sub.replace(".", "/") + "/__init__.py"] = f'"""{sub} (envdoctor simulated-node stand-in)."""\n'
        out.append(Dist(wheel.name, version, files, requires, f"{wheel.summary or wheel.name} (stand-in)",
                        filename_version=wheel.filename_version))
    return out


def standin_dists(accelsim_dir: str | os.PathLike[str] | None,
                  recipes: Iterable[Recipe] | None = None) -> list[Dist]:
    """Every stand-in distribution of the wheelhouse: the `sim.wheels` of `recipes` (default:
    every recipe of the catalog, so any node can rehearse any course's pins), plus accelsim
    when its source exists."""
    if recipes is None:
        from envdoctor.recipe import catalog

        recipes = catalog().recipes
    accel = Path(accelsim_dir) if accelsim_dir and Path(accelsim_dir, "__init__.py").is_file() else None
    dists: list[Dist] = []
    seen: set[tuple[str, str]] = set()
    for recipe in recipes:
        sim = recipe.sim
        if sim is None:
            continue
        for wheel in sim.wheels:
            for dist in recipe_dists(wheel, sim.payload, accel is not None):
                if (dist.name, dist.version) not in seen:
                    seen.add((dist.name, dist.version))
                    dists.append(dist)
    if accel is not None:
        dists.append(Dist("accelsim", _accelsim_version(accel), package_files(accel), (),
                          "envdoctor accelerator simulator"))
    return dists


def _accelsim_version(directory: Path) -> str:
    match = re.search(r'__version__\s*=\s*["\']([^"\']+)', (directory / "__init__.py").read_text(encoding="utf-8"))
    return match.group(1) if match else "0.1.0"


def seed_wheels() -> list[Path]:
    """pip and setuptools wheels embedded in virtualenv (offline `pip install --upgrade pip`)."""
    try:
        import virtualenv.seed.wheels.embed as embed
    except ImportError:  # pragma: no cover - virtualenv is a dependency
        return []
    folder = Path(embed.__file__).parent
    return sorted(p for p in folder.glob("*.whl") if p.name.startswith(("pip-", "setuptools-", "wheel-")))


def build_wheelhouse(directory: str | os.PathLike[str], dists: Iterable[Dist]) -> list[Path]:
    """Write every stand-in wheel and copy the seed wheels into `directory`."""
    out = [write_wheel(d, directory) for d in dists]
    for wheel in seed_wheels():
        target = Path(directory) / wheel.name
        shutil.copyfile(wheel, target)
        out.append(target)
    return out
