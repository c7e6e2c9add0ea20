"""Faults a simulated node can be built with: the classic mistakes of the hands-ons.

Each fault is data: a name, a one-line summary, which recipes it applies to (a predicate on
the recipe), the state it starts from ("ready": the course was followed, then this went
wrong; "fresh": a new account), and an apply function that makes it happen on the node, by
the same kind of commands a student would have typed where possible.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from envdoctor.errors import UsageError, closest
from envdoctor.recipe import Recipe
from envdoctor.targets.sim import builder, ready, upstreams, wheels
from envdoctor.targets.sim.node import SimNode

BEGIN, END = "# >>> conda initialize >>>", "# <<< conda initialize <<<"
UBUNTU_GUARD = """# ~/.bashrc: executed by bash(1) for non-login shells.

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

"""
PROFILE_WITHOUT_BASHRC = """# .bash_profile
# User specific environment and startup programs (written by a module's setup script)
PATH=$PATH:$HOME/.local/bin:$HOME/bin
export PATH
"""


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    applies: Callable[[Recipe], bool]
    apply: Callable[[SimNode], None]
    base: str = "ready"  # the state it is applied on: "ready" or "fresh"


# --- predicates -------------------------------------------------------------------------

def _conda(r: Recipe) -> bool:
    return r.environment.kind == "conda"


def _has_env(r: Recipe) -> bool:
    return r.environment.kind in ("venv", "conda")


def _not_conda(r: Recipe) -> bool:
    return r.environment.kind != "conda"


def _proxy_vars(r: Recipe) -> list[str]:
    return [v.name for v in r.variables if "proxy" in v.name.lower()]


def _yaml_edits(r: Recipe) -> bool:
    return any(e.file.endswith((".yaml", ".yml")) for e in r.edits)


def _login_host(r: Recipe) -> bool:
    return bool(builder.hostnames(r)[1])


def _inference(r: Recipe) -> bool:
    return _inf().has_inference(r)


def _inf() -> ModuleType:
    from envdoctor.targets.sim import inference

    return inference


# --- helpers ------------------------------------------------------------------------------

def _dists() -> list[wheels.Dist]:
    return wheels.standin_dists(None)


def _versions(name: str) -> list[str]:
    from packaging.version import Version

    return sorted({d.version for d in _dists() if d.name == name}, key=Version)


def _other_version(name: str, spec: str, newest: bool = True) -> str:
    """A wheelhouse version of `name` that does not satisfy `spec` (the newest one), or ''."""
    from packaging.specifiers import SpecifierSet

    wrong = [v for v in _versions(name) if spec and v not in SpecifierSet(spec)]
    return (wrong[-1] if newest else wrong[0]) if wrong else ""


def _shadow_candidate(r: Recipe) -> tuple[str, str]:
    for req in r.requirements:
        if not req.editable and req.spec:
            version = _other_version(req.name, req.spec)
            if version:
                return req.name, version
    return "", ""


def _vendor_skew(r: Recipe) -> tuple[str, str]:
    for repo in r.repos:
        want = repo.expected_vendor_version()
        if want:
            version = _other_version(repo.vendor_package, f"=={want}")
            if version:
                return repo.vendor_package, version
    return "", ""


def _pinned_newer(r: Recipe, name: str) -> str:
    from packaging.version import Version

    for req in r.requirements:
        if req.name == name and req.spec.startswith("=="):
            newer = [v for v in _versions(name) if Version(v) > Version(req.spec[2:])]
            return newer[-1] if newer else ""
    return ""


def _wrong_ref(r: Recipe) -> tuple[str, str]:
    """(repo name, ref): the previous tag of the recipe's tag, or the oldest tag for a branch."""
    for repo in r.repos:
        up = upstreams.for_url(repo.url)
        if not up:
            continue
        tags = [ref.name for ref in up.refs if ref.kind == "tag"]
        if repo.ref in tags:
            i = tags.index(repo.ref)
            other = tags[i - 1] if i > 0 else (tags[i + 1] if i + 1 < len(tags) else "")
        else:
            other = tags[0] if tags else ""
        if other:
            return repo.name, other
    return "", ""


def _bashrc(node: SimNode) -> Path:
    return node.home / ".bashrc"


def _strip_block(text: str) -> str:
    return re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", "", text, flags=re.S)


