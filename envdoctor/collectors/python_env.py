"""Python facts: the recipe's interpreter, the recipe's environment, and ~/.local.

All package facts of the environment come from ONE process started with the env's own
interpreter (its distributions as importlib.metadata finds them, direct_url.json for
editable installs, where each required import resolves). The env directory itself (pyvenv.cfg, conda-meta, the
bin/python symlink) is read from disk, so a broken env is described, not crashed on.

The facts are `PythonEnvFacts` (checks read `probe.of(PythonEnvFacts)`); field names are
the keys of the probe's JSON form.
"""
from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Mapping, Optional, Tuple

from envdoctor import proc
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.targets import Target


@dataclass(frozen=True)
class PythonFile:
    """An interpreter file as found on disk (never started to find out)."""

    path: str
    exists: bool
    symlink: bool
    broken: bool  # a symlink whose target is gone
    executable: bool
    link_target: str = ""  # symlinks only: what the link says
    resolved: str = ""  # symlinks only: where it ends


@dataclass(frozen=True)
class Interpreter(PythonFile):
    """The recipe's interpreter (`environment.interpreter`), and its version when it starts."""

    recipe: str = ""  # the path as the recipe spells it
    version: str = ""
    error: str = ""  # why it did not start


@dataclass(frozen=True)
class CfgHome:
    """The `home = ...` directory of pyvenv.cfg: the base Python the venv was built from."""

    path: str
    exists: bool
    has_python: bool


@dataclass(frozen=True)
class Dist:
    """A distribution the env's python finds (importlib.metadata), in sys.path order."""

    name: str
    version: str
    location: str = ""
    editable: bool = False  # direct_url.json says `pip install -e`
    url: str = ""
    in_user_site: bool = False  # found in ~/.local, not in the env
    url_path: str = ""  # file:// urls only: the directory it was installed from


@dataclass(frozen=True)
class ImportSpec:
    """Where `import <name>` resolves in the env (importlib.util.find_spec)."""

    found: bool
    origin: str = ""
    in_user_site: bool = False
    error: str = ""


