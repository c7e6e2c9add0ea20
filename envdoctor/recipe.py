"""Load and validate recipes (YAML data under `recipes/`) into frozen objects.

Every problem is reported with file, line and key path. Later stages only ever see the
frozen objects, never raw dicts.
"""
from __future__ import annotations

import builtins
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from envdoctor import cache, launchers, metrics, recipe_sources, safeio
from envdoctor.errors import RecipeError, RecipeErrors, UsageError, closest
from envdoctor.files import shell_value_problem  # values must stay inside their quotes
from envdoctor.launchers import names as launcher_names
from envdoctor.safeio import yaml_problem
from envdoctor.steps import validate_step

SCHEMA_VERSION = 1
RECIPE_DIR = Path(__file__).with_name("recipes")
ENV_KINDS = ("venv", "conda", "system")
SCHEDULER_KINDS = ("slurm", "pbs", "appliance", "none")
SUBMIT_FROM = ("run", "login", "any")
LAUNCHERS = launcher_names()  # defined once, in envdoctor.launchers
PARAM_TYPES = ("int", "float", "str", "bool")
EDIT_KINDS = ("yaml", "replace", "copy")

T = TypeVar("T")


class Node:
    """A mapping from the YAML file with the line of each key, for precise errors."""

    def __init__(self, data: Any, path: str, keypath: str, line: int | None) -> None:
        self.data, self.path, self.keypath, self.line = data, path, keypath, line
        self._used: set[str] = set()

    def error(self, key: str, problem: str, line: int | None = None) -> RecipeError:
        return RecipeError(self.path, line or self._line_of(key) or self.line, self._join(key), problem)

    def _join(self, key: str) -> str:
        return f"{self.keypath}.{key}" if self.keypath and key else (key or self.keypath or "(top)")

    def _line_of(self, key: str) -> int | None:
        lc = getattr(self.data, "lc", None)
        try:
            return int(lc.key(key)[0]) + 1 if lc is not None else None
        except (KeyError, TypeError, AttributeError):
            return None

    def _line_of_item(self, index: int) -> int | None:
        lc = getattr(self.data, "lc", None)
        try:
            return int(lc.item(index)[0]) + 1 if lc is not None else None
        except (KeyError, TypeError, AttributeError, IndexError):
            return None

    def _raw(self, key: str, required: bool) -> Any:
        self._used.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, "is required", self.line)
            return None
        return self.data[key]

    def str(self, key: str, default: str = "", required: bool = False, choices: tuple[str, ...] = ()) -> str:
        value = self._raw(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(key, f"expected a string, got {type(value).__name__}")
        text = str(value)
        if choices and text not in choices:
            raise self.error(key, f"{text!r} is not one of {', '.join(choices)}")
        return text

    # From here on `str` and `bool` in this class body name the methods above: annotations
    # say builtins.str and builtins.bool.
    def bool(self, key: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self._raw(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "expected true or false")
        return value

    def number(self, key: builtins.str, default: float | None = None) -> float | None:
        value = self._raw(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, "expected a number")
        return float(value)

    def strs(self, key: builtins.str) -> tuple[builtins.str, ...]:
        value = self._raw(key, False)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise self.error(key, "expected a list of strings")
        return tuple(str(v) for v in value)

    def child(self, key: builtins.str, required: builtins.bool = False) -> Node | None:
        value = self._raw(key, required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(key, "expected a mapping")
        return Node(value, self.path, self._join(key), self._line_of(key))

    def items(self, key: builtins.str) -> Iterator[Node]:
        """The elements of a list of mappings."""
        value = self._raw(key, False)
        if value is None:
            return
        if not isinstance(value, list):
            raise self.error(key, "expected a list")
        sub = Node(value, self.path, self._join(key), self._line_of(key))
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise RecipeError(self.path, sub._line_of_item(i), f"{sub.keypath}[{i}]", "expected a mapping")
            yield Node(item, self.path, f"{sub.keypath}[{i}]", sub._line_of_item(i))

    def named(self, key: builtins.str) -> Iterator[tuple[builtins.str, Node]]:
        """The entries of a mapping of name -> mapping."""
        sub = self.child(key)
        if sub is None:
            return
        for name in list(sub.data):
            node = sub.child(str(name))
            assert node is not None
            yield str(name), node

    def raw(self, key: builtins.str) -> Any:
        """A free-form value (validated by the caller), converted to plain Python."""
        return _plain(self._raw(key, False))

    def done(self) -> None:
        """Reject keys the schema does not know (typos must not pass silently)."""
        for key in self.data:
            if key not in self._used and key != "source":  # citations: envdoctor.recipe_sources
                raise self.error(str(key), "unknown key " + closest(str(key), sorted(self._used)))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _build(node: Node | None, fn: Callable[[Node], T]) -> T | None:
    if node is None:
        return None
    value = fn(node)
    node.done()
    return value


def _each(n: Node, key: str, fn: Callable[[Node], T]) -> tuple[T, ...]:
    """Each mapping of the list `key`, built and checked for unknown keys."""
    built = (_build(item, fn) for item in n.items(key))
    return tuple(b for b in built if b is not None)


@dataclass(frozen=True)
class Hosts:
    """Where the course's work happens: login and run hosts (patterns), how to reach them."""

    login: tuple[str, ...]
    run: tuple[str, ...]
    login_address: str
    next_hop: str

    @classmethod
    def load(cls, n: Node) -> Hosts:
        return cls(n.strs("login"), n.strs("run"), n.str("login_address"), n.str("next_hop"))


@dataclass(frozen=True)
class Scheduler:
    """The platform's scheduler: its kind, where jobs are submitted from, its commands."""

    kind: str
    submit_from: str
    commands: tuple[str, ...]
    launch_via: tuple[str, ...]  # the only ways accelerator work may start (Graphcore: srun, sbatch)
    partition: str
    note: str

    @classmethod
    def load(cls, n: Node) -> Scheduler:
        return cls(n.str("kind", required=True, choices=SCHEDULER_KINDS), n.str("submit_from", "any", choices=SUBMIT_FROM),
                   n.strs("commands"), n.strs("launch_via"), n.str("partition"), n.str("note"))


@dataclass(frozen=True)
class Conda:
    """The Miniconda install a conda environment lives in."""

    prefix: str
    installer_url: str

    @classmethod
    def load(cls, n: Node) -> Conda:
        return cls(n.str("prefix", "~/miniconda3"), n.str("installer_url", required=True))


@dataclass(frozen=True)
class Environment:
    """The Python environment the course builds (venv or conda) and how it is activated."""

    kind: str
    path: str  # the env's directory (venv dir, or conda prefix/envs/NAME)
    python: str  # required version, e.g. "3.11" or "3.10.12"
    interpreter: str  # venv: interpreter used to create it
    name: str  # conda env name
    creator: str  # venv: "virtualenv" or "venv" (the module the course uses)
    system_site_packages: bool
    conda: Conda | None
    conda_supported: bool
    activate: str  # the command a user types to activate it

    @classmethod
    def load(cls, n: Node) -> Environment:
        kind = n.str("kind", required=True, choices=ENV_KINDS)
        env = cls(kind, n.str("path", required=kind != "system"), n.str("python"), n.str("interpreter"),
                  n.str("name"), n.str("creator", "venv", choices=("venv", "virtualenv")),
                  n.bool("system_site_packages"), _build(n.child("conda"), Conda.load),
                  n.bool("conda_supported", kind == "conda"), n.str("activate"))
        if kind == "conda" and (env.conda is None or not env.name):
            raise n.error("conda", "a conda environment needs `name` and a `conda` section")
        if kind == "venv" and not env.interpreter:
            raise n.error("interpreter", "a venv needs the interpreter that creates it", n.line)
        return env


@dataclass(frozen=True)
class Requirement:
    """A package the environment must hold: version specifier, editable source, imports."""

    name: str
    spec: str  # a PEP 440 specifier set, "" for any version
    editable: str  # repo name the package must be installed from, in editable mode
    imports: tuple[str, ...]

    @classmethod
    def load(cls, n: Node) -> Requirement:
        req = cls(n.str("name", required=True), n.str("spec"), n.str("editable"), n.strs("imports"))
        try:
            SpecifierSet(req.spec)
        except InvalidSpecifier:
            raise n.error("spec", f"{req.spec!r} is not a version specifier (like ==2.10.0 or >=3,<4)") from None
        return req

    @property
    def text(self) -> str:
        return f"{self.name}{self.spec}"


@dataclass(frozen=True)
class Pip:
    """Where pip finds the course's packages (index, extra indexes, find-links)."""

    index_url: str
    extra_index_urls: tuple[str, ...]
    find_links: tuple[str, ...]
    trusted_hosts: tuple[str, ...]

    @classmethod
    def load(cls, n: Node) -> Pip:
        return cls(n.str("index_url"), n.strs("extra_index_urls"), n.strs("find_links"), n.strs("trusted_hosts"))

    def options(self) -> tuple[str, ...]:
        opts: list[str] = []
        if self.index_url:
            opts += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            opts += ["--extra-index-url", url]
        for link in self.find_links:
            opts += ["--find-links", link]
        for host in self.trusted_hosts:
            opts += ["--trusted-host", host]
        return tuple(opts)


@dataclass(frozen=True)
class Repo:
    """A repository the course clones, at a tag or branch, and what must match it."""

    name: str
    url: str
    ref: str
    ref_kind: str  # "tag" or "branch"
    dest: str
    required_files: tuple[str, ...]
    vendor_package: str  # installed package whose version must match the tag
    tag_version: str  # regex with one group that extracts the version from the tag

    @classmethod
    def load(cls, n: Node) -> Repo:
        repo = cls(n.str("name", required=True), n.str("url", required=True), n.str("ref", required=True),
                   n.str("ref_kind", "tag", choices=("tag", "branch")), n.str("dest", required=True),
                   n.strs("required_files"), n.str("vendor_package"), n.str("tag_version"))
        if repo.tag_version:
            try:
                if re.compile(repo.tag_version).groups != 1:
                    raise n.error("tag_version", "needs exactly one (group) that captures the version")
            except re.error as exc:
                raise n.error("tag_version", f"not a regular expression: {exc}") from None
        return repo

    def expected_vendor_version(self) -> str:
        if not (self.vendor_package and self.tag_version):
            return ""
        match = re.fullmatch(self.tag_version, self.ref)
        return match.group(1) if match else ""


@dataclass(frozen=True)
class Edit:
    """A change the course makes to a file of a clone (YAML keys, literal text or a copy)."""

    name: str
    kind: str  # yaml: set keys; replace: literal text; copy: copy_from only
    file: str
    copy_from: str
    repo: str  # file is inside this repo's clone; edits must stay inside it
    set: tuple[tuple[str, str], ...]  # (dotted key, value) for yaml edits
    replace: tuple[tuple[str, str], ...]  # (old, new) for replace edits
    path_keys: tuple[str, ...]  # key names whose values are data paths that must exist

    @classmethod
    def load(cls, n: Node) -> Edit:
        sets = n.raw("set") or {}
        repl = n.raw("replace") or {}
        if not isinstance(sets, dict):
            raise n.error("set", "expected a mapping of dotted.key: value")
        if not isinstance(repl, dict):
            raise n.error("replace", "expected a mapping of old text: new text")
        edit = cls(n.str("name", required=True), n.str("kind", "yaml", choices=EDIT_KINDS), n.str("file", required=True),
                   n.str("copy_from"), n.str("repo"), tuple((str(k), str(v)) for k, v in sets.items()),
                   tuple((str(k), str(v)) for k, v in repl.items()), n.strs("path_keys") or ("data_dir",))
        return edit


@dataclass(frozen=True)
class Variable:
    """An environment variable the course sets, and the startup file setup writes it to."""

    name: str
    value: str
    both_cases: bool  # also the lower-case name (wget reads only https_proxy)
    file: str  # where setup writes it

    @classmethod
    def load(cls, n: Node) -> Variable:
        var = cls(n.str("name", required=True), n.str("value", required=True), n.bool("both_cases"),
                  n.str("file", "~/.bashrc"))
        problem = shell_value_problem(var.name, var.value)
        if problem:
            raise n.error(*problem)
        return var

    def names(self) -> tuple[str, ...]:
        return (self.name, self.name.lower()) if self.both_cases and self.name.lower() != self.name else (self.name,)


@dataclass(frozen=True)
class SdkCommand:
    """A vendor tool command and the answer that shows the SDK works."""

    id: str
    title: str
    argv: tuple[str, ...]
    expect: str  # regex the output must match
    fix: str
    commands: tuple[str, ...]
    in_env: bool  # run with the recipe's environment activated
    step: str  # the setup step kind that repairs it (default: pip, when in_env)

    @classmethod
    def load(cls, n: Node) -> SdkCommand:
        cmd = cls(n.str("id", required=True), n.str("title", required=True), n.strs("argv"), n.str("expect"),
                  n.str("fix", required=True), n.strs("commands"), n.bool("in_env"), n.str("step"))
        if not cmd.argv:
            raise n.error("argv", "is required", n.line)
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cmd.id):
            raise n.error("id", "use lower-case words joined by '-'")
        return cmd


@dataclass(frozen=True)
class Step:
    """One setup step: a kind from the step registry plus that kind's own fields."""

    id: str
    kind: str
    fields: tuple[tuple[str, Any], ...]

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.fields).get(key, default)


@dataclass(frozen=True)
class Param:
    """A parameter of a reference run: its type, range and where it goes (flag, config, env)."""

    name: str
    type: str
    default: Any
    min: float | None
    max: float | None
    choices: tuple[str, ...]
    flag: str  # command-line flag, e.g. --epochs
    config_key: str  # dotted key in the run's config file
    env: str  # environment variable
    scheduler_flag: str  # flag of the scheduler's submit command (sbatch --ntasks)
    help: str
    script: str = ""  # regex with one group: the constant in the run's script (a per-run copy is edited)

    @classmethod
    def load(cls, name: str, n: Node) -> Param:
        p = cls(name, n.str("type", "str", choices=PARAM_TYPES), n.raw("default"), n.number("min"), n.number("max"),
                n.strs("choices"), n.str("flag"), n.str("config_key"), n.str("env"), n.str("scheduler_flag"), n.str("help"),
                n.str("script"))
        if not (p.flag or p.config_key or p.env or p.scheduler_flag or p.script):
            raise n.error("flag", "a parameter needs a flag, config_key, env, scheduler_flag or script it maps to", n.line)
        if p.script:
            try:
                if re.compile(p.script).groups != 1:
                    raise n.error("script", "needs exactly one (group): the value in the script")
            except re.error as exc:
                raise n.error("script", f"not a regular expression: {exc}") from None
        return p


def _argvs(n: Node, key: str) -> tuple[tuple[str, ...], ...]:
    value = n.raw(key) or []
    if not isinstance(value, list) or not all(isinstance(a, list) and a and all(isinstance(x, str) for x in a)
                                              for a in value):
        raise n.error(key, "expected a list of commands, each a list of strings")
    return tuple(tuple(a) for a in value)


@dataclass(frozen=True)
class Run:
    """A reference run: how it is launched, parsed and judged."""

    name: str
    title: str
    kind: str  # training or inference
    launcher: str
    workdir: str
    command: tuple[str, ...]  # argv template
    compile_command: tuple[str, ...]  # run first, when present (SambaNova compile, then run)
    config: str  # the config file its config_key parameters edit (a copy per run)
    scheduler_flags: tuple[str, ...]
    params: tuple[Param, ...]
    metrics: str  # metric parser name
    sanity: tuple[str, ...]  # regexes that must all match the log
    performance: tuple[tuple[str, float], ...]  # metric -> reference value
    timeout: float
    env: tuple[tuple[str, str], ...]
    script: str = ""  # the script `script` parameters edit (a per-run copy in the run directory)
    prepare: tuple = ()  # argv lists the job runs before `command` (pip install -r requirements.txt)

    @classmethod
    def load(cls, name: str, n: Node) -> Run:
        perf = n.raw("performance") or {}
        env = n.raw("env") or {}
        if not isinstance(perf, dict) or not all(isinstance(v, (int, float)) for v in perf.values()):
            raise n.error("performance", "expected a mapping of metric: number")
        run = cls(name, n.str("title", name), n.str("kind", "training", choices=("training", "inference")),
                  n.str("launcher", required=True, choices=launcher_names()), n.str("workdir", required=True),
                  n.strs("command"), n.strs("compile_command"), n.str("config"), n.strs("scheduler_flags"),
                  tuple(Param.load(k, v) for k, v in n.named("params")),
                  n.str("metrics", required=True, choices=tuple(metrics.names())),
                  n.strs("sanity"), tuple((str(k), float(v)) for k, v in perf.items()),
                  n.number("timeout", 3600.0) or 3600.0,
                  tuple((str(k), str(v)) for k, v in env.items()), n.str("script"), _argvs(n, "prepare"))
        # A registered name whose module is gone is an error here, not a skipped run later.

        for key, missing in (("launcher", launchers.missing_module(run.launcher)),
                             ("metrics", metrics.missing_module(run.metrics))):
            if missing:
                raise n.error(key, missing)
        return run

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise UsageError(f"run {self.name!r} has no parameter {name!r}; "
                         + (closest(name, [p.name for p in self.params]) if self.params else "it takes none"))


SIM_PAYLOAD = Path(__file__).with_name("targets") / "sim" / "payload"
REF_KINDS = ("tag", "branch")


def _rel_dir(n: Node, key: str, base: Path) -> str:
    """A directory named relative to the recipe file; it must exist (one line naming the key)."""
    text = n.str(key)
    if not text:
        return ""
    where = (base / os.path.expanduser(text)).resolve()
    if not where.is_dir():
        raise n.error(key, f"{text!r} is not a directory (relative to {base})")
    return str(where)


@dataclass(frozen=True)
class SimWheel:
    """A stand-in wheel for the simulated node's wheelhouse (a vendor package that exists only
    on the testbed): the real distribution name, versions and import name."""

    name: str
    versions: tuple[str, ...]
    module: str  # dotted import name; its __init__.py gets __version__
    module_version: str  # __version__ when the distribution version has a local part (poptorch)
    filename_version: str  # the vendor's own spelling in the wheel's file name
    submodules: tuple[str, ...]  # more (empty) packages inside it
    code: str  # a file (relative to sim.payload) appended to the module: the stand-in's behaviour
    requires: tuple[str, ...]
    summary: str

    @classmethod
    def load(cls, n: Node, payload: Path) -> SimWheel:
        versions = n.strs("versions") or n.strs("version")
        wheel = cls(n.str("name", required=True), versions, n.str("module", required=True), n.str("module_version"),
                    n.str("filename_version"), n.strs("submodules"), n.str("code"), n.strs("requires"), n.str("summary"))
        if not versions:
            raise n.error("version", "is required (or `versions:`, a list)", n.line)
        if not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*", wheel.module):
            raise n.error("module", f"{wheel.module!r} is not a dotted import name")
        if wheel.code and not (payload / wheel.code).is_file():
            raise n.error("code", f"no file {wheel.code!r} under the sim payload {payload}")
        return wheel


@dataclass(frozen=True)
class SimRef:
    """A ref of a simulated upstream repository, built from a skeleton tree."""

    name: str
    kind: str  # "tag" (annotated) or "branch"
    tree: str  # the skeleton directory (payload upstreams/<slug>/<tree>) of this ref
    subst: tuple[tuple[str, str], ...]  # literal replacements in every file (Release_2.9.0 from 2.10.0's tree)

    @classmethod
    def load(cls, n: Node) -> SimRef:
        subst = n.raw("subst") or {}
        if not isinstance(subst, dict):
            raise n.error("subst", "expected a mapping of old text: new text")
        name = n.str("name", required=True)
        return cls(name, n.str("kind", "tag", choices=REF_KINDS), n.str("tree") or name,
                   tuple((str(k), str(v)) for k, v in subst.items()))


@dataclass(frozen=True)
class SimUpstream:
    """A repository's simulated upstream: a bare git repo with the real ref names."""

    url: str
    slug: str  # org/name: payload upstreams/<slug>/ and workloads/<slug>/
    refs: tuple[SimRef, ...]  # in commit order; the last branch is HEAD
    workloads: tuple[str, ...]  # workload scripts that must be present (placeholders otherwise)
    payload: str = ""  # the declaring recipe's sim payload: its upstreams/<slug>/ and workloads/<slug>/ come first

    @classmethod
    def load(cls, n: Node, payload: str = "") -> SimUpstream:
        up = cls(n.str("url", required=True), n.str("slug", required=True),
                 _each(n, "refs", SimRef.load), n.strs("workloads"),
                 payload)
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", up.slug):
            raise n.error("slug", f"{up.slug!r} is not org/name")
        if not up.refs:
            raise n.error("refs", "is required (the tags and branches, oldest first)", n.line)
        return up


@dataclass(frozen=True)
class Sim:
    """What a real node of the platform has that no other recipe field describes: read by
    `envdoctor sim create` (envdoctor/targets/sim/builder.py), never by checks or setup."""

    payload: str  # the platform's node files: <payload>/common/ and <payload>/<release>/ (absolute)
    bin_dirs: tuple[str, ...] = ()  # recipe-style dirs the node's /etc/bashrc puts on PATH
    sources: tuple[str, ...] = ()  # scripts the node's /etc/bashrc sources (SDK enable)
    sdk_wheels: tuple[tuple[str, str], ...] = ()  # (recipe-style dir, distribution) shipped in an SDK
    pbs_server: str = "pbs-server"  # the PBS stand-in's server name (job ids <n>.<server>)
    user_dirs: tuple[str, ...] = ()  # node directories the user owns ({user} is the user name)
    wheels: tuple[SimWheel, ...] = ()
    upstreams: tuple[SimUpstream, ...] = ()

    @classmethod
    def load(cls, n: Node, recipe_dir: Path, platform: str) -> Sim:
        payload = _rel_dir(n, "payload", recipe_dir) or str(SIM_PAYLOAD / "platforms" / platform)
        sdk_wheels = []
        for item in n.items("sdk_wheels"):
            sdk_wheels.append((item.str("dir", required=True), item.str("wheel", required=True)))
            item.done()
        sim = cls(payload, n.strs("bin_dirs"), n.strs("sources"), tuple(sdk_wheels), n.str("pbs_server", "pbs-server"),
                  n.strs("user_dirs"),
                  _each(n, "wheels", functools.partial(SimWheel.load, payload=Path(payload))),
                  _each(n, "upstreams", functools.partial(SimUpstream.load, payload=payload)))
        for key, paths in (("bin_dirs", sim.bin_dirs), ("sources", sim.sources), ("user_dirs", sim.user_dirs),
                           ("sdk_wheels", tuple(d for d, _ in sim.sdk_wheels))):
            for p in paths:
                if not p.startswith(("/", "~/")):
                    raise n.error(key, f"{p!r} is not a node path (/opt/..., /software/..., ~/...)")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", sim.pbs_server):
            raise n.error("pbs_server", f"{sim.pbs_server!r} is not a host name")
        return sim


@dataclass(frozen=True)
class Classroom:
    """How the platform appears in class reports and account checks."""

    order: float  # column position in `class report` (lower first; platforms without one go last)
    home_access: str  # what the platform needs of a home directory, as chmod says it
    home_access_why: str  # why, in the account check's message

    @classmethod
    def load(cls, n: Node) -> Classroom:
        access = n.str("home_access", "u+x")
        if not re.fullmatch(r"[ugoa]+\+x", access):
            raise n.error("home_access", f"{access!r} is not like u+x, a+x or go+x")
        return cls(n.number("order", 99.0) or 0.0, access, n.str("home_access_why"))


DEFAULT_CLASSROOM = Classroom(99.0, "u+x", "")


@dataclass(frozen=True)
class Recipe:
    """One platform at one release: everything envdoctor knows about its course, validated."""

    path: str
    platform: str
    release: str
    default: bool
    title: str
    retired: str  # why and where to go instead, when the system is no longer available
    sources: tuple[str, ...]
    hosts: Hosts
    scheduler: Scheduler
    environment: Environment
    requirements: tuple[Requirement, ...]
    pip: Pip
    repos: tuple[Repo, ...]
    edits: tuple[Edit, ...]
    variables: tuple[Variable, ...]
    network: tuple[str, ...]
    proxy: str
    disk_gb: float
    sdk: tuple[SdkCommand, ...]
    steps: tuple[Step, ...]
    runs: tuple[Run, ...]
    user_site_ok: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    citations: Mapping[str, Any] = field(default_factory=dict)  # key path -> its sources (recipe_sources)
    unsourced: tuple = ()  # key paths of fact-bearing mappings without a source
    sim: Sim | None = None  # the simulated node's extras (None: only what the other fields say)
    classroom: Classroom = DEFAULT_CLASSROOM
    vendor_packages: tuple[str, ...] = ()  # the platform's vendor distributions (snapshot diffs weigh them)
    env_prefixes: tuple[str, ...] = ()  # its SDK's environment variables (POPLAR_...): kept in snapshots
    knowledge: tuple[str, ...] = ()  # fault knowledge-base files of its own (absolute; named relative to the recipe)

    def repo(self, name: str) -> Repo:
        for r in self.repos:
            if r.name == name:
                return r
        raise KeyError(name)

    def run(self, name: str | None) -> Run:
        if not self.runs:
            raise UsageError(f"{self.platform} {self.release} has no reference runs")
        if name is None:
            return self.runs[0]
        for r in self.runs:
            if r.name == name:
                return r
        raise UsageError(f"unknown example {name!r} for {self.platform}: {closest(name, [r.name for r in self.runs])}")

    @property
    def key(self) -> str:
        return f"{self.platform}@{self.release}"


class _Problems:
    """Collects RecipeErrors so that `recipe validate` can report every problem at once."""

    def __init__(self) -> None:
        self.errors: list[RecipeError] = []

    def __call__(self, fn: Callable[[], T], default: Any = None) -> Any:
        try:
            return fn()
        except RecipeError as exc:
            self.errors.append(exc)
            return default

    def each(self, n: Node, key: str, loader: Callable[[Node], T]) -> tuple[T, ...]:
        items = self(lambda: list(n.items(key)), [])
        built = (self(functools.partial(_build, item, loader)) for item in items)
        return tuple(b for b in built if b is not None)


def _load_step(item: Node, names: dict[str, set[str]], index: int) -> Step:
    kind = item.str("kind", required=True)
    fields = {str(k): _plain(v) for k, v in item.data.items() if k not in ("kind", "id", "source")}
    named = fields.get("repo") or fields.get("edit")
    step_id = item.str("id") or (f"{kind}:{named}" if named else kind)
    problem = validate_step(kind, fields, names)
    if problem:
        raise item.error(*problem)
    return Step(step_id, kind, tuple(sorted(fields.items())))


def _load_steps(n: Node, names: dict[str, set[str]], p: _Problems) -> tuple[Step, ...]:
    steps: list[Step] = []
    for index, item in enumerate(p(lambda: list(n.items("steps")), [])):
        step = p(functools.partial(_load_step, item, names, index))
        if step is None:
            continue
        if step.id in {s.id for s in steps}:
            if "id" in item.data:
                p.errors.append(item.error("id", f"duplicate step id {step.id!r}"))
                continue
            step = Step(f"{step.id}:{index}", step.kind, step.fields)  # a second unnamed step of a kind
        steps.append(step)
    return tuple(steps)


MAX_RECIPE_BYTES = 4 * 1024 * 1024


def _read(path: Path) -> str:
    """A regular file only (a FIFO or device under $ENVDOCTOR_RECIPES must not hang every
    command), capped by bytes read (envdoctor.safeio)."""
    return safeio.read_text(path, MAX_RECIPE_BYTES, "recipe", allow_stdin=False)


def _parse_yaml(path: Path, text: str) -> Any:
    from ruamel.yaml import YAML  # lazy: ruamel.yaml (~30 modules) only when a recipe is not in the cache
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # lazy: with the line above


    # Aliases and anchors are refused before composing (an alias bomb of a few hundred
    # bytes would expand to gigabytes in validation), and so is deep nesting (RecursionError).
    problem = yaml_problem(text)
    if problem is not None:
        raise RecipeError(str(path), problem[0], "(yaml)", problem[1])
    try:
        return YAML(typ="rt").load(text)
    except RecursionError:
        raise RecipeError(str(path), None, "(yaml)", "nested too deeply") from None
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RecipeError(str(path), line, "(yaml)", f"not valid YAML: {exc.problem}") from None
    except YAMLError as exc:
        raise RecipeError(str(path), None, "(yaml)", f"not valid YAML: {exc}") from None


def _cache_material(text: str) -> tuple[bytes, bytes, str]:
    # What the validated result depends on: this module, the step schema, and the text.
    return Path(__file__).read_bytes(), Path(__file__).with_name("steps").joinpath("__init__.py").read_bytes(), text


def load(path: str | os.PathLike[str]) -> Recipe:
    """Load and validate one recipe file; raises RecipeError naming file, line and key
    (a RecipeErrors carrying every problem found, when there is more than one).

    A file that validated before is reloaded from the JSON cache (envdoctor.cache); a
    problem is always reported from a fresh parse, which knows the line of every key."""
    path = Path(path)
    text = _read(path)
    cached = cache.read("recipe", *_cache_material(text))
    if cached is not None:
        try:
            return _validate(cached, path)
        except RecipeError:
            pass
    data = _parse_yaml(path, text)
    recipe = _validate(data, path)
    cache.write("recipe", _plain(data), *_cache_material(text))
    return recipe


def _validate(data: Any, path: Path) -> Recipe:
    if not isinstance(data, Mapping):
        raise RecipeError(str(path), 1, "(top)", "a recipe is a mapping (platform:, release:, ...)")
    n = Node(data, str(path), "", 1)
    schema = n.number("schema")
    if schema != SCHEMA_VERSION:
        raise n.error("schema", f"this envdoctor reads recipe schema {SCHEMA_VERSION}; got {schema}")
    p = _Problems()
    platform = p(lambda: n.str("platform", required=True), "")
    if platform and not re.fullmatch(r"[a-z][a-z0-9-]*", platform):
        p.errors.append(n.error("platform", "use a lower-case name like groq"))
    repos, edits = p.each(n, "repos", Repo.load), p.each(n, "edits", Edit.load)
    variables = p.each(n, "variables", Variable.load)
    names = {"repo": {r.name for r in repos}, "edit": {e.name for e in edits}, "variable": {v.name for v in variables}}
    for edit_node, edit in zip(p(lambda: list(n.items("edits")), []), edits):
        if edit.repo and edit.repo not in names["repo"]:
            p.errors.append(edit_node.error("repo", f"no repo named {edit.repo!r} in this recipe"))
    runs = p(lambda: [(name, rn) for name, rn in n.named("runs")], [])
    fields = dict(
        path=str(path), platform=platform, release=p(lambda: n.str("release", required=True)),
        default=p(lambda: n.bool("default")), title=p(lambda: n.str("title", required=True)),
        retired=p(lambda: n.str("retired")), sources=_sources(n, data, p),
        hosts=p(lambda: _build(n.child("hosts", required=True), Hosts.load)),
        scheduler=p(lambda: _build(n.child("scheduler", required=True), Scheduler.load)),
        environment=p(lambda: _build(n.child("environment", required=True), Environment.load)),
        requirements=p.each(n, "requirements", Requirement.load),
        pip=p(lambda: _build(n.child("pip"), Pip.load)) or Pip("", (), (), ()),
        repos=repos, edits=edits, variables=variables, network=p(lambda: n.strs("network")),
        proxy=p(lambda: n.str("proxy")), disk_gb=p(lambda: n.number("disk_gb", 1.0)) or 0.0,
        sdk=p.each(n, "sdk", SdkCommand.load), steps=_load_steps(n, names, p),
        runs=tuple(r for r in (p(functools.partial(_build, rn, functools.partial(Run.load, name))) for name, rn in runs) if r),
        user_site_ok=p(lambda: n.bool("user_site_ok")), extra=p(lambda: n.raw("extra")) or {},
        sim=p(lambda: _build(n.child("sim"), functools.partial(Sim.load, recipe_dir=path.parent.resolve(),
                                                                  platform=platform))),
        classroom=p(lambda: _build(n.child("classroom"), Classroom.load)) or DEFAULT_CLASSROOM,
        vendor_packages=p(lambda: n.strs("vendor_packages")), env_prefixes=p(lambda: _env_prefixes(n)) or (),
        knowledge=p(lambda: _files_beside(n, "knowledge", path.parent.resolve())) or (),
    )
    p(n.done)
    fields.update(_citations(data, path, p))
    if p.errors:
        raise p.errors[0] if len(p.errors) == 1 else RecipeErrors(p.errors)
    return Recipe(**fields)


def _files_beside(n: Node, key: str, base: Path) -> tuple[str, ...]:
    """Files named relative to the recipe file; each must exist."""
    found = []
    for name in n.strs(key):
        where = (base / os.path.expanduser(name)).resolve()
        if not where.is_file():
            raise n.error(key, f"{name!r} is not a file (relative to {base})")
        found.append(str(where))
    return tuple(found)


def _env_prefixes(n: Node) -> tuple[str, ...]:
    prefixes = n.strs("env_prefixes")
    for prefix in prefixes:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", prefix):
            raise n.error("env_prefixes", f"{prefix!r} is not the start of a variable name (like POPLAR_)")
    return prefixes


def _sources(n: Node, data: Mapping[str, Any], p: _Problems) -> tuple[str, ...]:
    """The top-level `sources:` (NAME: "owner/repo @ commit"), as `NAME: value` strings."""
    n.raw("sources")
    names, problems = recipe_sources.aliases(data)
    for key, problem in problems:
        p.errors.append(RecipeError(n.path, recipe_sources.line_of(data, key), key, problem))
    return tuple(f"{k}: {v}" for k, v in names.items())


def _citations(data: Mapping[str, Any], path: Path, p: _Problems) -> dict[str, Any]:
    """Every fact-bearing mapping's sources; malformed citations are errors, missing ones
    are listed in `unsourced` (reported by `recipe validate`)."""
    cited, problems, missing = recipe_sources.survey(data)
    for key, problem in problems:
        if key != "sources" and not key.startswith("sources."):
            p.errors.append(RecipeError(str(path), recipe_sources.line_of(data, key), key, problem))
    return {"citations": cited, "unsourced": tuple(missing)}


@dataclass(frozen=True)
class Catalog:
    """Every recipe loaded (shipped and on the recipe path), by platform and release."""

    recipes: tuple[Recipe, ...]

    def platforms(self) -> list[str]:
        return sorted({r.platform for r in self.recipes})

    def releases(self, platform: str) -> list[Recipe]:
        return [r for r in self.recipes if r.platform == platform]

    def get(self, platform: str, release: str | None = None) -> Recipe:
        options = self.releases(platform)
        if not options:
            raise UsageError(f"unknown platform {platform!r}: {closest(platform, self.platforms())}")
        if release is None:
            return next((r for r in options if r.default), options[0])
        for r in options:
            if r.release == release:
                return r
        raise UsageError(f"unknown release {release!r} of {platform}: {closest(release, [r.release for r in options])}")

    def class_order(self) -> list[str]:
        """Platforms in the order class reports show them (each platform's lowest `classroom.order`)."""
        order = {p: min(r.classroom.order for r in self.releases(p)) for p in self.platforms()}
        return sorted(order, key=lambda p: (order[p], p))

    def classroom(self, platform: str) -> Classroom:
        """The platform's classroom data (from its default release; the defaults for an unknown one)."""
        return self.get(platform).classroom if self.releases(platform) else DEFAULT_CLASSROOM

    def vendor_packages(self) -> frozenset[str]:
        """Every platform's vendor distributions (a snapshot's recipe may not load: another release)."""
        return frozenset(p for r in self.recipes for p in r.vendor_packages)

    def env_prefixes(self) -> tuple[str, ...]:
        """Every platform's SDK variable prefixes, sorted (str.startswith takes the tuple)."""
        return tuple(sorted({p for r in self.recipes for p in r.env_prefixes}))

    def knowledge_files(self) -> list[str]:
        """Fault knowledge-base files the recipes bring (a platform from outside the package)."""
        return sorted({f for r in self.recipes for f in r.knowledge})

    def upstream(self, url: str) -> SimUpstream | None:
        """The simulated upstream of a repository URL, from whichever recipe describes it."""
        return next((u for r in self.recipes if r.sim for u in r.sim.upstreams if u.url == url), None)

    def upstreams(self) -> list[SimUpstream]:
        seen: dict[str, SimUpstream] = {}
        for r in self.recipes:
            for u in r.sim.upstreams if r.sim else ():
                seen.setdefault(u.url, u)
        return list(seen.values())


_CATALOG: Catalog | None = None
PATH_VARS = ("ENVDOCTOR_RECIPE_PATH", "ENVDOCTOR_RECIPES")  # the second is the older name


def recipe_path() -> list[Path]:
    """Recipe files and directories from outside the package ($ENVDOCTOR_RECIPE_PATH, os.pathsep
    separated): a platform added as data, with no change to envdoctor."""
    found: list[Path] = []
    for var in PATH_VARS:
        for part in os.environ.get(var, "").split(os.pathsep):
            if not part:
                continue
            where = Path(os.path.expanduser(part))
            if not (where.is_dir() or where.is_file()):
                raise UsageError(f"${var}: {part} is neither a recipe file nor a directory of them; "
                                 f"fix or unset {var}")
            found.append(where)
    return found


def _files(where: Path) -> list[Path]:
    return [where] if where.is_file() else sorted(where.glob("*.yaml"))


def catalog(directory: Path | None = None) -> Catalog:
    """All shipped recipes (plus those on $ENVDOCTOR_RECIPE_PATH), loaded once per process.
    Two recipes of the same platform and release are an error naming both files."""
    global _CATALOG
    if directory is None and _CATALOG is not None:
        return _CATALOG
    places = [directory or RECIPE_DIR] + (recipe_path() if directory is None else [])
    seen: dict[Path, Path] = {}  # a file named twice (a directory and the file itself) loads once
    for where in places:
        for f in _files(where):
            seen.setdefault(f.resolve(), f)
    found = tuple(load(p) for p in seen.values())
    first: dict[str, Recipe] = {}
    for r in found:
        if r.key in first:
            raise UsageError(f"{r.path}: {r.platform} release {r.release} is also defined in {first[r.key].path}; "
                             "rename one release or remove one file from the recipe path")
        first[r.key] = r
    result = Catalog(found)
    if directory is None:
        _CATALOG = result
    return result
