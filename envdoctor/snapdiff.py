"""Ranked differences between two snapshots: "works for her, not for me".

Every difference gets a score for how likely it is to explain a broken hands-on (a
different python first on PATH, a missing env, a vendor package at another version, a
repo at another ref, conda missing from batch shells, ... outrank a patch release of
`pygments`). Packages the recipe names weigh far more than others, and version changes
are classified major / minor / patch. Values are normalised first: the home directory is
`~` and each snapshot's user name is `<user>`, so alice vs bob is never a difference.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Mapping

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from envdoctor.recipe import catalog


def vendor_packages() -> frozenset[str]:
    """Vendor packages of every platform (each recipe's `vendor_packages`): weighed as recipe
    packages even when the recipe of a snapshot cannot be loaded (another release, another envdoctor)."""
    return catalog().vendor_packages()


def sdk_prefixes() -> tuple[str, ...]:
    """Every platform's SDK variable prefixes (each recipe's `env_prefixes`: POPLAR_, GROQ_, ...)."""
    return catalog().env_prefixes()


# Packages whose version often decides whether an example runs.
HEAVY_PACKAGES = frozenset({"torch", "numpy", "transformers", "datasets", "tensorflow", "protobuf", "torchvision",
                            "onnx", "scipy", "tokenizers", "pip", "setuptools"})
ACTIVE_VARS = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")
SKIP_ENV = frozenset({"PATH", "CONDA_SHLVL", "CONDA_PROMPT_MODIFIER", "CONDA_EXE", "CONDA_PYTHON_EXE", "_CE_CONDA",
                      "_CE_M", "SHELL", "LANG", "LC_ALL", *ACTIVE_VARS})


@dataclass(frozen=True)
class Difference:
    key: str
    category: str
    a: Any
    b: Any
    meaning: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "category": self.category, "a": self.a, "b": self.b, "meaning": self.meaning}


def canon(name: str) -> str:
    """A distribution name as PEP 503 compares them (the one canonicaliser: packaging's)."""
    return str(canonicalize_name(name))


def version_change(a: str, b: str) -> str:
    """'major', 'minor', 'patch' or 'other' (pre-release, local, unparsable)."""
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:
        return "other"
    ra, rb = (va.release + (0, 0, 0))[:3], (vb.release + (0, 0, 0))[:3]
    if va.epoch != vb.epoch or ra[0] != rb[0]:
        return "major"
    if ra[1] != rb[1]:
        return "minor"
    if ra[2] != rb[2]:
        return "patch"
    return "other"


# --- normalisation ------------------------------------------------------------------------
def normalise(snap: Mapping[str, Any]) -> dict[str, Any]:
    """A copy where the home directory is `~` and the user name (or its mask) is `<user>`."""
    subs: list[tuple[re.Pattern[str], str]] = []
    home = str(snap.get("home") or "")
    if home and home not in ("/", "~"):
        subs.append((re.compile(re.escape(home) + r"(?=[/:\s\"',;]|$)"), "~"))
    user = str(snap.get("user") or "")
    if user:
        subs.append((re.compile(r"(?<![A-Za-z0-9_\-])" + re.escape(user) + r"(?![A-Za-z0-9_\-])"), "<user>"))
    subs.append((re.compile(r"(?<![A-Za-z0-9_\-])user-[0-9a-f]{6}(?![A-Za-z0-9_\-])"), "<user>"))

    def fix(s: str) -> str:
        for pattern, repl in subs:
            s = pattern.sub(repl, s)
        return s

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {(fix(k) if isinstance(k, str) else k): walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return fix(v) if isinstance(v, str) else v

    out = walk({k: v for k, v in snap.items() if k not in ("user", "home")})
    return out


def _get(d: Any, dotted: str, default: Any = None) -> Any:
    for part in dotted.split("."):
        if not isinstance(d, Mapping) or part not in d:
            return default
        d = d[part]
    return d


# --- the comparison --------------------------------------------------------------------------
class _Diff:
    def __init__(self, a: dict[str, Any], b: dict[str, Any]) -> None:
        self.a, self.b = a, b
        self.out: list[Difference] = []
        self.warnings: list[str] = []
        self.required: dict[str, str] = {}  # canonical recipe package -> spec
        self.vendor: set[str] = set(vendor_packages())

    def add(self, key: str, category: str, a: Any, b: Any, meaning: str, score: float) -> None:
        self.out.append(Difference(key, category, a, b, meaning, score))

    def both(self, dotted: str) -> tuple[Any, Any]:
        return _get(self.a, dotted), _get(self.b, dotted)

    # -- sections
    def recipe(self) -> bool:
        """Load the recipes the snapshots were made for; False when platforms differ."""
        pa, pb = self.a.get("platform"), self.b.get("platform")
        ra, rb = self.a.get("release"), self.b.get("release")
        if pa and pb and pa != pb:
            self.warnings.append(f"the snapshots are of different platforms ({pa} and {pb}): only the parts that do "
                                 f"not depend on the platform's recipe are compared")
            return False
        if pa and pb and ra != rb:
            self.add("release", "host", ra, rb, f"the snapshots were taken against different {pa} releases: the "
                     "recipe's packages, repos and configs differ by design", 97)
        elif bool(pa) != bool(pb):
            self.warnings.append("only one snapshot was taken with --platform: recipe-specific parts are compared "
                                 "where both have them")
        platform, release = pa or pb, ra or rb
        if platform:
            try:
                r = catalog().get(str(platform), str(release) if release else None)
                self.required = {canon(q.name): q.spec for q in r.requirements}
                self.vendor |= {canon(x.vendor_package) for x in r.repos if x.vendor_package}
            except Exception:  # noqa: BLE001 - an unknown release only loses the weighting
                pass
        return True

    def host(self) -> None:
        ra, rb = self.both("host.node_role")
        if ra and rb and ra != rb:
            self.add("host.node_role", "host", ra, rb,
                     f"taken on a {ra} node vs a {rb} node: jobs, SDK tools and schedulers differ between them", 88)
        da, db = self.both("host.os.distro")
        if da and db and da != db:
            self.add("host.os.distro", "host", da, db, "different operating systems", 35)

    def interpreters(self) -> None:
        for name, score in (("python3", 100), ("python", 75)):
            ia, ib = _get(self.a, f"interpreters.{name}") or {}, _get(self.b, f"interpreters.{name}") or {}
            if not ia and not ib:
                continue
            pa, pb = ia.get("path") or None, ib.get("path") or None
            va, vb = ia.get("version") or "", ib.get("version") or ""
            show_a = f"{pa} ({va})" if pa and va else pa
            show_b = f"{pb} ({vb})" if pb and vb else pb
            if pa != pb and (ia.get("realpath") != ib.get("realpath") or not pa or not pb):
                if not pa or not pb:
                    meaning = f"`{name}` is not found at all in one of them"
                else:
                    meaning = f"a different `{name}` comes first on PATH, so scripts run another interpreter"
                self.add(f"interpreters.{name}", "python", show_a, show_b, meaning, score)
            elif va and vb and va != vb:
                kind = version_change(va, vb)
                self.add(f"interpreters.{name}.version", "python", va, vb,
                         f"`{name}` is another Python version ({kind} change)", 84 if kind in ("major", "minor") else 40)
        ra, rb = _get(self.a, "interpreters.recipe_base") or {}, _get(self.b, "interpreters.recipe_base") or {}
        if ra and rb and bool(ra.get("found")) != bool(rb.get("found")):
            self.add("interpreters.recipe_base", "python", ra.get("path") if ra.get("found") else None,
                     rb.get("path") if rb.get("found") else None,
                     "the interpreter the course creates the environment with is missing in one", 92)

    def active_env(self) -> None:
        for var in ACTIVE_VARS:
            va, vb = self.both(f"active_env.{var}")
            if (va or "") != (vb or ""):
                self.add(f"active_env.{var}", "venv" if var == "VIRTUAL_ENV" else "conda", va or None, vb or None,
                         "a different environment is active (or none is)" if va and vb
                         else "an environment is active in one and not in the other", 90)

    def shells(self) -> None:
        scores = {"login": 88, "interactive": 85, "batch": 87}
        for ctx, base in scores.items():
            ca, cb = _get(self.a, f"shells.{ctx}"), _get(self.b, f"shells.{ctx}")
            if not isinstance(ca, Mapping) or not isinstance(cb, Mapping):
                continue
            if bool(ca.get("error")) != bool(cb.get("error")):
                self.add(f"shells.{ctx}.error", "shell", ca.get("error") or None, cb.get("error") or None,
                         f"{ctx} shells do not start cleanly in one of them", 80)
            xa, xb = ca.get("conda") or "", cb.get("conda") or ""
            if (xa == "function") != (xb == "function"):
                self.add(f"shells.{ctx}.conda", "conda", xa or None, xb or None,
                         f"`conda activate` works in {ctx} shells of only one: conda init is missing in that "
                         f"context (or sits behind an interactive-only guard)", base)
            wa, wb = _get(ca, "which.python3") or None, _get(cb, "which.python3") or None
            if ctx != "login" and wa != wb:
                self.add(f"shells.{ctx}.python3", "python", wa, wb,
                         f"in {ctx} shells `python3` resolves to different interpreters", base - 4)
            ea, eb = ca.get("returned_early") or [], cb.get("returned_early") or []
            if ea != eb:
                self.add(f"shells.{ctx}.returned_early", "shell", ", ".join(ea) or None, ", ".join(eb) or None,
                         f"a startup file returns early in {ctx} shells of one of them (an interactive-only guard)", 72)
            fa, fb = ca.get("files") or [], cb.get("files") or []
            if fa != fb:
                self.add(f"shells.{ctx}.files", "shell", ", ".join(fa) or None, ", ".join(fb) or None,
                         f"different startup files run in {ctx} shells", 45)
        ga, gb = self.both("dotfiles.conda_init.behind_guard")
        if ga is not None and gb is not None and bool(ga) != bool(gb):
            self.add("dotfiles.conda_init.behind_guard", "conda", ga, gb,
                     "the conda initialize block sits after an interactive-only guard in ~/.bashrc of one: "
                     "batch jobs and scripts there never get conda", 86)
        sa, sb = self.both("dotfiles.bash_profile_sources_bashrc")
        if sa is not None and sb is not None and sa != sb:
            self.add("dotfiles.bash_profile_sources_bashrc", "shell", sa, sb,
                     "~/.bash_profile sources ~/.bashrc in only one: login shells miss ~/.bashrc there", 82)

    def path(self) -> None:
        ea = [str(e.get("dir") or "") for e in _get(self.a, "path.entries") or [] if isinstance(e, Mapping)]
        eb = [str(e.get("dir") or "") for e in _get(self.b, "path.entries") or [] if isinstance(e, Mapping)]
        if ea == eb or not (ea or eb):
            return
        only_a = [p for p in ea if p not in eb]
        only_b = [p for p in eb if p not in ea]
        if only_a or only_b:
            self.add("path.entries", "shell", ", ".join(only_a) or None, ", ".join(only_b) or None,
                     "PATH has directories in only one of them (commands can resolve differently)", 62)
        else:
            self.add("path.order", "shell", ":".join(ea), ":".join(eb),
                     "the same PATH directories in another order (the first match wins)", 60)

    def packages(self, recipe_parts: bool) -> None:
        pa, pb = self.a.get("packages") or {}, self.b.get("packages") or {}
        if not pa or not pb:
            return
        if pa.get("source") != pb.get("source"):
            return  # one lists the recipe env, the other python3: not comparable
        recipe_env = pa.get("source") == "recipe environment"
        if recipe_env and not recipe_parts:
            return
        if recipe_env and bool(pa.get("exists")) != bool(pb.get("exists")):
            self.add("packages.env", "venv" if pa.get("kind") != "conda" else "conda",
                     pa.get("env_dir") if pa.get("exists") else None, pb.get("env_dir") if pb.get("exists") else None,
                     "the course's environment exists in only one of them", 96)
            return
        va, vb = pa.get("version") or "", pb.get("version") or ""
        if va and vb and va != vb:
            kind = version_change(va, vb)
            self.add("packages.python", "python", va, vb, f"the environment runs another Python ({kind} change)",
                     93 if kind in ("major", "minor") else 40)
        da = {canon(k): (k, v) for k, v in (pa.get("dists") or {}).items()}
        db = {canon(k): (k, v) for k, v in (pb.get("dists") or {}).items()}
        for name in sorted(set(da) | set(db)):
            a, b = da.get(name, (None, None))[1], db.get(name, (None, None))[1]
            if a == b:
                continue
            entry = da.get(name) or db.get(name)
            shown = entry[0] if entry else name
            self.package(f"packages.dists.{shown}", name, shown, a, b)
        ea, eb = pa.get("editable") or {}, pb.get("editable") or {}
        for name in sorted(set(ea) | set(eb)):
            if ea.get(name) != eb.get(name) and (canon(name) in self.required or canon(name) in self.vendor):
                self.add(f"packages.editable.{name}", "packages", ea.get(name), eb.get(name),
                         f"{name} is installed from a different clone (or not editable) in one", 87)
        ua = set(_get(pa, "user_site.dists") or {})
        ub = set(_get(pb, "user_site.dists") or {})
        if ua != ub:
            shadow = sorted(n for n in ua ^ ub if canon(n) in self.required or canon(n) in self.vendor
                            or canon(n) in HEAVY_PACKAGES)
            self.add("packages.user_site", "packages", _names(ua) or None, _names(ub) or None,
                     "~/.local has packages in one of them; they shadow the environment's"
                     + (f" (including {', '.join(shadow)})" if shadow else ""), 90 if shadow else 76)
        if pa.get("enable_user_site") != pb.get("enable_user_site") and (ua or ub):
            self.add("packages.enable_user_site", "packages", pa.get("enable_user_site"), pb.get("enable_user_site"),
                     "~/.local is on sys.path in only one of them", 60)

    def package(self, key: str, name: str, shown: str, a: str | None, b: str | None) -> None:
        named = name in self.required
        vendor = name in self.vendor
        spec = self.required.get(name, "")
        if a is None or b is None:
            score = 95 if vendor else 92 if named else 40 if name in HEAVY_PACKAGES else 30
            self.add(key, "packages", a, b, f"{shown} is installed in only one of them"
                     + (" (the course needs it)" if named or vendor else ""), score)
            return
        kind = version_change(a, b)
        if vendor:
            score, why = {"major": 94, "minor": 93, "patch": 91}.get(kind, 90), "the vendor package"
        elif named and spec:
            score, why = {"major": 92, "minor": 91, "patch": 90}.get(kind, 89), f"pinned by the course ({spec})"
        elif named:
            score, why = {"major": 89, "minor": 86, "patch": 80}.get(kind, 78), "required by the course"
        elif name in HEAVY_PACKAGES:
            score, why = {"major": 50, "minor": 35, "patch": 12}.get(kind, 8), ""
        else:
            score, why = {"major": 35, "minor": 20, "patch": 6}.get(kind, 4), ""
        self.add(key, "packages", a, b, f"{shown} differs ({kind} version change)" + (f"; {why}" if why else ""), score)

    def conda(self, recipe_parts: bool) -> None:
        ca, cb = self.a.get("conda") or {}, self.b.get("conda") or {}
        if not ca or not cb:
            return
        if bool(ca.get("installed")) != bool(cb.get("installed")):
            self.add("conda.installed", "conda", ca.get("prefix") if ca.get("installed") else None,
                     cb.get("prefix") if cb.get("installed") else None, "conda is installed in only one of them", 94)
            return
        va, vb = ca.get("version") or "", cb.get("version") or ""
        if va and vb and va != vb:
            kind = version_change(va, vb)
            self.add("conda.version", "conda", va, vb, f"another conda version ({kind} change)",
                     45 if kind in ("major", "minor") else 15)
        na, nb = set(ca.get("env_names") or []), set(cb.get("env_names") or [])
        wanted = _get(self.a, "packages.env_name") or _get(self.b, "packages.env_name")
        for name in sorted(na ^ nb):
            named = recipe_parts and name == wanted
            self.add(f"conda.envs.{name}", "conda", name if name in na else None, name if name in nb else None,
                     f"conda env {name} exists in only one" + (" (the course's env)" if named else ""),
                     93 if named else 20)

    def repos(self) -> None:
        ra, rb = self.a.get("repos") or {}, self.b.get("repos") or {}
        for name in sorted(set(ra) & set(rb)):
            a, b = ra[name] or {}, rb[name] or {}
            if bool(a.get("exists")) != bool(b.get("exists")):
                self.add(f"repos.{name}", "repo", a.get("dest") if a.get("exists") else None,
                         b.get("dest") if b.get("exists") else None, f"the {name} clone exists in only one", 90)
                continue
            if not a.get("exists"):
                continue
            if a.get("at_ref") != b.get("at_ref") or a.get("head") != b.get("head"):
                self.add(f"repos.{name}.ref", "repo", _ref(a), _ref(b),
                         f"{name} is checked out at another ref"
                         + (f" (the course uses {a.get('expected_ref')})" if a.get("expected_ref") else ""),
                         89 if a.get("at_ref") != b.get("at_ref") else 70)
            ma, mb = a.get("modified") or [], b.get("modified") or []
            if ma != mb:
                self.add(f"repos.{name}.modified", "repo", _names(ma) or None, _names(mb) or None,
                         f"{name} has local changes to tracked files in one of them", 80)
            if (a.get("remote") or "") != (b.get("remote") or ""):
                self.add(f"repos.{name}.remote", "repo", a.get("remote") or None, b.get("remote") or None,
                         f"{name} was cloned from another URL (a fork?)", 60)
            if bool(a.get("untracked")) != bool(b.get("untracked")):
                self.add(f"repos.{name}.untracked", "repo", a.get("untracked"), b.get("untracked"),
                         f"{name} has untracked files in one", 15)

    def proxy(self) -> None:
        ea = {k.lower(): v for k, v in (_get(self.a, "proxy.env") or {}).items()}
        eb = {k.lower(): v for k, v in (_get(self.b, "proxy.env") or {}).items()}
        needs = bool(_get(self.a, "proxy.recipe") or _get(self.b, "proxy.recipe"))
        for name in sorted(set(ea) | set(eb)):
            a, b = ea.get(name), eb.get(name)
            if a == b:
                continue
            if a is None or b is None:
                self.add(f"proxy.{name}", "network", a, b, f"{name} is set in only one: without it pip, git and "
                         f"downloads cannot reach the internet from the nodes", 82 if needs else 62)
            else:
                self.add(f"proxy.{name}", "network", a, b, f"{name} points elsewhere", 55)
        pa, pb = _get(self.a, "proxy.pip") or {}, _get(self.b, "proxy.pip") or {}
        flat_a = {f"{f}:{k}": v for f, d in pa.items() if isinstance(d, Mapping) for k, v in d.items()}
        flat_b = {f"{f}:{k}": v for f, d in pb.items() if isinstance(d, Mapping) for k, v in d.items()}
        for key in sorted(set(flat_a) | set(flat_b)):
            if flat_a.get(key) != flat_b.get(key):
                score = 78 if "index-url" in key or "proxy" in key or "find-links" in key else 50
                self.add(f"proxy.pip.{key}", "network", flat_a.get(key), flat_b.get(key),
                         "pip is configured differently (where it installs from)", score)
        for part in ("condarc", "git"):
            a, b = _get(self.a, f"proxy.{part}"), _get(self.b, f"proxy.{part}")
            if (a or None) != (b or None):
                self.add(f"proxy.{part}", "network", _short(a), _short(b),
                         "conda's settings differ (~/.condarc)" if part == "condarc" else "git's http settings differ",
                         45)

    def configs(self) -> None:
        ca, cb = self.a.get("configs") or {}, self.b.get("configs") or {}
        for name in sorted(set(ca) & set(cb)):
            a, b = ca[name] or {}, cb[name] or {}
            if bool(a.get("exists")) != bool(b.get("exists")):
                self.add(f"configs.{name}", "config", a.get("file") if a.get("exists") else None,
                         b.get("file") if b.get("exists") else None, f"the {name} config exists in only one", 79)
                continue
            va, vb = a.get("values") or {}, b.get("values") or {}
            for key in sorted(set(va) | set(vb)):
                if va.get(key) != vb.get(key):
                    data = "data_dir" in key or "path" in key
                    self.add(f"configs.{name}.{key}", "config", va.get(key), vb.get(key),
                             f"{key} differs in the {name} config" + (" (where the data is read from)" if data else ""),
                             78 if data else 50)
            xa, xb = a.get("paths_exist") or {}, b.get("paths_exist") or {}
            for key in sorted(set(xa) | set(xb)):
                if xa.get(key) != xb.get(key) and va.get(key) == vb.get(key):
                    self.add(f"configs.{name}.{key}.exists", "config", xa.get(key), xb.get(key),
                             f"the data path {key} exists in only one", 79)
            if a.get("same_as_source") != b.get("same_as_source"):
                self.add(f"configs.{name}.same_as_source", "config", a.get("same_as_source"), b.get("same_as_source"),
                         f"the {name} config was edited after it was copied, in one of them", 55)

    def env(self) -> None:
        ea, eb = self.a.get("env") or {}, self.b.get("env") or {}
        for name in sorted(set(ea) | set(eb)):
            if name in SKIP_ENV or name.lower().endswith("_proxy"):
                continue
            a, b = ea.get(name), eb.get(name)
            if a == b:
                continue
            if name in ("PYTHONPATH", "PYTHONHOME"):
                score, meaning = 85, f"{name} differs: it changes what Python imports"
            elif name in ("PYTHONNOUSERSITE", "PYTHONUSERBASE"):
                score, meaning = 70, f"{name} differs: it decides whether ~/.local packages are used"
            elif name in ("LD_LIBRARY_PATH", "LD_PRELOAD"):
                score, meaning = 58, f"{name} differs: native libraries may load from elsewhere"
            elif name.startswith(sdk_prefixes()):
                score, meaning = 65, f"the SDK variable {name} differs"
            elif name.startswith("PIP_"):
                score, meaning = 50, f"{name} differs: pip behaves differently"
            elif name.startswith(("SLURM_", "PBS_")):
                score, meaning = 12, f"{name} differs (job context)"
            else:
                score, meaning = 25, f"{name} differs"
            if a is None or b is None:
                reason = meaning.partition(": ")[2]
                meaning = f"{name} is set in only one of them" + (f": {reason}" if reason else "")
            self.add(f"env.{name}", "shell" if not name.startswith("PIP_") else "packages", a, b, meaning, score)

    def misc(self) -> None:
        ma, mb = self.both("modules.loaded")
        if (ma or []) != (mb or []):
            self.add("modules.loaded", "sdk", " ".join(ma or []) or None, " ".join(mb or []) or None,
                     "different environment modules are loaded", 55)
        for snap, other, side in ((self.a, self.b, "a"), (self.b, self.a, "b")):
            free, need = _get(snap, "disk.home.free_gb"), _get(snap, "disk.needed_gb")
            if isinstance(free, (int, float)) and isinstance(need, (int, float)) and free < need:
                other_free = _get(other, "disk.home.free_gb")
                if not (isinstance(other_free, (int, float)) and other_free < need):
                    a, b = (free, other_free) if side == "a" else (other_free, free)
                    self.add("disk.home.free_gb", "disk", a, b,
                             f"less free space in home than the course needs ({need:g} GB) in one of them", 70)
        na, nb = self.both("dotfiles")
        for dot in ("~/.netrc", "~/.condarc", "~/.pip/pip.conf", "~/.config/pip/pip.conf"):
            a, b = _get(na or {}, dot), _get(nb or {}, dot)
            if bool(a) != bool(b):
                self.add(f"dotfiles.{dot}", "config", "present" if a else None, "present" if b else None,
                         f"{dot} exists in only one", 30)

    def run(self) -> list[Difference]:
        recipe_parts = self.recipe()
        for step in (self.host, self.interpreters, self.active_env, self.shells, self.path, self.repos, self.proxy,
                     self.env, self.misc):
            step()
        self.packages(recipe_parts)
        self.conda(recipe_parts)
        if recipe_parts:
            self.configs()
        return sorted(causes_first(self.out), key=lambda d: (-d.score, d.key))


# A difference that causes others: (its key, the key prefixes of what follows from it). A
# ~/.bash_profile that never sources ~/.bashrc changes everything login and batch shells see;
# a conda block behind the interactive guard hides conda from batch shells and scripts.
CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dotfiles.bash_profile_sources_bashrc", ("shells.login.", "shells.batch.", "path.", "env.", "interpreters.",
                                              "active_env", "proxy.")),
    ("dotfiles.conda_init.behind_guard", ("shells.batch.", "shells.script.")),
)