@dataclass(frozen=True)
class EnvRun:
    """What the env's own interpreter says about itself: ok=False with `error` when it did not run.

    When it ran, `error` may still say why the distributions could not be listed."""

    ok: bool
    error: str = ""
    duration_ms: int = 0
    version: str = ""
    executable: str = ""
    prefix: str = ""
    base_prefix: str = ""
    enable_user_site: bool = False
    user_site: str = ""
    sys_path: Tuple[str, ...] = ()
    dists: Tuple[Dist, ...] = ()
    imports: Dict[str, ImportSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvFacts:
    """The recipe's environment directory; the rest is filled in only as far as it exists."""

    kind: str
    exists: bool
    path: str
    display: str = ""  # the path as the recipe spells it (~/...)
    lexists: bool = False  # something (a file, a dangling symlink) is there
    pyvenv_cfg: Optional[Dict[str, str]] = None  # None: no pyvenv.cfg
    conda_meta: bool = False
    python: Optional[PythonFile] = None  # bin/python
    cfg_home: Optional[CfgHome] = None
    run: Optional[EnvRun] = None  # None: bin/python is not executable, so it was not started


@dataclass(frozen=True)
class UserDist:
    """A distribution in ~/.local, read from its metadata."""

    name: str
    version: str
    requires: Tuple[str, ...] = ()  # Requires-Dist names, extras left out


@dataclass(frozen=True)
class UserSite:
    """~/.local/lib/pythonX.Y/site-packages, read from disk."""

    dir: str
    exists: bool
    dists: Tuple[UserDist, ...] = ()
    pth: Tuple[str, ...] = ()  # .pth and .egg-link path hooks
    bin: Tuple[str, ...] = ()  # ~/.local/bin (first 200 names)
    error: str = ""


@dataclass(frozen=True)
class PythonEnvFacts(Facts):
    """The recipe's interpreter, its environment and ~/.local."""

    kind: str  # the recipe's environment kind: venv, conda, system
    required: str  # the Python version the recipe pins ("" when none)
    expected: str  # the version that plays it on this target (a simulated node may use another)
    env: EnvFacts
    user_site: UserSite
    interpreter: Optional[Interpreter] = None  # only when the recipe names an interpreter


# Runs inside the env's interpreter (Python >= 3.6 syntax). It finds distributions as
# importlib.metadata.distributions() does (every *.dist-info and *.egg-info entry of each
# sys.path directory, in directory order, then EGG-INFO inside *.egg directories; zipped
# entries are left out) and reads Name and Version from the metadata's header block, without
# importing importlib.metadata: that import (email, zipfile, csv, pathlib) is most of the
# script's cost, on a node where every check pays it.
ENV_SCRIPT = r"""
import json, os, site, sys
out = {"version": "%d.%d.%d" % tuple(sys.version_info[:3]), "executable": sys.executable,
       "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
       "enable_user_site": bool(site.ENABLE_USER_SITE), "user_site": site.getusersitepackages(),
       "sys_path": [p for p in sys.path if p], "dists": [], "imports": {}, "error": ""}

def norm(p):  # str(pathlib.PurePosixPath(p)): what importlib.metadata reports as the location
    lead = "//" if p.startswith("//") and not p.startswith("///") else "/" if p.startswith("/") else ""
    return (lead + "/".join(x for x in p.split("/") if x and x != ".")) or "."

def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (IOError, OSError):
        return None

def header(info):  # the metadata's header block, first value of each field
    text = (read(os.path.join(info, "METADATA")) or read(os.path.join(info, "PKG-INFO"))
            if os.path.isdir(info) else read(info))
    fields = {}
    for line in (text or "").splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and line[:1] not in " \t":
            fields.setdefault(key.strip().lower(), value.strip())
    return fields

def infos(root):
    try:
        names = os.listdir(root or ".")
    except (IOError, OSError):
        return []
    groups = {}  # 3.10+ (importlib.metadata's Lookup): by project, in order of first appearance
    for n in names:
        if n.lower().endswith((".dist-info", ".egg-info")):
            key = n.lower().rpartition(".")[0].partition("-")[0].replace(".", "_")
            while "__" in key:  # runs of - _ . are one separator (importlib.metadata's normalize)
                key = key.replace("__", "_")
            groups.setdefault(key if sys.version_info >= (3, 10) else n, []).append(n)
    found = [n for group in groups.values() for n in group]
    if os.path.basename(root).lower().endswith(".egg"):
        found += [n for n in names if n.lower() == "egg-info"]
    return [os.path.join(root, n) for n in found]

try:
    for root in sys.path:
        for info in infos(root):
            fields = header(info)
            if not fields.get("name"):
                continue
            item = {"name": fields["name"], "version": fields.get("version", ""), "location": norm(root),
                    "editable": False, "url": ""}
            du = read(os.path.join(info, "direct_url.json")) if os.path.isdir(info) else None
            if du:
                try:
                    du = json.loads(du)
                    item["url"] = du.get("url", "")
                    item["editable"] = bool(du.get("dir_info", {}).get("editable"))
                except Exception:
                    pass
            out["dists"].append(item)
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, exc)
import importlib.util
for name in sys.argv[1:]:
    try:
        spec = importlib.util.find_spec(name)
        out["imports"][name] = {"found": spec is not None,
                                "origin": (spec.origin or (list(spec.submodule_search_locations or []) or [""])[0]) if spec else ""}
    except Exception as exc:
        out["imports"][name] = {"found": False, "origin": "", "error": "%s: %s" % (type(exc).__name__, exc)}
print(json.dumps(out))
"""

VERSION_SCRIPT = "import sys; print('%d.%d.%d' % tuple(sys.version_info[:3]))"


def describe_python(target: Target, path: str) -> PythonFile:
    """Is `path` a usable interpreter file? (without starting it)"""
    exists, symlink = os.path.exists(path), os.path.islink(path)
    link_target = resolved = ""
    if symlink:
        link = os.readlink(path)
        link_target = target.unmap(link) if link.startswith("/") else link
        resolved = target.unmap(os.path.realpath(path))
    return PythonFile(path=target.unmap(path), exists=exists, symlink=symlink, broken=symlink and not exists,
                      executable=exists and os.path.isfile(path) and os.access(path, os.X_OK),
                      link_target=link_target, resolved=resolved)


def interpreter_version(path: str, timeout: float, env: Dict[str, str]) -> Tuple[str, str]:
    """(version, "") or ("", why it did not start)."""
    done = proc.run([path, "-c", VERSION_SCRIPT], timeout=timeout, env=env, cwd="/")
    if done.ok:
        return done.stdout.strip(), ""
    return "", done.describe()


def read_pyvenv_cfg(env_dir: str) -> Optional[Dict[str, str]]:
    path = os.path.join(env_dir, "pyvenv.cfg")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    cfg = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            cfg[key.strip()] = value.strip()
    return cfg


def user_site_dir(home: str, xy: str) -> str:
    return os.path.join(home, ".local", "lib", f"python{xy}", "site-packages")


def scan_user_site(target: Target, xy: str) -> UserSite:
    """Distributions pip put in ~/.local/lib/pythonX.Y/site-packages (read from disk)."""
    directory = user_site_dir(target.home, xy)
    shown = target.unmap(directory)
    if not os.path.isdir(directory):
        return UserSite(shown, False)
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        return UserSite(shown, True, error=exc.strerror or str(exc))
    dists, pth = [], []
    for name in names:
        m = re.fullmatch(r"(.+?)-([^-]+?)\.(dist-info|egg-info)", name)
        if m:
            dists.append(UserDist(m.group(1), m.group(2), tuple(_requires(os.path.join(directory, name)))))
        elif name.endswith((".pth", ".egg-link")):
            pth.append(name)
    try:
        bin_names = tuple(sorted(os.listdir(os.path.join(target.home, ".local", "bin")))[:200])
    except OSError:
        bin_names = ()
    return UserSite(shown, True, tuple(dists), tuple(pth), bin_names)


def _requires(dist_dir: str) -> list[str]:
    """Names a distribution depends on (Requires-Dist, extras left out): packages.user-site tells
    envdoctor's own leftover install (envdoctor and what it pulled in) from the course's."""
    names: list[str] = []
    for meta in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(dist_dir, meta), encoding="utf-8", errors="replace") as fh:
                head = fh.read(65536).split("\n\n", 1)[0]
        except OSError:
            continue
        for line in head.splitlines():
            if line.startswith("Requires-Dist:") and "extra ==" not in line.replace("extra==", "extra =="):
                m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line[len("Requires-Dist:"):])
                if m:
                    names.append(m.group(1))
        break
    return names


