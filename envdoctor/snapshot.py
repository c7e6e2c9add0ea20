"""Snapshots: a redacted record of what decides whether a hands-on works.

A snapshot is a view of a probe: `build(target, recipe)` collects the facts it needs with
`probe.collect` (the same collectors `check` uses, concurrently, once) and `view(probe,
recipe, anonymize)` turns them into the snapshot document, without starting a process or
reading a file. `dumps` serialises (sorted keys), `load` / `validate` read one back with
a one-line error for every kind of bad input. The schema is `envdoctor/snapshot@1`;
`snapdiff` compares two of them.

Where each section comes from (collector in envdoctor/collectors/):
host: host + system; shells: provenance (PATH attribution, and the state of contexts
`shells` did not start) + shells (the state each context really reaches); path, env,
active_env, proxy.env, modules.loaded: session; interpreters: interpreters; packages:
python_env (the recipe's environment) or interpreters (no environment directory);
conda: conda; proxy: pip_config + tool_config; repos: repos; configs: configs; disk:
disk; dotfiles: dotfiles + shells (the conda-init block and the guard before it).

Paths are written the way the course writes them (`~/...`, and on a simulated node
`/software/...` without the node's directory: the `session` facts' spelling), so that
snapshots of two accounts or two nodes compare. Everything goes through
`envdoctor.redact` before it is returned.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional

from packaging.version import InvalidVersion, Version

from envdoctor import __version__, probe as probing, safeio
from envdoctor.collectors.conda import CondaFacts
from envdoctor.collectors.configs import ConfigsFacts, EditFacts
from envdoctor.collectors.disk import DiskFacts
from envdoctor.collectors.dotfiles import DotfilesFacts
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.interpreters import InterpretersFacts, PythonAt
from envdoctor.collectors.pip_config import PipConfigFacts
from envdoctor.collectors.provenance import ProvenanceFacts, ShellContext, ShellState
from envdoctor.collectors.python_env import EnvRun, PythonEnvFacts
from envdoctor.collectors.repos import Clone, ReposFacts
from envdoctor.collectors.session import CURRENT, PROXY_NAMES, SessionFacts, env_allowed
from envdoctor.collectors.shells import ShellFacts
from envdoctor.collectors.system import SystemFacts
from envdoctor.collectors.tool_config import ToolConfigFacts
from envdoctor.errors import UsageError
from envdoctor.facts import Facts
from envdoctor.probe import MissingFacts, Probe, ProbeContext
from envdoctor.recipe import Environment, Hosts, Pip, Recipe, Scheduler, catalog
from envdoctor.redact import Redactor
from envdoctor.targets import Target

__all__ = ["SCHEMA", "COLLECTORS", "build", "collect", "view", "dumps", "load", "validate", "guess_recipe",
           "env_allowed", "generic_recipe"]

SCHEMA_NAME = "envdoctor/snapshot"
SCHEMA_VERSION = 1
SCHEMA = f"{SCHEMA_NAME}@{SCHEMA_VERSION}"
CONTEXTS = ("login", "interactive", "batch")
ACTIVE_NAMES = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")
MAX_LOAD_BYTES = 64 * 1024 * 1024
# The collectors a snapshot is a view of (a probe that has them all serves check and snapshot).
COLLECTORS = ("host", "system", "shells", "provenance", "session", "interpreters", "python_env", "conda",
              "pip_config", "tool_config", "repos", "configs", "disk", "dotfiles")


# --- collecting ------------------------------------------------------------------------
def generic_recipe() -> Recipe:
    """A recipe that asks for nothing platform-specific: what a snapshot without --platform
    probes with (no environment, repositories, edits or host patterns)."""
    return Recipe("", "", "", False, "", "", (), Hosts((), (), "", ""), Scheduler("none", "any", (), (), "", ""),
                  Environment("system", "", "", "", "", "venv", False, None, False, ""), (), Pip("", (), (), ()),
                  (), (), (), (), "", 0.0, (), (), ())


def collect(target: Target, recipe: Optional[Recipe], *, with_checks: bool = False) -> Probe:
    """The probe a snapshot of `target` is a view of (offline: a snapshot never uses the
    network); `with_checks`: every collector, so that `check` can run on the same probe."""
    only = () if with_checks and recipe is not None else COLLECTORS
    # probing.collect, looked up at the call: a test counts a bundle's probes through it
    return probing.collect(ProbeContext(target, recipe or generic_recipe(), offline=True, details=True), only=only)


def build(target: Target, recipe: Recipe | None, *, anonymize: bool = False,
          redactor: Redactor | None = None, probe: Probe | None = None) -> dict[str, Any]:
    """A snapshot of `target` (for `recipe`, or only the generic parts), redacted. `probe`:
    one already collected with at least COLLECTORS (e.g. by `check`), instead of probing again."""
    snap = view(probe if probe is not None else collect(target, recipe), recipe, anonymize)
    rd = redactor or Redactor(anonymize=anonymize, users=[target.user], hosts=[target.hostname])
    if anonymize and not rd.anonymize:
        raise ValueError("anonymize needs an anonymizing redactor")
    snap["env"] = {k: rd.env(k, v) for k, v in snap.get("env", {}).items()}
    return rd.mapping(snap)


# --- the view ------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """Facts of a collector (or a part of them), typed or not yet, as plain JSON data."""
    if isinstance(value, Facts):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json.loads(json.dumps(dataclasses.asdict(value)))
    return value


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {(fn(k) if isinstance(k, str) else k): _walk(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, str):
        return fn(value)
    return value


class _View:
    """One probe's facts, section by section; a section whose facts are missing is None and a note."""

    def __init__(self, probe: Probe, recipe: Recipe | None) -> None:
        self.p, self.r = probe, recipe
        self.notes: List[str] = []
        shells = probe.facts.get("shells")
        self.shells: Optional[ShellFacts] = shells if isinstance(shells, ShellFacts) else None

    def safe(self, name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - one missing section must not lose the snapshot
            self.notes.append(f"{name}: could not be recorded ({type(exc).__name__}: {exc})")
            return None

    # -- host and shells
    def host(self) -> Dict[str, Any]:
        system = self.p.of(SystemFacts)
        host = self.p.of(HostFacts)
        info: Dict[str, Any] = {"hostname": host.hostname, "target": host.target}
        if self.r is not None:
            info["node_role"] = host.role
        info.update(os=_plain(system.os), cpus=system.cpus, memory_gb=system.memory_gb)
        return info

    def context(self, mode: str, c: ShellContext, inherited: tuple[str, ...]) -> Dict[str, Any]:
        """What a fresh `mode` shell reaches (the `shells` collector's run when it made one),
        and where its PATH came from (the provenance replay)."""
        result: Dict[str, Any] = {"flags": c.flags}
        probed = self.shells.modes.get(mode) if self.shells is not None else None
        modules = c.replay.modules
        if probed is not None:
            path, conda, which = probed.env.get("PATH", ""), probed.conda_type, dict(probed.which)
            if probed.timed_out:
                result["error"] = f"the {mode} shell did not finish its startup files in time"
            elif not probed.reached:
                result["error"] = f"the {mode} shell did not start: {probed.stderr_tail}"
            if probed.trace.returned_early:
                result["returned_early"] = list(probed.trace.returned_early)
            if probed.conda_defined_at is not None:
                result["conda_defined_at"] = _plain(probed.conda_defined_at)
            module = c.replay.module
            version = probed.python3_version if which.get("python3") else ""
            active = {k: probed.env.get(k, "") for k in ACTIVE_NAMES}
        else:
            real = c.real if c.real is not None else ShellState(False, failure=self.p.errors.get("shells", "not probed"))
            if real.timed_out:
                result["error"] = f"the {mode} shell did not finish its startup files in 20 s"
            elif not real.reached:
                result["error"] = f"the {mode} shell did not start: {real.failure}"
            path, conda, which = real.path, real.conda, dict(real.which)
            module = real.module if real.reached else c.replay.module
            modules = real.modules if real.modules is not None else modules
            version = real.python3_version
            active = {k: real.active_env.get(k, "") for k in ACTIVE_NAMES}
        entries = [p for p in path.split(":") if p] if path else []
        changes = []
        for ch in c.path_changes:
            change: Dict[str, Any] = {"file": ch.file, "line": ch.line, "command": ch.command,
                                      "added": list(ch.added), "removed": list(ch.removed)}
            if not ch.added and not ch.removed:
                change["reordered"] = True
            if ch.file:
                change["source_line"] = ch.source_line
            changes.append(change)
        result.update({
            "files": list(c.files),
            "path_changes": changes,
            "path": [{"dir": p, "origin": c.origins.get(p) or ("inherited" if p in inherited else "unknown")}
                     for p in entries],
            "attribution": "exact" if c.replay_path == path and path else "approximate",
            "conda": conda,
            "module": module,
            "which": dict(sorted(which.items())),
            "python3_version": version,
            "active_env": active,
        })
        if modules is not None:
            result["modules"] = list(modules)
        return result

    def contexts(self) -> Dict[str, Any]:
        prov = self.p.of(ProvenanceFacts)
        return {m: self.context(m, prov.contexts[m], prov.inherited) for m in CONTEXTS if m in prov.contexts}

    # -- the user's environment
    def path(self, session: SessionFacts, login: Mapping[str, Any]) -> Dict[str, Any]:
        origins = {e["dir"]: e["origin"] for e in login.get("path", [])}
        unknown = "this shell session (not from startup files)" if session.source == CURRENT else "unknown"
        return {"source": session.source,
                "entries": [{"dir": d.dir, "exists": d.is_dir, "origin": origins.get(d.dir, unknown)}
                            for d in session.path]}

    def interpreters(self) -> Dict[str, Any]:
        i = self.p.of(InterpretersFacts)

        def at(x: PythonAt) -> Dict[str, Any]:
            if not x.found:
                return {"path": x.path, "found": False}
            out = {"path": x.path, "found": True, "realpath": x.realpath, "version": x.version}
            return {**out, "error": x.error} if x.error else out

        out = {"python3": at(i.python3), "python": at(i.python)}
        if self.r is not None:
            out["recipe"] = at(i.recipe)
            if i.recipe_base is not None:
                out["recipe_base"] = at(i.recipe_base)
        return out

    def packages(self) -> Dict[str, Any]:
        interps = self.p.of(InterpretersFacts)
        if self.r is not None:
            info: Dict[str, Any] = {"source": "recipe environment", "python": interps.recipe.path,
                                    "exists": interps.recipe.found}
            info.update(kind=self.r.environment.kind, env_dir=self.r.environment.path,
                        env_dir_exists=self.p.of(PythonEnvFacts).env.exists if self.r.environment.path else False)
            if self.r.environment.name:
                info["env_name"] = self.r.environment.name
        else:
            info = {"source": "python3 on PATH", "python": interps.python3.path, "exists": interps.python3.found}
        if not info["exists"]:
            return info
        run: Optional[EnvRun]
        if self.r is not None and self.r.environment.path:  # the probe's python_env asked the env's interpreter
            penv = self.p.of(PythonEnvFacts)
            run, site_dir = penv.env.run, penv.user_site.dir
            user_dists = [(d.name, d.version) for d in penv.user_site.dists]
        else:
            run = interps.run
            site_dir = run.user_site if run is not None else ""
            user_dists = [(d.name, d.version) for d in run.dists if d.in_user_site] if run is not None else []
        if run is None or not run.ok:
            info["error"] = (run.error if run is not None else "") or "the environment's python did not start"
            return info
        dists: Dict[str, str] = {}
        editable: Dict[str, str] = {}
        for d in run.dists:
            dists.setdefault(d.name, d.version)
            if d.editable:
                editable.setdefault(d.name, d.url_path or (d.url[7:] if d.url.startswith("file://") else d.url))
        users: Dict[str, str] = {}
        for name, version in user_dists:
            users.setdefault(name, version)
        info.update(version=run.version, enable_user_site=run.enable_user_site,
                    dists=dict(sorted(dists.items(), key=lambda kv: kv[0].lower())),
                    editable=dict(sorted(editable.items())))
        info["user_site"] = {"path": site_dir, "dists": dict(sorted(users.items(), key=lambda kv: kv[0].lower()))}
        return info

    def conda(self) -> Dict[str, Any]:
        c = self.p.of(CondaFacts)
        if not c.installed:
            return {"installed": False, "expected_prefix": c.expected_prefix}
        info: Dict[str, Any] = {"installed": True, "prefix": c.prefix, "version": c.version, "envs": list(c.envs),
                                "env_names": list(c.env_names)}
        if c.error:
            info["error"] = c.error
        if c.channels is not None:
            info["channels"] = list(c.channels)
        return info

    def proxy(self, session: SessionFacts) -> Dict[str, Any]:
        out: Dict[str, Any] = {"env": {k: v for k, v in session.env.items() if k.lower() in PROXY_NAMES}}
        if self.r is not None and self.r.proxy:
            out["recipe"] = self.r.proxy
        pip = self.p.of(PipConfigFacts)
        out["pip"] = {path: ({"error": f.error} if f.error else dict(f.values)) for path, f in pip.files.items()}
        tools = self.p.of(ToolConfigFacts)
        if tools.condarc_error:
            self.notes.append(f"~/.condarc: could not be recorded ({tools.condarc_error})")
            out["condarc"] = None
        elif tools.condarc is not None:
            out["condarc"] = tools.condarc
        if tools.git:
            out["git"] = dict(tools.git)
        return out

    # -- the course's files
    def repos(self) -> Dict[str, Any]:
        if self.r is None:
            return {}
        clones = self.p.of(ReposFacts).clones
        return {repo.name: self.repo(repo, clones.get(repo.name)) for repo in self.r.repos}

    def repo(self, repo: Any, c: Optional[Clone]) -> Dict[str, Any]:
        info: Dict[str, Any] = {"dest": repo.dest, "expected_ref": repo.ref, "ref_kind": repo.ref_kind,
                                "url": repo.url, "exists": bool(c and c.exists)}
        if c is None or not c.exists:
            return info
        if not c.head:
            info.update(git=False, error=c.git_error or "not a git clone")
            return info
        info.update(git=True, head=c.head[:12], branch=c.branch, tags=sorted(c.tags_at_head), remote=c.origin,
                    describe=c.describe, modified=list(c.modified), untracked=c.untracked)
        info["at_ref"] = repo.ref in info["tags"] if repo.ref_kind == "tag" else c.branch == repo.ref
        return info

    def configs(self) -> Dict[str, Any]:
        if self.r is None:
            return {}
        edits = self.p.of(ConfigsFacts).edits
        return {e.name: self.config(e.kind, e.file, edits.get(e.name)) for e in self.r.edits}

    @staticmethod
    def config(kind: str, file: str, f: Optional[EditFacts]) -> Dict[str, Any]:
        info: Dict[str, Any] = {"file": file, "kind": kind, "exists": bool(f and f.exists)}
        if f is None or not f.exists:
            return info
        if f.error:
            info["error"] = f.error
            return info
        if f.set_values is not None or f.data_paths is not None:
            values = {k: v.value for k, v in (f.set_values or {}).items()}
            exist: Dict[str, bool] = {}
            for dp in f.data_paths or ():
                values.setdefault(dp.key, dp.value)
                exist[dp.key] = dp.exists
            info["values"] = dict(sorted(values.items()))
            info["paths_exist"] = dict(sorted(exist.items()))
            if f.placeholders:
                info["placeholders"] = len(f.placeholders)
        if kind == "copy" and f.copy_from is not None:
            info["same_as_source"] = f.same_as_source
        if kind == "replace":
            info["replaced"] = dict(f.replaced)
        if f.yaml_error:
            info["error"] = "not valid YAML (UsageError)"  # the wording snapshots have always had
        return info

    def disk(self) -> Dict[str, Any]:
        disk = self.p.of(DiskFacts)
        home = disk.home
        out: Dict[str, Any] = {"home": {"error": home.error} if home.error else
                               {"free_gb": home.free_gb, "total_gb": home.total_gb}}
        if self.r is not None:
            out["needed_gb"] = self.r.disk_gb
        if disk.quota is not None:
            quota = _plain(disk.quota)
            out["quota"] = {k: v for k, v in quota.items() if k != "error" or v}
        return out

    def dotfiles(self) -> Dict[str, Any]:
        out: Dict[str, Any] = dict(self.p.of(DotfilesFacts).modes)
        out = {name: {"mode": mode} for name, mode in out.items()}
        if self.shells is None:
            raise MissingFacts(f"the 'shells' facts could not be collected: {self.p.errors.get('shells', 'no facts')}")
        bashrc, profile = self.shells.files.get("~/.bashrc"), self.shells.files.get("~/.bash_profile")
        if bashrc is not None and bashrc.readable:
            block = bashrc.conda_blocks[0].start if bashrc.conda_blocks else 0
            guard = bashrc.guards[0].line if bashrc.guards else 0
            out["conda_init"] = {"bashrc": True, "block_line": block, "guard_line": guard,
                                 "behind_guard": bool(block and guard and guard < block)}
        else:
            out["conda_init"] = {"bashrc": False}
        out["bash_profile_sources_bashrc"] = bool(profile.sources_bashrc) if profile is not None and profile.readable \
            else None
        return out

    # -- all together
    def snapshot(self, anonymize: bool) -> Dict[str, Any]:
        p, r = self.p, self.r
        session: Optional[SessionFacts] = self.safe("session", lambda: p.of(SessionFacts))
        shells = self.safe("shells", self.contexts) or {}
        env = dict(session.env) if session is not None else {}
        host = p.facts.get("host")
        user, home = (host.user, f"/home/{host.user}" if host.simulated else host.home) \
            if isinstance(host, HostFacts) else ("", "")  # the home as the user knows it
        snap: Dict[str, Any] = {
            "schema": SCHEMA,
            "envdoctor_version": _version(),
            "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "platform": r.platform if r else None,
            "release": r.release if r else None,
            "target": p.target,
            "anonymized": anonymize,
            "user": user,
            "home": home,
            "host": self.safe("host", self.host),
            "shells": shells,
            "path": self.safe("path", lambda: self.path(session, shells.get("login") or {})) if session else None,
            "active_env": {"source": session.source if session else "",
                           **{k: env.get(k, "") for k in ACTIVE_NAMES}},
            "interpreters": self.safe("interpreters", self.interpreters),
            "packages": self.safe("packages", self.packages),
            "conda": self.safe("conda", self.conda),
            "env": env,
            "proxy": self.safe("proxy", lambda: self.proxy(session)) if session else None,
            "modules": {"loaded": [m for m in env.get("LOADEDMODULES", "").split(":") if m],
                        "module_command": (shells.get("login") or {}).get("module", ""),
                        "list": (shells.get("login") or {}).get("modules", [])},
            "repos": self.safe("repos", self.repos),
            "configs": self.safe("configs", self.configs),
            "disk": self.safe("disk", self.disk),
            "dotfiles": self.safe("dotfiles", self.dotfiles),
        }
        self.notes += [f"probe collector {k}: {v}" for k, v in sorted(p.errors.items())]
        snap["notes"] = list(self.notes)
        norm = session.spelling.normaliser() if session is not None else (lambda s: s)
        snap = _walk(snap, norm)
        snap["home"] = home  # as the user knows it, not in the course's spelling (~)
        return snap


def view(probe: Probe, recipe: Recipe | None, anonymize: bool = False) -> Dict[str, Any]:
    """The snapshot document of `probe` (collected with at least COLLECTORS), not yet redacted."""
    return _View(probe, recipe).snapshot(anonymize)


def _version() -> str:
    return __version__


def guess_recipe(target: Target) -> Recipe | None:
    """The recipe of a simulated node, or the default recipe whose host patterns match."""
    cat = catalog()
    built = target.built_for()
    if built:
        try:
            return cat.get(*built)
        except UsageError:
            return None
    for r in cat.recipes:
        if r.default and target.node_role(r.hosts.login, r.hosts.run) != "other":
            return r
    return None


def dumps(snap: Mapping[str, Any]) -> str:
    return json.dumps(snap, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# --- loading --------------------------------------------------------------------------
def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a snapshot file ('-' = standard input); every problem is a
    one-line UsageError. Only a regular file (or stdin) is read (a FIFO or a device is
    refused before any read), at most MAX_LOAD_BYTES of it, nested at most
    safeio.MAX_DEPTH levels deep (envdoctor.safeio)."""
    name = "standard input" if safeio.is_stdin(path) else str(path)
    hint = "make one with `envdoctor snapshot -o FILE`"
    data = safeio.read_bytes(path, MAX_LOAD_BYTES, "snapshot file", hint=hint)
    if not data.strip():
        raise UsageError(f"{name}: empty file, not a snapshot; {hint}")
    if b"\0" in data[:8192]:
        raise UsageError(f"{name}: a binary file, not a snapshot (JSON from `envdoctor snapshot`)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not UTF-8 text, not a snapshot") from None
    obj = safeio.load_json(text, name, "snapshot")
    return validate(obj, name)


def validate(obj: Any, source: str = "snapshot") -> dict[str, Any]:
    if not isinstance(obj, dict) or not isinstance(obj.get("schema"), str):
        raise UsageError(f"{source}: not an envdoctor snapshot (no schema field); make one with `envdoctor snapshot`")
    schema = obj["schema"]
    name, _, ver = schema.partition("@")
    if name != SCHEMA_NAME:
        hint = " (a check report: compare snapshots, not reports)" if name == "envdoctor/check-report" else ""
        raise UsageError(f"{source}: not an envdoctor snapshot (schema {schema!r}){hint}")
    if not ver.isdigit():
        raise UsageError(f"{source}: unreadable snapshot schema {schema!r}")
    if int(ver) > SCHEMA_VERSION:
        raise UsageError(f"{source}: written by a newer envdoctor ({obj.get('envdoctor_version', '?')}, schema "
                         f"{schema}); this envdoctor {_version()} reads {SCHEMA}: upgrade envdoctor")
    theirs = str(obj.get("envdoctor_version", "0"))
    try:
        newer = Version(theirs).release[:2] > Version(_version()).release[:2]
    except InvalidVersion:
        raise UsageError(f"{source}: unreadable envdoctor_version {theirs!r}") from None
    if newer:
        raise UsageError(f"{source}: written by a newer envdoctor ({theirs}); this is {_version()}: upgrade envdoctor")
    for key, kind in (("shells", dict), ("packages", (dict, type(None))), ("host", (dict, type(None)))):
        if key in obj and not isinstance(obj[key], kind):
            raise UsageError(f"{source}: malformed snapshot ({key} is a {type(obj[key]).__name__})")
    return obj
