"""A minimal PEP 517 / PEP 660 build backend for the simulated upstreams, and the wheel writer.

Why: the simulated node's editable installs (`pip install -e modelzoo`, groqflow,
demo_helpers) went through setuptools, which spent seconds per project on every node
built. The skeletons keep a `setup.py` for people to read, but declare this backend in
pyproject.toml (`backend-path = ["_build"]`) with their metadata in `setup.cfg`, so pip
builds them in milliseconds with the interpreter of the env, offline, with no
build dependencies. It is standard library only and runs on Python 3.8+.

setup.cfg keys read: [metadata] name, version, summary; [options] packages (top-level
package names, space or newline separated), package_dir (`src` for a src layout),
install_requires, python_requires; [options.entry_points] console_scripts; and
[envdoctor_sim] editable_only / refusal (the model zoo refuses non-editable installs).
"""
from __future__ import annotations

import base64
import configparser
import hashlib
import os
import re
import zipfile
from typing import Dict, Iterable, Optional, Tuple

FIXED_TIME = (2024, 11, 15, 0, 0, 0)  # every zip entry's timestamp: reproducible wheels
GENERATOR = "envdoctor-sim (hand-made)"


# --- the wheel writer (also used by envdoctor's wheelhouse of stand-in packages) ---------

def escape(name: str) -> str:
    """Wheel file and dist-info names use the normalised name with '_' (PEP 427/491)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata_text(name: str, version: str, summary: str, requires: Iterable[str], requires_python: str) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             f"Summary: {summary or 'envdoctor simulated-node stand-in for ' + name}",
             f"Requires-Python: {requires_python}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n\n"


def dist_info_files(name: str, version: str, *, summary: str = "", requires: Iterable[str] = (),
                    requires_python: str = ">=3.8", entry_points: Optional[Dict[str, str]] = None,
                    tag: str = "py3-none-any", top_level: Iterable[str] = ()) -> Dict[str, bytes]:
    """The dist-info members of a wheel, except RECORD."""
    info = f"{escape(name)}-{version}.dist-info"
    files = {
        f"{info}/METADATA": metadata_text(name, version, summary, requires, requires_python).encode(),
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
        f"{info}/top_level.txt": "".join(f"{t}\n" for t in sorted(set(top_level))).encode(),
    }
    if entry_points:
        files[f"{info}/entry_points.txt"] = ("[console_scripts]\n" + "".join(
            f"{k} = {v}\n" for k, v in sorted(entry_points.items()))).encode()
    return files


def write_wheel(path: str, contents: Dict[str, bytes], dist_info: str) -> str:
    """Write `contents` (+ a RECORD) as the wheel at `path`, atomically; returns its name."""
    contents = dict(contents)
    record = "".join(f"{p},{_record_hash(b)},{len(b)}\n" for p, b in contents.items())
    contents[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in contents.items():
            entry = zipfile.ZipInfo(member, FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    os.replace(tmp, path)
    return os.path.basename(path)


# --- the PEP 517 / 660 hooks ------------------------------------------------------------

def _config() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.optionxform = str  # type: ignore[assignment,method-assign]  # keep console script names as written
    cfg.read("setup.cfg", encoding="utf-8")
    return cfg


def _words(value: str) -> Tuple[str, ...]:
    return tuple(w for w in re.split(r"[\s,]+", value.strip()) if w)


def _project() -> Dict[str, object]:
    cfg = _config()
    meta, opts = cfg["metadata"], cfg["options"] if cfg.has_section("options") else {}
    scripts = cfg["options.entry_points"].get("console_scripts", "") if cfg.has_section("options.entry_points") else ""
    entry_points = dict(line.split("=", 1) for line in scripts.strip().splitlines() if "=" in line)
    return {
        "name": meta["name"], "version": meta["version"], "summary": meta.get("summary", ""),
        "packages": _words(opts.get("packages", "")), "package_dir": opts.get("package_dir", "").strip(),
        "requires": tuple(r.strip() for r in opts.get("install_requires", "").strip().splitlines() if r.strip()),
        "requires_python": opts.get("python_requires", ">=3.8"),
        "entry_points": {k.strip(): v.strip() for k, v in entry_points.items()},
        "editable_only": cfg.getboolean("envdoctor_sim", "editable_only", fallback=False),
        "refusal": cfg.get("envdoctor_sim", "refusal", fallback=""),
    }


def _dist_info(project: Dict[str, object]) -> str:
    return f"{escape(str(project['name']))}-{project['version']}.dist-info"


def _wheel_name(project: Dict[str, object]) -> str:
    return f"{escape(str(project['name']))}-{project['version']}-py3-none-any.whl"


def _info_files(project: Dict[str, object]) -> Dict[str, bytes]:
    return dist_info_files(str(project["name"]), str(project["version"]), summary=str(project["summary"]),
                           requires=project["requires"], requires_python=str(project["requires_python"]),  # type: ignore[arg-type]
                           entry_points=project["entry_points"], top_level=project["packages"])  # type: ignore[arg-type]


def get_requires_for_build_wheel(config_settings=None):  # noqa: D103 - PEP 517 hook
    return []


def get_requires_for_build_editable(config_settings=None):  # noqa: D103 - PEP 660 hook
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):  # noqa: D103
    project = _project()
    for member, data in _info_files(project).items():
        target = os.path.join(metadata_directory, member)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(data)
    return _dist_info(project)


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):  # noqa: D103
    """A wheel whose .pth puts the source tree on sys.path (what setuptools' editable does)."""
    project = _project()
    source_root = os.path.abspath(str(project["package_dir"]) or ".")
    contents = dict(_info_files(project))
    contents[f"__editable__.{escape(str(project['name']))}.pth"] = (source_root + "\n").encode()
    return write_wheel(os.path.join(wheel_directory, _wheel_name(project)), contents, _dist_info(project))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):  # noqa: D103
    project = _project()
    if project["editable_only"]:
        raise RuntimeError(str(project["refusal"]).replace("{here}", os.path.abspath(".")))
    contents = dict(_info_files(project))
    base = str(project["package_dir"]) or "."
    for package in project["packages"]:  # type: ignore[attr-defined]
        for folder, _dirs, names in os.walk(os.path.join(base, str(package))):
            if "__pycache__" in folder:
                continue
            for name in sorted(names):
                full = os.path.join(folder, name)
                with open(full, "rb") as fh:
                    contents[os.path.relpath(full, base).replace(os.sep, "/")] = fh.read()
    return write_wheel(os.path.join(wheel_directory, _wheel_name(project)), contents, _dist_info(project))


def build_sdist(sdist_directory, config_settings=None):  # noqa: D103
    raise RuntimeError("the simulated upstreams are installed from their clones; no sdist")