def xy_of(version: str) -> str:
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else ""


def env_facts(ctx: ProbeContext) -> EnvFacts:
    t, env = ctx.target, ctx.recipe.environment
    if not env.path:
        return EnvFacts(env.kind, False, "")
    path = t.path(env.path)
    exists, lexists = os.path.isdir(path), os.path.lexists(path)
    if not exists:
        return EnvFacts(env.kind, False, path, env.path, lexists)
    cfg = read_pyvenv_cfg(path)
    python = os.path.join(path, "bin", "python")
    described = describe_python(t, python)
    cfg_home = None
    home = (cfg or {}).get("home")  # optional: a conda env has no pyvenv.cfg, an odd venv no `home`
    if home:
        cfg_home = CfgHome(t.unmap(home), os.path.isdir(home),
                           any(os.path.exists(os.path.join(home, n)) for n in ("python3", "python")))
    run = None
    if described.executable:
        imports = sorted({i.split(".")[0] for req in ctx.recipe.requirements for i in req.imports})
        run_env = t.login_env()
        run_env["PATH"] = os.path.join(path, "bin") + ":" + run_env["PATH"]
        done = proc.run([python, "-c", ENV_SCRIPT, *imports], timeout=max(ctx.timeout, 10.0), env=run_env,
                        cwd="/")
        run = parse_env_run(t, done)
    return EnvFacts(env.kind, True, path, env.path, lexists, cfg, os.path.isdir(os.path.join(path, "conda-meta")),
                    described, cfg_home, run)


