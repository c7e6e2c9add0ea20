"""Python facts: the recipe's interpreter, the recipe's environment, and ~/.local.

All package facts of the environment come from ONE process started with the env's own
interpreter (importlib.metadata, direct_url.json for editable installs, where each
required import resolves). The env directory itself (pyvenv.cfg, conda-meta, the
bin/python symlink) is read from disk, so a broken env is described, not crashed on.
"""
from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from envdoctor import proc
from envdoctor.probe import ProbeContext, collector
from envdoctor.targets import Target

# Runs inside the env's interpreter (Python >= 3.6 syntax; importlib.metadata from 3.8).
ENV_SCRIPT = r"""
import json, os, site, sys
out = {"version": "%d.%d.%d" % tuple(sys.version_info[:3]), "executable": sys.executable,
       "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
       "enable_user_site": bool(site.ENABLE_USER_SITE), "user_site": site.getusersitepackages(),
       "sys_path": [p for p in sys.path if p], "dists": [], "imports": {}, "error": ""}
try:
    try:
        import importlib.metadata as md
    except ImportError:
        import importlib_metadata as md
    for d in md.distributions():
        try:
            name = d.metadata["Name"]
        except Exception:
            name = None
        if not name:
            continue
        item = {"name": name, "version": d.version or "", "location": "", "editable": False, "url": ""}
        try:
            item["location"] = str(d.locate_file(""))
        except Exception:
            pass
        try:
            du = d.read_text("direct_url.json")
            if du:
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


def describe_python(target: Target, path: str) -> dict[str, Any]:
    """Is `path` a usable interpreter file? (without starting it)"""
    facts: dict[str, Any] = {"path": target.unmap(path), "exists": os.path.exists(path),
                             "symlink": os.path.islink(path), "broken": False, "executable": False}
    if facts["symlink"]:
        link = os.readlink(path)
        facts["link_target"] = target.unmap(link) if link.startswith("/") else link
        facts["resolved"] = target.unmap(os.path.realpath(path))
        facts["broken"] = not facts["exists"]
    facts["executable"] = facts["exists"] and os.path.isfile(path) and os.access(path, os.X_OK)
    return facts


def interpreter_version(path: str, timeout: float, env: dict[str, str]) -> dict[str, Any]:
    done = proc.run([path, "-c", VERSION_SCRIPT], timeout=timeout, env=env, cwd="/")
    if done.ok:
        return {"version": done.stdout.strip(), "error": ""}
    return {"version": "", "error": done.describe()}


def read_pyvenv_cfg(env_dir: str) -> dict[str, str] | None:
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


def scan_user_site(target: Target, xy: str) -> dict[str, Any]:
    """Distributions pip put in ~/.local/lib/pythonX.Y/site-packages (read from disk)."""
    directory = user_site_dir(target.home, xy)
    facts: dict[str, Any] = {"dir": target.unmap(directory), "exists": os.path.isdir(directory), "dists": [],
                             "pth": []}
    if not facts["exists"]:
        return facts
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        facts["error"] = exc.strerror or str(exc)
        return facts
    for name in names:
        m = re.fullmatch(r"(.+?)-([^-]+?)\.(dist-info|egg-info)", name)
        if m:
            facts["dists"].append({"name": m.group(1), "version": m.group(2),
                                   "requires": _requires(os.path.join(directory, name))})
        elif name.endswith((".pth", ".egg-link")):
            facts["pth"].append(name)
    bin_dir = os.path.join(target.home, ".local", "bin")
    try:
        facts["bin"] = sorted(os.listdir(bin_dir))[:200]
    except OSError:
        facts["bin"] = []
    return facts


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


def env_facts(ctx: ProbeContext) -> dict[str, Any]:
    t, env = ctx.target, ctx.recipe.environment
    if not env.path:
        return {"kind": env.kind, "exists": False, "path": ""}
    path = t.path(env.path)
    facts: dict[str, Any] = {"kind": env.kind, "display": env.path, "path": path,
                             "exists": os.path.isdir(path), "lexists": os.path.lexists(path)}
    if not facts["exists"]:
        return facts
    facts["pyvenv_cfg"] = read_pyvenv_cfg(path)
    facts["conda_meta"] = os.path.isdir(os.path.join(path, "conda-meta"))
    python = os.path.join(path, "bin", "python")
    facts["python"] = describe_python(t, python)
    cfg = facts["pyvenv_cfg"] or {}
    if cfg.get("home"):
        home = cfg["home"]
        facts["cfg_home"] = {"path": t.unmap(home), "exists": os.path.isdir(home),
                             "has_python": any(os.path.exists(os.path.join(home, n)) for n in ("python3", "python"))}
    if facts["python"]["executable"]:
        imports = sorted({i.split(".")[0] for req in ctx.recipe.requirements for i in req.imports})
        run_env = t.login_env()
        run_env["PATH"] = os.path.join(path, "bin") + ":" + run_env["PATH"]
        done = proc.run([python, "-c", ENV_SCRIPT, *imports], timeout=max(ctx.timeout, 10.0), env=run_env,
                        cwd="/")
        facts["run"] = _parse_env_run(t, done)
    return facts


def _parse_env_run(t: Target, done: proc.Completed) -> dict[str, Any]:
    if not done.ok:
        return {"ok": False, "error": done.describe(), "duration_ms": done.duration_ms}
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "error": f"unexpected output from the env's python: {done.stdout[-200:]!r}"}
    user_site = data.get("user_site") or ""
    for d in data.get("dists", []):
        loc = d.get("location", "")
        d["in_user_site"] = bool(user_site) and (loc == user_site or loc.startswith(user_site + "/"))
        d["location"] = t.unmap(loc)
        if d.get("url", "").startswith("file://"):
            d["url_path"] = t.unmap(d["url"][len("file://"):].rstrip("/"))
    for info in data.get("imports", {}).values():
        origin = info.get("origin") or ""
        info["in_user_site"] = bool(user_site) and origin.startswith(user_site + "/")
        info["origin"] = t.unmap(origin)
    data["user_site"] = t.unmap(user_site)
    data["executable"] = t.unmap(data.get("executable", ""))
    data["prefix"] = t.unmap(data.get("prefix", ""))
    data["base_prefix"] = t.unmap(data.get("base_prefix", ""))
    data["sys_path"] = [t.unmap(p) for p in data.get("sys_path", [])]
    data["ok"] = True
    data["duration_ms"] = done.duration_ms
    return data


@collector("python_env")
def collect_python_env(ctx: ProbeContext) -> dict[str, Any]:
    t, env = ctx.target, ctx.recipe.environment
    out: dict[str, Any] = {"kind": env.kind, "required": env.python, "expected": t.expected_python(env.python)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        interp_future = None
        if env.interpreter:
            path = t.interpreter(env.interpreter)
            out["interpreter"] = {"recipe": env.interpreter, **describe_python(t, path)}
            if out["interpreter"]["executable"]:
                interp_future = pool.submit(interpreter_version, path, ctx.timeout, t.login_env())
        out["env"] = env_facts(ctx)
        if interp_future is not None:
            out["interpreter"].update(interp_future.result())
    version = (out["env"].get("run") or {}).get("version") or out["expected"]
    xy = xy_of(version)
    out["user_site"] = scan_user_site(t, xy) if xy else {"dir": "", "exists": False, "dists": []}
    return out
