"""Snapshots: a redacted record of what decides whether a hands-on works.

`build(target, recipe)` collects, `dumps` serialises (sorted keys), `load` / `validate`
read one back with a one-line error for every kind of bad input. The schema is
`envdoctor/snapshot@1`; `snapdiff` compares two of them.

Shell contexts. Each of the login / interactive / batch contexts is probed twice, both
times as a fresh bash of the target's user started from `target.login_env()`:
1. for real (`proc.bash(mode, ...)`): the state the context really reaches;
2. replaying bash's startup sequence (`bash --noprofile --norc <mode flags>` that then
   sources /etc/profile, ~/.bash_profile, ... in bash's own order) under `set -x` with a
   PS4 that prints file, line and PATH before each command. Bash ignores PS4 from the
   environment when run as root, which is why PS4 is set inside the replay. Each PATH
   entry is attributed to the command after which it appeared. When the replay ends with
   the same PATH as the real shell, the attribution is marked exact.

Paths are written the way the course writes them (`~/...`, and on a simulated node
`/software/...` without the node's directory), so that snapshots of two accounts or two
nodes compare. Everything goes through `envdoctor.redact` before it is returned.
"""
from __future__ import annotations

import configparser
import datetime
import functools
import hashlib
import json
import os
import platform as _platform
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Mapping

from envdoctor import proc
from envdoctor.errors import UsageError
from envdoctor.recipe import Recipe
from envdoctor.redact import Redactor
from envdoctor.targets import Target

SCHEMA_NAME = "envdoctor/snapshot"
SCHEMA_VERSION = 1
SCHEMA = f"{SCHEMA_NAME}@{SCHEMA_VERSION}"
CONTEXTS = ("login", "interactive", "batch")
SHELL_TIMEOUT = 20.0
CMD_TIMEOUT = 15.0
MAX_LOAD_BYTES = 64 * 1024 * 1024
MAX_CONFIG_BYTES = 8 * 1024 * 1024

# Environment variables worth recording: an allow-list, never the whole environment.
ENV_NAMES = frozenset({
    "PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONSTARTUP",
    "LD_LIBRARY_PATH", "LD_PRELOAD", "LIBRARY_PATH", "CPATH", "VIRTUAL_ENV", "SHELL", "LANG", "LC_ALL", "TMPDIR",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST", "PIP_NO_INDEX", "PIP_USER",
    "PIP_REQUIRE_VIRTUALENV", "PIP_CONFIG_FILE", "PIP_CERT", "PIP_TARGET", "PIP_PREFIX",
    "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
    "LOADEDMODULES", "MODULEPATH", "HF_HOME", "HF_DATASETS_CACHE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_CACHE",
    "TORCH_HOME", "XDG_CACHE_HOME", "OMP_NUM_THREADS",
    "SLURM_JOB_ID", "SLURM_JOB_PARTITION", "SLURM_CLUSTER_NAME", "SLURM_JOB_NODELIST", "SLURM_NTASKS", "SLURM_CONF",
})
# Conda, PBS and Open MPI here; each platform's SDK prefixes (POPLAR_, GROQ_, ...) are its recipe's `env_prefixes`.
ENV_PREFIXES = ("CONDA_", "PBS_", "OPAL_")
PROXY_NAMES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")


@functools.lru_cache(maxsize=None)
def _prefixes() -> tuple[str, ...]:
    from envdoctor.recipe import catalog

    return ENV_PREFIXES + catalog().env_prefixes()


def env_allowed(name: str) -> bool:
    return name in ENV_NAMES or name.startswith(_prefixes()) or name.lower() in PROXY_NAMES


# --- the shell-context probe -----------------------------------------------------------
_STATE = r"""
printf '\n@@EDSTATE@@\n'
printf 'PATH\t%s\n' "$PATH"
printf 'conda\t%s\n' "$(type -t conda 2>/dev/null)"
printf 'module\t%s\n' "$(type -t module 2>/dev/null)"
for __ed_c in python3 python conda pip; do printf 'which.%s\t%s\n' "$__ed_c" "$(type -P $__ed_c 2>/dev/null)"; done
printf 'python3.version\t%s\n' "$(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null)"
if [ "$(type -t module 2>/dev/null)" = function ]; then
  printf 'modules\t%s\n' "$(module -t list 2>&1 | tr '\n' ' ' | head -c 2000)"
fi
printf '@@EDENV@@\n'
env -0
"""

_PS4 = r"+@@EDX@@${BASH_SOURCE:-}@@${LINENO}@@${PATH}@@ "
_TRACE_RE = re.compile(r"^(\++)@@EDX@@(.*?)@@(\d+)@@(.*?)@@ (.*)$")