def parse_env_run(t: Target, done: proc.Completed) -> EnvRun:
    """ENV_SCRIPT's JSON line as facts, its paths in the course's spelling."""
    if not done.ok:
        return EnvRun(False, done.describe(), done.duration_ms)
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return EnvRun(False, f"unexpected output from the env's python: {done.stdout[-200:]!r}")
    if not isinstance(data, dict):
        return EnvRun(False, f"unexpected output from the env's python: {done.stdout[-200:]!r}")
    user_site = _text(data, "user_site")
    dists = tuple(_dist(t, d, user_site) for d in data.get("dists") or () if isinstance(d, dict))
    imports = {str(k): _import(t, v, user_site) for k, v in (data.get("imports") or {}).items()
               if isinstance(v, dict)}
    return EnvRun(True, _text(data, "error"), done.duration_ms, _text(data, "version"),
                  t.unmap(_text(data, "executable")), t.unmap(_text(data, "prefix")),
                  t.unmap(_text(data, "base_prefix")), bool(data.get("enable_user_site")), t.unmap(user_site),
                  tuple(t.unmap(str(p)) for p in data.get("sys_path") or ()), dists, imports)


def _text(data: Mapping[str, Any], key: str) -> str:
    """data[key] as text: the env's python wrote it, so a key may be missing or null."""
    value = data.get(key)
    return "" if value is None else str(value)


def _in(path: str, directory: str) -> bool:
    return bool(directory) and (path == directory or path.startswith(directory + "/"))


def _dist(t: Target, d: Mapping[str, Any], user_site: str) -> Dist:
    loc, url = _text(d, "location"), _text(d, "url")
    url_path = t.unmap(url[len("file://"):].rstrip("/")) if url.startswith("file://") else ""
    return Dist(_text(d, "name"), _text(d, "version"), t.unmap(loc), bool(d.get("editable")), url,
                _in(loc, user_site), url_path)


def _import(t: Target, info: Mapping[str, Any], user_site: str) -> ImportSpec:
    origin = _text(info, "origin")
    return ImportSpec(bool(info.get("found")), t.unmap(origin),
                      bool(user_site) and origin.startswith(user_site + "/"), _text(info, "error"))


@collector("python_env", PythonEnvFacts)
def collect_python_env(ctx: ProbeContext) -> PythonEnvFacts:
    t, env = ctx.target, ctx.recipe.environment
    expected = t.expected_python(env.python)
    interpreter = None
    with ThreadPoolExecutor(max_workers=2) as pool:
        version_future = None
        if env.interpreter:
            path = t.interpreter(env.interpreter)
            interpreter = Interpreter(**asdict(describe_python(t, path)), recipe=env.interpreter)
            if interpreter.executable:
                version_future = pool.submit(interpreter_version, path, ctx.timeout, t.login_env())
        env_f = env_facts(ctx)
        if interpreter is not None and version_future is not None:
            version, error = version_future.result()
            interpreter = replace(interpreter, version=version, error=error)
    xy = xy_of((env_f.run.version if env_f.run else "") or expected)
    user_site = scan_user_site(t, xy) if xy else UserSite("", False)
    return PythonEnvFacts(env.kind, env.python, expected, env_f, user_site, interpreter)