def causes_first(found: list[Difference]) -> list[Difference]:
    """Rank each present cause above the symptoms it explains, and say so on the symptoms."""
    ranked = list(found)
    for cause_key, prefixes in CAUSES:
        at = next((i for i, d in enumerate(ranked) if d.key == cause_key), None)
        if at is None:
            continue
        symptoms = [i for i, d in enumerate(ranked) if i != at and d.key.startswith(prefixes)]
        if not symptoms:
            continue
        top = max(ranked[i].score for i in symptoms)
        ranked[at] = replace(ranked[at], score=max(ranked[at].score, top + 1))
        for i in symptoms:
            ranked[i] = replace(ranked[i], meaning=f"{ranked[i].meaning} (follows from {cause_key})")
    return ranked


def _names(items: Iterable[str], limit: int = 8) -> str:
    items = sorted(items)
    return ", ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _ref(r: Mapping[str, Any]) -> str:
    tags = r.get("tags") or []
    name = tags[0] if tags else r.get("branch") or r.get("describe") or ""
    return f"{name} ({r.get('head', '')})" if name else str(r.get("head", ""))


def _short(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v or None
    text = json.dumps(v, sort_keys=True)
    return text if len(text) < 200 else text[:197] + "..."


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[list[Difference], list[str]]:
    """(differences most likely cause first, warnings) between two validated snapshots."""
    d = _Diff(normalise(a), normalise(b))
    return d.run(), d.warnings


def render_text(diffs: list[Difference], warnings: list[str], name_a: str, name_b: str,
                style: Callable[[str, str], str] | None = None) -> str:
    lines = [f"warning: {w}" for w in warnings]
    if not diffs:
        lines.append(f"No differences that matter between {name_a} and {name_b}.")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(diffs)} difference{'s' if len(diffs) != 1 else ''} between A={name_a} and B={name_b}, "
                 "most likely cause first:")
    width = len(str(len(diffs)))
    for i, d in enumerate(diffs, 1):
        lines.append(f"{i:>{width}}. {d.meaning}  [{d.category}: {d.key}]")
        lines.append(f"{'':>{width}}    A: {_show(d.a)}")
        lines.append(f"{'':>{width}}    B: {_show(d.b)}")
    return "\n".join(lines) + "\n"


def _show(v: Any) -> str:
    if v is None:
        return "(absent)"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)