def _replay_script(mode: str, sys_bashrc: bool) -> str:
    """Bash's startup sequence for `mode`, sourced under xtrace with our PS4."""
    if mode in ("login", "batch"):
        seq = ('if [ -r /etc/profile ]; then . /etc/profile; fi\n'
               'if [ -r "$HOME/.bash_profile" ]; then . "$HOME/.bash_profile"; '
               'elif [ -r "$HOME/.bash_login" ]; then . "$HOME/.bash_login"; '
               'elif [ -r "$HOME/.profile" ]; then . "$HOME/.profile"; fi\n')
    else:
        seq = ('if [ -r /etc/bash.bashrc ]; then . /etc/bash.bashrc; fi\n' if sys_bashrc else '') + \
              'if [ -r "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi\n'
    return f"PS4='{_PS4}'\nset -x\n{seq}set +x\n{_STATE}"


def _bash_has_sys_bashrc() -> bool:
    """Debian-built bash reads /etc/bash.bashrc for interactive shells (SYS_BASHRC)."""
    path = proc.which("bash")
    try:
        return path is not None and b"/etc/bash.bashrc" in Path(path).read_bytes()
    except OSError:
        return False


def _parse_state(stdout: str) -> tuple[dict[str, str], dict[str, str]]:
    state: dict[str, str] = {}
    env: dict[str, str] = {}
    if "@@EDSTATE@@" not in stdout:
        return state, env
    body = stdout.split("@@EDSTATE@@\n", 1)[1]
    head, _, env_part = body.partition("@@EDENV@@\n")
    for line in head.splitlines():
        key, sep, value = line.partition("\t")
        if sep:
            state[key] = value
    for item in env_part.split("\0"):
        name, sep, value = item.partition("=")
        if sep and name and "\n" not in name:
            env[name] = value
    return state, env


def _read_line(path: str, lineno: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                if i == lineno:
                    return line.strip()[:300]
    except OSError:
        pass
    return ""


def probe_context(target: Target, mode: str, sys_bashrc: bool,
                  probed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a fresh `mode` shell of the target's user reaches, and where its PATH came from.

    `probed` is the probe's `shells.modes[mode]` (the real shell's end state) when the
    probe ran; otherwise this starts the real shell itself.
    """
    env = target.login_env()
    cwd = target.home if os.path.isdir(target.home) else None
    replay = proc.run(("bash", "--noprofile", "--norc", *proc.SHELL_FLAGS[mode], "-c", _replay_script(mode, sys_bashrc)),
                      env=env, cwd=cwd, timeout=SHELL_TIMEOUT)
    result: dict[str, Any] = {"flags": " ".join(("bash",) + proc.SHELL_FLAGS[mode])}
    if probed:
        shell_env = dict(probed.get("env") or {})
        state = {"PATH": shell_env.get("PATH", ""), "conda": probed.get("conda_type", ""),
                 **{f"which.{k}": v for k, v in (probed.get("which") or {}).items()}}
        if probed.get("timed_out"):
            result["error"] = f"the {mode} shell did not finish its startup files in time"
        elif not probed.get("reached"):
            result["error"] = f"the {mode} shell did not start: {probed.get('stderr_tail', '')}"
        if probed.get("trace", {}).get("returned_early"):
            result["returned_early"] = probed["trace"]["returned_early"]
        if probed.get("conda_defined_at"):
            result["conda_defined_at"] = probed["conda_defined_at"]
    else:
        real = proc.bash(mode, _STATE, env=env, cwd=cwd, timeout=SHELL_TIMEOUT)
        state, shell_env = _parse_state(real.stdout)
        if real.timed_out:
            result["error"] = f"the {mode} shell did not finish its startup files in {SHELL_TIMEOUT:g} s"
        elif not state:
            result["error"] = f"the {mode} shell did not start: {real.describe()}"
    norm = _normaliser(target)  # the probe's facts are already in the course's spelling
    replay_state, _ = _parse_state(replay.stdout)
    if "modules" in replay_state:
        state.setdefault("modules", replay_state["modules"])
    if "module" in replay_state:
        state.setdefault("module", replay_state["module"])
    files: list[str] = []
    changes: list[dict[str, Any]] = []
    origins: dict[str, str] = {}
    prev: tuple[str, int, str, str] | None = None
    final_replay_path = None
    for line in replay.stderr.splitlines():
        m = _TRACE_RE.match(line)
        if not m:
            continue
        depth, source, lineno, path, command = len(m.group(1)), m.group(2), int(m.group(3)), norm(m.group(4)), m.group(5)
        if source and source not in files:
            files.append(source)
        del depth  # bash 5 counts `source` nesting in the prefix too; every level is the same shell
        if prev is not None and path != prev[3]:
            before, after = prev[3].split(":"), path.split(":")
            added = [p for p in after if p not in before]
            removed = [p for p in before if p not in after]
            where = f"{prev[0]}:{prev[1]}" if prev[0] else "(shell)"
            for p in added:
                origins[p] = where
            change: dict[str, Any] = {"file": prev[0], "line": prev[1], "command": prev[2][:300],
                                      "added": added, "removed": removed}
            if not added and not removed:
                change["reordered"] = True
            if prev[0]:
                change["source_line"] = _read_line(prev[0], prev[1])
            changes.append(change)
        prev = (source, lineno, command, path)
        final_replay_path = path
    final_path = norm(state.get("PATH", ""))
    entries = [p for p in final_path.split(":") if p] if final_path else []
    inherited = norm(env.get("PATH", "")).split(":")
    result.update({
        "files": files,
        "path_changes": changes,
        "path": [{"dir": p, "origin": origins.get(p) or ("inherited" if p in inherited else "unknown")} for p in entries],
        "attribution": "exact" if final_replay_path == final_path and final_path else "approximate",
        "conda": state.get("conda", ""),
        "module": state.get("module", ""),
        "which": {k[6:]: v for k, v in sorted(state.items()) if k.startswith("which.")},
        "python3_version": state.get("python3.version"),
        "active_env": {k: shell_env.get(k, "") for k in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")},
    })
    if "modules" in state:
        result["modules"] = state["modules"].split()
    result["_env"] = shell_env  # internal: dropped before output
    return result


# --- python environments ---------------------------------------------------------------
_PACKAGES_PY = r"""
import json, os, platform, site, sys
out = {"executable": sys.executable, "version": platform.python_version(), "prefix": sys.prefix,
       "base_prefix": getattr(sys, "base_prefix", sys.prefix), "dists": {}, "editable": {}, "user_dists": {},
       "enable_user_site": bool(getattr(site, "ENABLE_USER_SITE", False))}
try:
    out["user_site"] = site.getusersitepackages()
except Exception:
    out["user_site"] = ""
try:
    import importlib.metadata as md
    def dists(path=None):
        for d in (md.distributions(path=path) if path else md.distributions()):
            name = d.metadata["Name"]
            if name:
                yield name, d.version, d
    for name, version, d in dists():
        if name in out["dists"]:
            continue
        out["dists"][name] = version
        try:
            du = json.loads(d.read_text("direct_url.json") or "{}")
            if du.get("dir_info", {}).get("editable"):
                out["editable"][name] = du.get("url", "")
        except Exception:
            pass
    us = out["user_site"]
    if us and os.path.isdir(us):
        for name, version, d in dists([us]):
            out["user_dists"].setdefault(name, version)
except ImportError:
    import pkg_resources
    for d in pkg_resources.working_set:
        out["dists"].setdefault(d.project_name, d.version)
print(json.dumps(out))
"""


def _memory_bytes() -> int:
    """Physical memory (what psutil.virtual_memory().total reports), from sysconf: no compiled dependency."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def python_facts(python: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Version and installed distributions of one interpreter (one process)."""
    done = proc.run((python, "-c", _PACKAGES_PY), env=env, timeout=CMD_TIMEOUT * 2)
    if not done.ok:
        return {"error": done.describe()}
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"`{python}` printed no package list"}
    return data if isinstance(data, dict) else {"error": "unexpected output"}