def _user_site(node: SimNode, python_path: Path) -> Path:
    done = node.run([python_path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    return node.home / ".local" / "lib" / f"python{done.stdout.strip()}" / "site-packages"


def _install_wheel_by_hand(wheel: Path, site: Path) -> None:
    """What `pip install --user` leaves behind: the files plus the dist-info (INSTALLER: pip)."""
    site.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
        info = next(n.split("/")[0] for n in zf.namelist() if n.split("/")[0].endswith(".dist-info"))
    (site / info / "INSTALLER").write_text("pip\n", encoding="utf-8")


def _wheel_of(node: SimNode, name: str, version: str) -> Path:
    for dist in _dists():
        if dist.name == name and dist.version == version:
            return node.wheelhouse / dist.filename
    raise UsageError(f"no {name} {version} in the simulated wheelhouse")


# --- the faults -----------------------------------------------------------------------------

def conda_not_initialized(node: SimNode) -> None:
    # Same state as answering "no" to the installer's init question: no block in ~/.bashrc.
    node.run([ready.conda_exe(node), "init", "--reverse", "bash"], cwd=node.home)


def conda_init_behind_guard(node: SimNode) -> None:
    text = _bashrc(node).read_text(encoding="utf-8")
    marker = "# User specific environment"
    head, sep, tail = text.partition(marker)
    _bashrc(node).write_text(head + UBUNTU_GUARD + sep + tail if sep else UBUNTU_GUARD + text, encoding="utf-8")


def bash_profile_skips_bashrc(node: SimNode) -> None:
    node.write(node.home / ".bash_profile", PROFILE_WITHOUT_BASHRC)


def conda_missing(node: SimNode) -> None:
    shutil.rmtree(ready.conda_prefix(node), ignore_errors=True)
    _bashrc(node).write_text(_strip_block(_bashrc(node).read_text(encoding="utf-8")), encoding="utf-8")
    (node.home / ".condarc").unlink(missing_ok=True)


def env_missing(node: SimNode) -> None:
    env = node.recipe.environment
    if env.kind == "conda":
        node.run([ready.conda_exe(node), "remove", "-n", env.name, "--all", "-y"], cwd=node.home)
    else:
        shutil.rmtree(node.path(env.path), ignore_errors=True)


def wrong_python(node: SimNode) -> None:
    """The env rebuilt with the node's python3 (another minor version), packages reinstalled."""
    system = node.meta["system_python3"]
    env = node.recipe.environment
    if env.kind == "conda":
        version = system["version"]
        ready.create_conda_env(node, ".".join(version.split(".")[:2]))
    else:
        shutil.rmtree(node.path(env.path), ignore_errors=True)
        ready.create_venv(node, node.root / "usr/bin/python3")
    ready.rerun_pip_steps(node)


def repo_wrong_tag(node: SimNode) -> None:
    name, ref = _wrong_ref(node.recipe)
    ready.checkout(node, node.path(node.recipe.repo(name).dest), ref)


def data_dir_unedited(node: SimNode) -> None:
    """Configs that still hold the model zoo's relative data_dir, or the instructor's path."""
    for i, edit in enumerate(e for e in node.recipe.edits if e.file.endswith((".yaml", ".yml"))):
        path = node.path(edit.file)
        if edit.kind == "yaml" and edit.repo:
            # The student never edited it: the file as it came with the clone.
            node.run(["git", "checkout", "--", path], cwd=node.path(node.recipe.repo(edit.repo).dest))
            continue
        keys = "|".join(re.escape(k) for k in edit.path_keys)
        def unedit(m: re.Match[str], i: int = i) -> str:
            tail = "/".join(m.group(3).rstrip("/").split("/")[-2:])
            value = f"./{tail}" if i % 2 == 0 else f"/home/instructor/{tail}"
            return f'{m.group(1)}{m.group(2)}"{value}"'
        text = re.sub(rf'^(\s*(?:{keys}):)(\s*)"?([^"\n]+)"?', unedit, path.read_text(encoding="utf-8"), flags=re.M)
        path.write_text(text, encoding="utf-8")


def user_site_shadowing(node: SimNode) -> None:
    name, version = _shadow_candidate(node.recipe)
    _install_wheel_by_hand(_wheel_of(node, name, version), _user_site(node, node.env_python()))


def proxy_missing(node: SimNode) -> None:
    names = _proxy_vars(node.recipe)
    for path in {node.path(v.file) for v in node.recipe.variables if v.name in names}:
        if path.exists():
            pattern = re.compile(rf"^\s*export\s+(?:{'|'.join(re.escape(n) for v in node.recipe.variables if v.name in names for n in v.names())})=.*\n?", re.M)
            path.write_text(pattern.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")


def conda_base_active(node: SimNode) -> None:
    # Miniconda installed for another course and initialised; auto_activate_base stays true.
    ready.install_miniconda(node, batch=True)
    node.run([ready.conda_exe(node), "init", "bash"], cwd=node.home)


def vendor_version_skew(node: SimNode) -> None:
    name, version = _vendor_skew(node.recipe)
    node.run([ready.mapped(node, node.recipe.environment.path) + "/bin/pip", "install", "--quiet", "--no-deps",
              f"{name}=={version}"], cwd=node.home, timeout=180)


def sdk_not_enabled(node: SimNode) -> None:
    node.write(node.root / "etc/bashrc", builder.etc_bashrc_text(node, with_sources=False))


def datasets_too_new(node: SimNode) -> None:
    version = _pinned_newer(node.recipe, "datasets")
    node.run([node.env_python().parent / "pip", "install", "--quiet", f"datasets=={version}"], cwd=node.home,
             timeout=180)


def on_login_node(node: SimNode) -> None:
    node.meta["hostname"] = builder.hostnames(node.recipe)[1]
    builder._etc_bashrc(node)  # the prompt shows the login host


FAULTS: tuple[Fault, ...] = (
    Fault("conda-not-initialized", "Miniconda is installed but the installer was told not to initialise the shell "
          "(no conda init block in ~/.bashrc)", _conda, conda_not_initialized),
    Fault("conda-init-behind-guard", "the conda init block sits in an Ubuntu-style ~/.bashrc below the "
          "interactive-only guard, so batch jobs never see it", _conda, conda_init_behind_guard),
    Fault("bash-profile-skips-bashrc", "conda is initialised in ~/.bashrc, but ~/.bash_profile (read by login "
          "shells) never sources it", _conda, bash_profile_skips_bashrc),
    Fault("conda-missing", "Miniconda was never installed (no ~/miniconda3)", _conda, conda_missing),
    Fault("env-missing", "the course's environment does not exist", _has_env, env_missing),
    Fault("wrong-python", "the environment was built with the node's python3 instead of the course's Python",
          _has_env, wrong_python),
    Fault("repo-wrong-tag", "the course repository is checked out at another release tag",
          lambda r: bool(_wrong_ref(r)[0]), repo_wrong_tag),
    Fault("data-dir-unedited", "the run's YAML config still holds a relative or someone else's data_dir",
          _yaml_edits, data_dir_unedited),
    Fault("user-site-shadowing", "a wrong version of a required package sits in ~/.local/lib/pythonX.Y/site-packages",
          lambda r: bool(_shadow_candidate(r)[0]), user_site_shadowing),
    Fault("proxy-missing", "the proxy variables (upper and lower case) are not exported in ~/.bashrc",
          lambda r: bool(_proxy_vars(r)), proxy_missing),
    Fault("conda-base-active", "Miniconda is installed and initialised, so every login shell starts in (base)",
          _not_conda, conda_base_active),
    Fault("vendor-version-skew", "the vendor package installed in the env does not match the repository's tag",
          lambda r: bool(_vendor_skew(r)[0]), vendor_version_skew),
    Fault("sdk-not-enabled", "the node's login environment does not enable the platform SDK",
          lambda r: bool(builder.platform_data(r).sources), sdk_not_enabled),
    Fault("datasets-too-new", "datasets is newer than the pin the proof points need (datasets==2.21.0)",
          lambda r: bool(_pinned_newer(r, "datasets")), datasets_too_new),
    Fault("on-login-node", "the shell is on a login node, not on a node that runs jobs", _login_host, on_login_node),
    # The inference service (Metis): envdoctor/targets/sim/inference.py.
    Fault("token-missing", "the Globus sign-in (`inference_auth_token.py authenticate`) was never done: no token file",
          _inference, lambda node: _inf().token_missing(node)),
    Fault("token-expired", "the last Globus sign-in was 9 days ago: the access token expired and the 7-day "
          "re-authentication policy refuses a refreshed one", _inference, lambda node: _inf().token_expired(node)),
    Fault("model-unavailable", "the run's model is no longer served on the cluster (not listed; requests get 404)",
          _inference, lambda node: _inf().model_unavailable(node)),
    Fault("rate-limited", "the user's tokens-per-minute budget is used up: chat completions get HTTP 429",
          _inference, lambda node: _inf().rate_limited(node)),
)


def available(recipe: Recipe) -> list[Fault]:
    """The faults that can be injected into a simulated node of `recipe`."""
    return [f for f in FAULTS if f.applies(recipe)]


def resolve(recipe: Recipe, names: tuple[str, ...] | list[str]) -> list[Fault]:
    """The faults named on the command line, in order, without duplicates; UsageError otherwise."""
    valid = {f.name: f for f in available(recipe)}
    everything = {f.name for f in FAULTS}
    chosen: list[Fault] = []
    for name in names:
        if name not in valid:
            if name in everything:
                raise UsageError(f"fault {name!r} does not apply to {recipe.platform} {recipe.release}; "
                                 f"valid faults: {', '.join(valid)}")
            hint = closest(name, list(valid))
            raise UsageError(f"unknown fault {name!r} for {recipe.platform}: {hint}"
                             + ("" if hint.startswith("choose") else f" (valid: {', '.join(valid)})"))
        if valid[name] not in chosen:
            chosen.append(valid[name])
    return chosen


def check_injectable(node: SimNode, chosen: list[Fault]) -> None:
    """Faults the machine cannot produce (no second interpreter for wrong-python)."""
    if any(f.name == "wrong-python" for f in chosen) and not node.meta.get("system_python3"):
        played = next(iter(node.meta["python_versions"].values()), "?")
        raise UsageError(f"fault 'wrong-python' cannot be injected on this machine: it needs a second Python "
                         f"(>= 3.9, not {'.'.join(played.split('.')[:2])}) to play the node's python3; install one")