def interpreter_facts(path: str, env: Mapping[str, str]) -> dict[str, Any]:
    if not path:
        return {"path": "", "found": False}
    info: dict[str, Any] = {"path": path, "found": os.path.exists(path)}
    if not info["found"]:
        return info
    info["realpath"] = os.path.realpath(path)
    done = proc.run((path, "-c", "import platform; print(platform.python_version())"), env=env, timeout=CMD_TIMEOUT)
    info["version"] = done.stdout.strip() if done.ok else ""
    if not done.ok:
        info["error"] = done.describe()
    return info


# --- the snapshot ---------------------------------------------------------------------
class _Builder:
    def __init__(self, target: Target, recipe: Recipe | None, anonymize: bool) -> None:
        self.t, self.r, self.anonymize = target, recipe, anonymize
        self.notes: list[str] = []
        self.facts: dict[str, Any] = {}  # the probe's facts, when a recipe is known
        self.login_env = target.login_env()
        self.pool = ThreadPoolExecutor(max_workers=8)

    # -- helpers
    def safe(self, name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - one broken section must not lose the snapshot
            self.notes.append(f"{name}: could not be recorded ({type(exc).__name__}: {exc})")
            return None

    def run_env(self, extra_path: str = "") -> dict[str, str]:
        env = self.t.process_env(self.login_env)
        if extra_path:
            env["PATH"] = extra_path + os.pathsep + env.get("PATH", "")
        return env

    # -- sections
    def host(self) -> dict[str, Any]:
        info: dict[str, Any] = {"hostname": self.t.hostname, "target": self.t.name}
        if self.r is not None:
            info["node_role"] = self.t.node_role(self.r.hosts.login, self.r.hosts.run)
        distro = ""
        try:
            for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
        except OSError:
            pass
        info["os"] = {"system": _platform.system(), "kernel": _platform.release(), "distro": distro,
                      "machine": _platform.machine()}
        info["cpus"] = os.cpu_count() or 0
        info["memory_gb"] = round(_memory_bytes() / 2**30, 1)
        return info

    def effective(self, login: dict[str, Any]) -> tuple[dict[str, str], str]:
        """The environment the user works in: their current shell when envdoctor runs in
        it (real target, own home); otherwise the state a fresh login shell reaches."""
        if not self.t.root and os.path.realpath(self.t.home) == os.path.realpath(os.path.expanduser("~")):
            return dict(self.t.current_env()), "current shell"
        env = dict(login.get("_env") or {})
        if env.get("PATH"):  # the probe writes paths the course's way (~/..., /opt/...): map them back
            env["PATH"] = ":".join(self.t.path(p) for p in env["PATH"].split(":"))
        return env, "login shell"

    def interpreters(self, env: Mapping[str, str]) -> dict[str, Any]:
        path = env.get("PATH", self.login_env["PATH"])
        out: dict[str, Any] = {}
        futs = {name: self.pool.submit(interpreter_facts, proc.which(name, path=path) or "", self.login_env)
                for name in ("python3", "python")}
        if self.r is not None:
            interp = self.recipe_python()
            futs["recipe"] = self.pool.submit(interpreter_facts, interp, self.login_env)
        for name, fut in futs.items():
            out[name] = fut.result()
        if self.r is not None and self.r.environment.interpreter:
            out["recipe_base"] = interpreter_facts(self.t.interpreter(self.r.environment.interpreter), self.login_env)
        return out

    def env_dir(self) -> str:
        assert self.r is not None
        e = self.r.environment
        return self.t.path(e.path) if e.path else ""

    def recipe_python(self) -> str:
        assert self.r is not None
        d = self.env_dir()
        return os.path.join(d, "bin", "python") if d else self.t.interpreter(self.r.environment.interpreter)

    def packages(self, env: Mapping[str, str], interps: Mapping[str, Any]) -> dict[str, Any]:
        if self.r is not None:
            python, source = self.recipe_python(), "recipe environment"
            exists = os.path.exists(python)
        else:
            python, source = interps.get("python3", {}).get("path", ""), "python3 on PATH"
            exists = bool(python)
        info: dict[str, Any] = {"source": source, "python": python, "exists": exists}
        if self.r is not None:
            info["kind"] = self.r.environment.kind
            info["env_dir"] = self.env_dir()
            info["env_dir_exists"] = os.path.isdir(self.env_dir()) if self.env_dir() else False
            if self.r.environment.name:
                info["env_name"] = self.r.environment.name
        if not exists:
            return info
        penv = self.facts.get("python_env") or {}
        run = (penv.get("env") or {}).get("run")
        if run is not None:  # the probe already asked the env's interpreter
            if not run.get("ok"):
                info["error"] = run.get("error", "the environment's python failed")
                return info
            dists: dict[str, str] = {}
            editable: dict[str, str] = {}
            for d in run.get("dists", []):
                dists.setdefault(d["name"], d.get("version", ""))
                if d.get("editable"):
                    editable.setdefault(d["name"], d.get("url_path") or _file_url_path(d.get("url", "")))
            us = penv.get("user_site") or {}
            facts = {"version": run.get("version", ""), "enable_user_site": run.get("enable_user_site", False),
                     "dists": dists, "editable": editable, "user_site": us.get("dir", ""),
                     "user_dists": {d["name"]: d.get("version", "") for d in us.get("dists", [])}}
        else:
            run_env = dict(self.login_env)
            for k in ("PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONHOME"):
                if env.get(k):
                    run_env[k] = env[k]
            facts = python_facts(python, run_env)
            if "error" in facts:
                info["error"] = facts["error"]
                return info
            facts["editable"] = {k: _file_url_path(v) for k, v in facts.get("editable", {}).items()}
        info.update(version=facts.get("version", ""), enable_user_site=facts.get("enable_user_site", False),
                    dists=dict(sorted(facts.get("dists", {}).items(), key=lambda kv: kv[0].lower())),
                    editable=dict(sorted(facts.get("editable", {}).items())))
        info["user_site"] = {"path": facts.get("user_site", ""),
                             "dists": dict(sorted(facts.get("user_dists", {}).items(), key=lambda kv: kv[0].lower()))}
        return info

    def conda(self, login: dict[str, Any]) -> dict[str, Any] | None:
        candidates = []
        if self.r is not None and self.r.environment.conda is not None:
            candidates.append(self.t.path(self.r.environment.conda.prefix))
        which_conda = (login.get("which") or {}).get("conda", "")
        if which_conda:
            candidates.append(os.path.dirname(os.path.dirname(which_conda)))
        candidates += [os.path.join(self.t.home, d) for d in ("miniconda3", "anaconda3", "miniforge3", "mambaforge")]
        prefix = next((c for c in candidates if os.path.exists(os.path.join(c, "bin", "conda"))), "")
        if not prefix:
            return {"installed": False, "expected_prefix": candidates[0] if candidates else ""}
        info: dict[str, Any] = {"installed": True, "prefix": prefix}
        conda_bin = os.path.join(prefix, "bin", "conda")
        done = proc.run((conda_bin, "info", "--json"), env=self.run_env(os.path.join(prefix, "bin")), timeout=CMD_TIMEOUT * 2)
        data: dict[str, Any] = {}
        if done.ok:
            try:
                data = json.loads(done.stdout)
            except ValueError:
                data = {}
        if not data:
            info["error"] = done.describe()
            listed = proc.run((conda_bin, "env", "list", "--json"), env=self.run_env(os.path.join(prefix, "bin")),
                              timeout=CMD_TIMEOUT * 2)
            try:
                data = {"envs": json.loads(listed.stdout).get("envs", [])} if listed.ok else {}
            except (ValueError, AttributeError):
                data = {}
        info["version"] = str(data.get("conda_version", ""))
        info["envs"] = sorted(str(e) for e in data.get("envs", []) if isinstance(e, str))
        info["env_names"] = sorted(os.path.basename(e) if e != prefix else "base" for e in info["envs"])
        if isinstance(data.get("channels"), list):
            info["channels"] = [str(c) for c in data["channels"]]
        return info

    def env_vars(self, env: Mapping[str, str]) -> dict[str, str]:
        return {k: env[k] for k in sorted(env) if env_allowed(k)}

    def proxy(self, env: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"env": {k: env[k] for k in sorted(env) if k.lower() in PROXY_NAMES}}
        if self.r is not None and self.r.proxy:
            out["recipe"] = self.r.proxy
        out["pip"] = self.pip_config(env)
        condarc = os.path.join(self.t.home, ".condarc")
        if os.path.isfile(condarc):
            out["condarc"] = self.safe("~/.condarc", lambda: _yaml_subset(condarc, ("proxy_servers", "channels",
                                                                                     "ssl_verify", "auto_activate_base",
                                                                                     "envs_dirs", "pkgs_dirs")))
        git = proc.run(("git", "config", "--global", "--get-regexp", r"^https?\."), env=self.run_env(), timeout=CMD_TIMEOUT)
        if git.ok and git.stdout.strip():
            out["git"] = {k: v for k, _, v in (line.partition(" ") for line in git.stdout.splitlines()[:20])}
        return out

    def pip_config(self, env: Mapping[str, str]) -> dict[str, Any]:
        files = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf"]
        if env.get("PIP_CONFIG_FILE"):
            files.append(env["PIP_CONFIG_FILE"])
        if self.r is not None and self.env_dir():
            files.append(os.path.join(self.env_dir(), "pip.conf"))
        if env.get("VIRTUAL_ENV"):
            files.append(os.path.join(env["VIRTUAL_ENV"], "pip.conf"))
        found: dict[str, Any] = {}
        for f in dict.fromkeys(files):
            path = self.t.path(f)
            if not os.path.isfile(path):
                continue
            parser = configparser.ConfigParser(interpolation=None, strict=False)
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, UnicodeDecodeError, OSError) as exc:
                found[path] = {"error": f"unreadable ({type(exc).__name__})"}
                continue
            found[path] = {f"{s}.{k}": v for s in parser.sections() for k, v in parser.items(s)}
        return found

    def repos(self) -> dict[str, Any]:
        if self.r is None:
            return {}
        futs = {repo.name: self.pool.submit(self.one_repo, repo) for repo in self.r.repos}
        return {name: fut.result() for name, fut in futs.items()}

    def one_repo(self, repo: Any) -> dict[str, Any]:
        dest = self.t.path(repo.dest)
        pf = (self.facts.get("repos") or {}).get(repo.name) or {}
        info: dict[str, Any] = {"dest": dest, "expected_ref": repo.ref, "ref_kind": repo.ref_kind,
                                "url": repo.url, "exists": os.path.isdir(dest)}
        if not info["exists"]:
            return info
        env = self.run_env()
        env["GIT_TERMINAL_PROMPT"] = "0"

        def git(*args: str) -> proc.Completed:
            return proc.run(("git", "-c", "safe.directory=*", "-C", dest, *args), env=env, timeout=CMD_TIMEOUT)

        if pf.get("head"):  # HEAD, branch, tags and origin come from the probe
            info.update(git=True, head=pf["head"][:12], branch=pf.get("branch", ""),
                        tags=sorted(pf.get("tags_at_head", [])), remote=pf.get("origin", ""))
        else:
            head = git("rev-parse", "HEAD")
            if not head.ok:
                info.update(git=False, error=head.describe())
                return info
            branch = git("symbolic-ref", "-q", "--short", "HEAD")
            tags = git("tag", "--points-at", "HEAD")
            remote = git("remote", "get-url", "origin")
            url = remote.stdout.strip() if remote.ok else ""
            upstreams = {str(v): str(k) for k, v in (self.t.meta.get("upstreams") or {}).items()}
            info.update(git=True, head=head.stdout.strip()[:12], branch=branch.stdout.strip() if branch.ok else "",
                        tags=sorted(tags.stdout.split()) if tags.ok else [], remote=upstreams.get(url, url))
        describe = git("describe", "--tags", "--always")
        info["describe"] = describe.stdout.strip() if describe.ok else ""
        # Local changes: snapshot-specific (the probe does not look at the work tree).
        status = git("status", "--porcelain", "--untracked-files=normal")
        lines = status.stdout.splitlines() if status.ok else []
        info["modified"] = sorted(ln[3:] for ln in lines if not ln.startswith("??"))[:30]
        info["untracked"] = len([ln for ln in lines if ln.startswith("??")])
        info["at_ref"] = repo.ref in info["tags"] if repo.ref_kind == "tag" else info["branch"] == repo.ref
        return info

    def configs(self) -> dict[str, Any]:
        if self.r is None:
            return {}
        out: dict[str, Any] = {}
        for edit in self.r.edits:
            out[edit.name] = self.safe(f"config {edit.name}", functools.partial(self.one_config, edit))
        return out

    def one_config(self, edit: Any) -> dict[str, Any]:
        path = self.t.path(edit.file)
        info: dict[str, Any] = {"file": path, "kind": edit.kind, "exists": os.path.isfile(path)}
        if not info["exists"]:
            return info
        pf = (self.facts.get("configs") or {}).get(edit.name)
        if pf and ("set_values" in pf or "data_paths" in pf):  # the probe already parsed it
            values = {k: v.get("value") for k, v in (pf.get("set_values") or {}).items()}
            exist: dict[str, bool] = {}
            for dp in pf.get("data_paths") or []:
                values.setdefault(dp["key"], dp.get("value"))
                exist[dp["key"]] = bool(dp.get("exists"))
            info["values"] = dict(sorted(values.items()))
            info["paths_exist"] = dict(sorted(exist.items()))
            if pf.get("placeholders"):
                info["placeholders"] = len(pf["placeholders"])
            if edit.kind != "copy":
                return info
        from envdoctor import safeio

        text = safeio.read_bytes(path, MAX_CONFIG_BYTES, "config file", allow_stdin=False).decode("utf-8", "replace")
        if edit.kind == "copy" and edit.copy_from:
            src = self.t.path(edit.copy_from)
            try:
                info["same_as_source"] = hashlib.sha256(Path(src).read_bytes()).hexdigest() == \
                    hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
            except OSError:
                info["same_as_source"] = None
        if edit.kind == "replace":
            info["replaced"] = {old[:80]: (new in text and old not in text) for old, new in edit.replace}
        if path.endswith((".yaml", ".yml")) and "values" not in info:
            try:
                data = safeio.load_yaml_safe(text, path, "YAML config")
            except Exception as exc:  # noqa: BLE001 - any YAML problem is a fact, not a crash
                info["error"] = f"not valid YAML ({type(exc).__name__})"
                return info
            values = {}
            for key, _ in edit.set:
                values[key] = _dotted(data, key)
            for key, value in _find_keys(data, set(edit.path_keys)):
                values.setdefault(key, value)
            info["values"] = {k: v for k, v in sorted(values.items())}
            info["paths_exist"] = {k: os.path.exists(self.t.path(v)) for k, v in sorted(values.items())
                                   if isinstance(v, str) and k.split(".")[-1] in edit.path_keys}
        return info

    def disk(self, env: Mapping[str, str]) -> dict[str, Any]:
        pd = self.facts.get("disk")
        if pd:
            out: dict[str, Any] = {"home": {k: pd["home"][k] for k in ("free_gb", "total_gb", "error")
                                            if k in (pd.get("home") or {})}}
            if self.r is not None:
                out["needed_gb"] = self.r.disk_gb
            if pd.get("quota"):
                out["quota"] = pd["quota"]
            return out
        out = {}
        try:
            usage = shutil.disk_usage(self.t.home)
            out["home"] = {"free_gb": round(usage.free / 2**30, 1), "total_gb": round(usage.total / 2**30, 1)}
        except OSError as exc:
            out["home"] = {"error": str(exc)}
        if self.r is not None:
            out["needed_gb"] = self.r.disk_gb
        for cmd in (("myquota",), ("quota", "-s")):
            exe = proc.which(cmd[0], path=env.get("PATH", self.login_env["PATH"]))
            if exe:
                done = proc.run((exe, *cmd[1:]), env=self.run_env(), timeout=CMD_TIMEOUT)
                out["quota"] = (done.stdout or done.stderr).splitlines()[:20]
                break
        return out

    def dotfiles(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in (".bash_profile", ".bash_login", ".profile", ".bashrc", ".condarc", ".netrc", ".gitconfig",
                     ".pip/pip.conf", ".config/pip/pip.conf", ".local/bin"):
            p = os.path.join(self.t.home, name)
            try:
                st = os.stat(p)
            except OSError:
                continue
            # Contents of .netrc are never read; its presence and permissions matter.
            out["~/" + name] = {"mode": oct(st.st_mode & 0o777)}
        bashrc = os.path.join(self.t.home, ".bashrc")
        pf = ((self.facts.get("shells") or {}).get("files") or {}).get("~/.bashrc")
        if pf and pf.get("readable"):
            block = (pf.get("conda_blocks") or [{}])[0].get("start", 0)
            guard = (pf.get("guards") or [{}])[0].get("line", 0)
            out["conda_init"] = {"bashrc": True, "block_line": block, "guard_line": guard,
                                 "behind_guard": bool(block and guard and guard < block)}
        else:
            out["conda_init"] = _conda_init_facts(bashrc)
        profile = os.path.join(self.t.home, ".bash_profile")
        out["bash_profile_sources_bashrc"] = _sources_bashrc(profile)
        return out

    # -- all together
    def build(self) -> dict[str, Any]:
        sys_bashrc = _bash_has_sys_bashrc()
        host = self.pool.submit(self.safe, "host", self.host)
        if self.r is not None:
            self.facts = self.safe("probe", self.probe) or {}
        shells = self.facts.get("shells") or {}
        modes = shells.get("modes") or {}
        ctx_futs = {m: self.pool.submit(probe_context, self.t, m, sys_bashrc, modes.get(m)) for m in CONTEXTS}
        repos = self.pool.submit(self.safe, "repos", self.repos)
        contexts: dict[str, Any] = {}
        for m, fut in ctx_futs.items():
            try:
                contexts[m] = fut.result()
            except Exception as exc:  # noqa: BLE001
                contexts[m] = {"error": f"{type(exc).__name__}: {exc}", "_env": {}}
        login = contexts["login"]
        env, env_source = self.effective(login)
        interps = self.safe("interpreters", lambda: self.interpreters(env)) or {}
        pk = self.pool.submit(self.safe, "packages", lambda: self.packages(env, interps))
        conda = self.pool.submit(self.safe, "conda", lambda: self.conda(login))
        proxy = self.pool.submit(self.safe, "proxy", lambda: self.proxy(env))
        disk = self.pool.submit(self.safe, "disk", lambda: self.disk(env))
        self.safe("python3 versions", lambda: self.context_versions(contexts))
        origins = {e["dir"]: e["origin"] for e in login.get("path", [])}
        path_entries = [p for p in env.get("PATH", "").split(":") if p]
        snap: dict[str, Any] = {
            "schema": SCHEMA,
            "envdoctor_version": _version(),
            "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "platform": self.r.platform if self.r else None,
            "release": self.r.release if self.r else None,
            "target": self.t.name,
            "anonymized": self.anonymize,
            "user": self.t.user,
            "home": self.t.home,
            "host": host.result(),
            "shells": {m: {k: v for k, v in c.items() if k != "_env"} for m, c in contexts.items()},
            "path": {"source": env_source,
                     "entries": [{"dir": p, "exists": os.path.isdir(p),
                                  "origin": origins.get(p, "this shell session (not from startup files)"
                                                        if env_source == "current shell" else "unknown")}
                                 for p in path_entries]},
            "active_env": {"source": env_source,
                           **{k: env.get(k, "") for k in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")}},
            "interpreters": interps,
            "packages": pk.result(),
            "conda": conda.result(),
            "env": self.env_vars(env),
            "proxy": proxy.result(),
            "modules": {"loaded": [m for m in env.get("LOADEDMODULES", "").split(":") if m],
                        "module_command": login.get("module", ""), "list": login.get("modules", [])},
            "repos": repos.result(),
            "configs": self.safe("configs", self.configs),
            "disk": disk.result(),
            "dotfiles": self.safe("dotfiles", self.dotfiles),
        }
        if self.facts.get("_errors"):
            self.notes += [f"probe collector {k}: {v}" for k, v in sorted(self.facts["_errors"].items())]
        snap["notes"] = list(self.notes)
        self.pool.shutdown(wait=True)
        return snap

    def context_versions(self, contexts: dict[str, Any]) -> None:
        """python3 --version in each context (the probe records only where python3 is)."""
        cache: dict[str, str] = {}
        for c in contexts.values():
            if c.get("python3_version") is not None:
                continue
            path = (c.get("which") or {}).get("python3", "")
            if not path:
                c["python3_version"] = ""
                continue
            real = os.path.realpath(path)
            if real not in cache:
                cache[real] = interpreter_facts(path, self.login_env).get("version", "")
            c["python3_version"] = cache[real]

    def probe(self) -> dict[str, Any]:
        """The probe's facts for the areas a snapshot shares with `check` (collected once,
        by the same collectors, so that snapshot and check never disagree)."""
        from envdoctor.probe import ProbeContext, collect

        assert self.r is not None
        p = collect(ProbeContext(self.t, self.r, offline=True),
                    only=("shells", "python_env", "repos", "configs", "disk"))
        facts = {k: v for k, v in p.facts_json().items() if v is not None}  # typed facts in their JSON form
        facts["_errors"] = dict(p.errors)
        return facts


def _version() -> str:
    from envdoctor import __version__

    return __version__


def _file_url_path(url: str) -> str:
    return url[7:] if url.startswith("file://") else url


def _dotted(data: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data if isinstance(data, (str, int, float, bool)) or data is None else json.loads(json.dumps(data, default=str))


def _find_keys(data: Any, names: set[str], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if str(k) in names and isinstance(v, (str, int, float, bool, list)):
                found.append((key, v if not isinstance(v, list) else [str(x) for x in v]))
            else:
                found += _find_keys(v, names, key)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _find_keys(v, names, f"{prefix}[{i}]")
    return found


def _yaml_subset(path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """Some top-level keys of a YAML config in the user's tree: a regular file only, capped,
    no aliases (a hostile or broken config must not stall or exhaust the snapshot)."""
    from envdoctor import safeio

    text = safeio.read_text(path, MAX_CONFIG_BYTES, "YAML config", allow_stdin=False)
    data = safeio.load_yaml_safe(text, path, "YAML config")
    if not isinstance(data, dict):
        return {}
    return {k: json.loads(json.dumps(data[k], default=str)) for k in keys if k in data}


_GUARD_RE = re.compile(r"""(\[\[?\s*\$-\s*!?=\s*\*i\*\s*\]\]?\s*(&&|\|\|)\s*return)|(\[\[?\s*-z\s+"?\$PS1"?\s*\]\]?\s*&&\s*return)|(case\s+\$-\s+in)""")


def _conda_init_facts(bashrc: str) -> dict[str, Any]:
    """Where `conda init` wrote its block in ~/.bashrc, and whether an interactive-only
    guard returns before it (then batch jobs and scripts never get conda)."""
    try:
        lines = Path(bashrc).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {"bashrc": False}
    block = next((i for i, ln in enumerate(lines, 1) if ">>> conda initialize >>>" in ln), 0)
    guard = next((i for i, ln in enumerate(lines, 1) if _GUARD_RE.search(ln)), 0)
    return {"bashrc": True, "block_line": block, "guard_line": guard,
            "behind_guard": bool(block and guard and guard < block)}


def _sources_bashrc(profile: str) -> bool | None:
    try:
        text = Path(profile).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return bool(re.search(r"^\s*[^#\n]*(\.|source)\s+[\"']?(~|\$HOME|\$\{HOME\})/\.bashrc", text, re.M))


# --- normalising and redacting -------------------------------------------------------
def _normaliser(target: Target) -> Callable[[str], str]:
    """Target paths -> the course's spelling (`~/...`, `/software/...` on a sim node)."""
    subs: list[tuple[re.Pattern[str], str]] = []
    homes = {target.home, os.path.realpath(target.home)}
    for h in sorted(homes, key=len, reverse=True):
        if h and h != "/":
            subs.append((re.compile(re.escape(h) + r"(?=[/:\s\"',;]|$)"), "~"))
    if target.root:
        for r in sorted({target.root, os.path.realpath(target.root)}, key=len, reverse=True):
            subs.append((re.compile(re.escape(r) + r"(?=/)"), ""))

    def norm(s: str) -> str:
        for pattern, repl in subs:
            s = pattern.sub(repl, s)
        return s

    return norm


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {(fn(k) if isinstance(k, str) else k): _walk(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, str):
        return fn(value)
    return value


def build(target: Target, recipe: Recipe | None, *, anonymize: bool = False,
          redactor: Redactor | None = None) -> dict[str, Any]:
    """Collect a snapshot of `target` (for `recipe`, or only the generic parts), redacted."""
    raw = _Builder(target, recipe, anonymize).build()
    home, user = raw["home"], raw["user"]
    norm = _normaliser(target)
    snap = _walk(raw, norm)
    snap["home"] = home if not target.root else f"/home/{user}"
    rd = redactor or Redactor(anonymize=anonymize, users=[user], hosts=[target.hostname])
    if anonymize and not rd.anonymize:
        raise ValueError("anonymize needs an anonymizing redactor")
    snap["env"] = {k: rd.env(k, v) for k, v in snap.get("env", {}).items()}
    for ctx in snap.get("shells", {}).values():
        if isinstance(ctx, dict):
            ctx.pop("_env", None)
    return rd.mapping(snap)


def guess_recipe(target: Target) -> Recipe | None:
    """The recipe of a simulated node, or the default recipe whose host patterns match."""
    from envdoctor.recipe import catalog

    cat = catalog()
    if target.root and target.meta.get("platform"):
        try:
            return cat.get(str(target.meta["platform"]), target.meta.get("release"))
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
    from envdoctor import safeio

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
    from packaging.version import InvalidVersion, Version

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
