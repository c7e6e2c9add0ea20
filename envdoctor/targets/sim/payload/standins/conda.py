# The conda stand-in of an envdoctor simulated node (installed as <prefix>/bin/conda).
#
# Real conda cannot be installed offline here, so this script honours the parts of conda's
# command line that the course, envdoctor's checks and its setup steps use, with conda's own
# output formats: --version, info [--json|--envs], env list [--json], shell.bash hook,
# shell.posix activate|deactivate, create, remove, env remove, run, init, list, config.
# Environments are real virtualenvs (made with the host interpreter that plays the requested
# Python) with a real conda-meta/ directory. Settings come from <prefix>/etc/envdoctor-sim.json,
# written by the stand-in installer.
from __future__ import annotations

import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

CONDA_VERSION = "24.11.3"
PREFIX = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONDA_EXE = os.path.join(PREFIX, "bin", "conda")
PYTHON_EXE = os.path.join(PREFIX, "bin", "python")
BEGIN, END = "# >>> conda initialize >>>", "# <<< conda initialize <<<"


def settings() -> dict:
    with open(os.path.join(PREFIX, "etc", "envdoctor-sim.json"), encoding="utf-8") as fh:
        return json.load(fh)


def fail(kind: str, message: str, code: int = 1) -> NoReturn:  # noqa: F821
    sys.stderr.write(f"\n{kind}: {message}\n\n" if kind else message + "\n")
    sys.exit(code)


# --- environments -----------------------------------------------------------------------

def envs_dir() -> str:
    return os.path.join(PREFIX, "envs")


def all_envs() -> list[str]:
    found = [PREFIX]
    if os.path.isdir(envs_dir()):
        found += [os.path.join(envs_dir(), n) for n in sorted(os.listdir(envs_dir()))
                  if os.path.isdir(os.path.join(envs_dir(), n, "conda-meta"))]
    return found


def env_name(prefix: str) -> str:
    return "base" if prefix == PREFIX else os.path.basename(prefix)


def resolve(name: str | None, path: str | None) -> str:
    if path:
        return os.path.abspath(os.path.expanduser(path))
    if not name or name == "base":
        return PREFIX
    if "/" in name:
        return os.path.abspath(os.path.expanduser(name))
    return os.path.join(envs_dir(), name)


def must_exist(prefix: str, name: str) -> str:
    if not os.path.isdir(os.path.join(prefix, "conda-meta")):
        fail("EnvironmentNameNotFound", f"Could not find conda environment: {name}\n"
             "You can list all discoverable environments with `conda info --envs`.")
    return prefix


def condarc() -> dict:
    """~/.condarc as a flat mapping (only `key: value` lines are understood)."""
    values: dict = {}
    path = os.path.expanduser("~/.condarc")
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                m = re.match(r"^([A-Za-z_]+)\s*:\s*(\S.*?)\s*$", line)
                if m:
                    values[m.group(1)] = m.group(2)
    except OSError:
        pass
    return values


def auto_activate_base() -> bool:
    # Like real conda: CONDA_AUTO_ACTIVATE_BASE overrides ~/.condarc; the default is true.
    value = os.environ.get("CONDA_AUTO_ACTIVATE_BASE") or condarc().get("auto_activate_base", "true")
    return value.strip().lower() not in ("false", "no", "0")


def python_version(prefix: str) -> str:
    for f in os.listdir(os.path.join(prefix, "conda-meta")) if os.path.isdir(os.path.join(prefix, "conda-meta")) else []:
        m = re.fullmatch(r"python-(\d+\.\d+\.\d+)-.*\.json", f)
        if m:
            return m.group(1)
    return ""


def pick_interpreter(requested: str) -> tuple[str, str]:
    """(path, version) of the host interpreter that plays Python `requested`."""
    table = settings()["interpreters"]  # "3.10" -> {"path", "version"}
    want = [int(x) for x in re.findall(r"\d+", requested)[:2]] or [3, 12]
    if len(want) == 1:
        want.append(12)
    best = min(table.items(), key=lambda kv: (abs(int(kv[0].split(".")[1]) - want[1]), int(kv[0].split(".")[1]) < want[1]))
    return best[1]["path"], best[1]["version"]


def write_meta(prefix: str, version: str, argv: list[str], specs: list[str]) -> None:
    meta = os.path.join(prefix, "conda-meta")
    os.makedirs(meta, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    with open(os.path.join(meta, "history"), "a", encoding="utf-8") as fh:
        fh.write(f"==> {stamp} <==\n# cmd: {' '.join(argv)}\n# conda version: {CONDA_VERSION}\n")
        fh.write(f"+defaults/linux-64::python-{version}-h955ad1f_0\n")
        fh.write(f"# update specs: {json.dumps(specs)}\n")
    record = {"name": "python", "version": version, "build": "h955ad1f_0", "build_number": 0,
              "channel": "https://repo.anaconda.com/pkgs/main/linux-64", "subdir": "linux-64",
              "fn": f"python-{version}-h955ad1f_0.conda", "requested_spec": specs[0] if specs else "python",
              "files": ["bin/python"]}
    with open(os.path.join(meta, f"python-{version}-0.json"), "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2)


def make_env(prefix: str, requested: str, argv: list[str], specs: list[str]) -> None:
    s = settings()
    interp, version = pick_interpreter(requested)
    env = dict(os.environ, VIRTUALENV_OVERRIDE_APP_DATA=s["virtualenv_app_data"])
    cmd = [s["virtualenv_python"], "-m", "virtualenv", "--quiet", "--no-download", "--no-periodic-update",
           "--prompt", os.path.basename(prefix), "-p", interp, prefix]
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        fail("CondaError", f"could not create {prefix}:\n{done.stdout}")
    write_meta(prefix, version, argv, specs)
    enable_user_site(prefix)


# A conda env's python is not a venv: its user site (~/.local/lib/pythonX.Y/site-packages) is on
# and comes before the env's site-packages. The env here is a virtualenv (user site off), so a
# .pth line restores conda's behaviour (unless -s or PYTHONNOUSERSITE, as in real Python).
USER_SITE_PTH = (
    "import os, site, sys; u = site.getusersitepackages(); "
    "on = not sys.flags.no_user_site and not os.environ.get('PYTHONNOUSERSITE'); "
    "setattr(site, 'ENABLE_USER_SITE', on); "
    "on and os.path.isdir(u) and u not in sys.path and sys.path.insert("
    "next((i for i, p in enumerate(sys.path) if p.endswith('site-packages')), len(sys.path)), u)\n")


def enable_user_site(prefix: str) -> None:
    lib = os.path.join(prefix, "lib")
    for name in os.listdir(lib):
        site_dir = os.path.join(lib, name, "site-packages")
        if name.startswith("python") and os.path.isdir(site_dir):
            with open(os.path.join(site_dir, "_conda_user_site.pth"), "w", encoding="utf-8") as fh:
                fh.write(USER_SITE_PTH)


# --- commands ---------------------------------------------------------------------------

def parse(args: list[str], flags: dict[str, int]) -> tuple[dict, list[str]]:
    """A tiny option parser: flags maps each option to how many values it takes."""
    opts: dict = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        key, _, inline = a.partition("=") if a.startswith("--") else (a, "", "")
        if key in flags:
            n = flags[key]
            if n == 0:
                opts[key] = True
            else:
                opts[key] = inline or (args[i + 1] if i + 1 < len(args) else "")
                i += 0 if inline else 1
        else:
            rest.append(a)
        i += 1
    return opts, rest


def target_of(opts: dict) -> tuple[str | None, str | None]:
    return opts.get("-n") or opts.get("--name"), opts.get("-p") or opts.get("--prefix")


ENV_FLAGS = {"-n": 1, "--name": 1, "-p": 1, "--prefix": 1, "-y": 0, "--yes": 0, "--json": 0, "-q": 0,
             "--quiet": 0, "--all": 0, "-c": 1, "--channel": 1, "--override-channels": 0}


def cmd_info(args: list[str]) -> int:
    opts, _ = parse(args, {"--json": 0, "--envs": 0, "-e": 0, "--base": 0})
    active = os.environ.get("CONDA_PREFIX", "")
    if opts.get("--base"):
        print(PREFIX)
        return 0
    if opts.get("--envs") or opts.get("-e"):
        return cmd_env_list(["--json"] if opts.get("--json") else [])
    vi = sys.version_info
    info = {
        "conda_version": CONDA_VERSION, "conda_prefix": PREFIX, "root_prefix": PREFIX,
        "envs": all_envs(), "envs_dirs": [envs_dir(), os.path.expanduser("~/.conda/envs")],
        "pkgs_dirs": [os.path.join(PREFIX, "pkgs"), os.path.expanduser("~/.conda/pkgs")],
        "active_prefix": active or None, "active_prefix_name": env_name(active) if active else None,
        "default_prefix": active or PREFIX, "conda_shlvl": int(os.environ.get("CONDA_SHLVL", "-1") or -1),
        "python_version": f"{vi.major}.{vi.minor}.{vi.micro}.{vi.releaselevel}.{vi.serial}",
        "platform": "linux-64", "rc_path": os.path.expanduser("~/.condarc"),
        "user_rc_path": os.path.expanduser("~/.condarc"), "sys.version": sys.version,
        "sys.executable": sys.executable, "channels": ["https://repo.anaconda.com/pkgs/main/linux-64",
                                                      "https://repo.anaconda.com/pkgs/main/noarch"],
    }
    if opts.get("--json"):
        print(json.dumps(info, indent=2))
        return 0
    print(f"\n     active environment : {info['active_prefix_name'] or 'None'}")
    if active:
        print(f"    active env location : {active}")
    print(f"       user config file : {info['user_rc_path']}\n          conda version : {CONDA_VERSION}")
    print(f"         python version : {info['python_version']}\n       base environment : {PREFIX}  (writable)")
    print(f"       envs directories : {envs_dir()}\n               platform : linux-64\n")
    return 0


def cmd_env_list(args: list[str]) -> int:
    opts, _ = parse(args, {"--json": 0})
    if opts.get("--json"):
        print(json.dumps({"envs": all_envs()}, indent=2))
        return 0
    active = os.environ.get("CONDA_PREFIX", "")
    print("# conda environments:\n#")
    for p in all_envs():
        print(f"{env_name(p):<25}{'*' if p == active else ' '}  {p}")
    print()
    return 0


def confirm(opts: dict) -> None:
    if opts.get("-y") or opts.get("--yes") or os.environ.get("CONDA_ALWAYS_YES", "").lower() == "true":
        return
    sys.stdout.write("\nProceed ([y]/n)? ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("", "y", "yes"):
        fail("CondaSystemExit", "Exiting.", 1)


def cmd_create(args: list[str]) -> int:
    opts, specs = parse(args, ENV_FLAGS)
    name, path = target_of(opts)
    if not name and not path:
        fail("CondaValueError", "either -n NAME or -p PREFIX option required,\ntry \"conda create -h\" for more details")
    prefix = resolve(name, path)
    if prefix == PREFIX:
        fail("CondaValueError", "'base' is a reserved environment name")
    pyspec = next((s for s in specs if re.match(r"python(=|$)", s)), "")
    requested = pyspec.partition("=")[2].lstrip("=") or "3.12"
    print("Channels:\n - defaults\nPlatform: linux-64\nCollecting package metadata (repodata.json): done\n"
          "Solving environment: done\n\n## Package Plan ##\n\n  environment location: " + prefix + "\n\n"
          "  added / updated specs:\n" + "".join(f"    - {s}\n" for s in specs or ["python"]))
    if os.path.exists(prefix):
        print(f"WARNING: A conda environment already exists at '{prefix}'\n")
        confirm(opts)
        shutil.rmtree(prefix)
    else:
        confirm(opts)
    print("\nDownloading and Extracting Packages:\n\nPreparing transaction: done\nVerifying transaction: done\n"
          "Executing transaction: done")
    make_env(prefix, requested, ["conda", "create", *args], specs)
    shown = name or prefix
    print(f"#\n# To activate this environment, use\n#\n#     $ conda activate {shown}\n#\n"
          "# To deactivate an active environment, use\n#\n#     $ conda deactivate\n")
    return 0


def cmd_remove(args: list[str]) -> int:
    opts, _ = parse(args, ENV_FLAGS)
    name, path = target_of(opts)
    prefix = must_exist(resolve(name, path), name or path or "base")
    if prefix == PREFIX:
        fail("CondaEnvironmentError", "cannot remove root environment, add -n NAME or -p PREFIX option")
    if not opts.get("--all"):
        fail("", "envdoctor sim: only `conda remove -n NAME --all` is simulated; use pip inside the env")
    print(f"\nRemove all packages in environment {prefix}:\n")
    confirm(opts)
    if os.environ.get("CONDA_PREFIX") == prefix:
        fail("CondaEnvironmentError", "Cannot remove current environment. Deactivate and run conda remove again.")
    shutil.rmtree(prefix)
    print("\nEverything found within the environment (" + prefix + "), including any conda environment "
          "configurations and any non-conda files, will be deleted.\n")
    return 0


def cmd_env(args: list[str]) -> int:
    sub = args[0] if args else ""
    if sub == "list":
        return cmd_env_list(args[1:])
    if sub == "remove":
        return cmd_remove([*args[1:], "--all"])
    if sub == "create":
        fail("", "envdoctor sim: `conda env create -f` is not simulated; use `conda create -n NAME python=X`")
    fail("", "usage: conda env {list,remove} ...", 2)


def site_packages(prefix: str) -> list[str]:
    done = subprocess.run([os.path.join(prefix, "bin", "python"), "-c",
                           "import json,site; print(json.dumps(site.getsitepackages()))"],
                          stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else []


def cmd_list(args: list[str]) -> int:
    opts, _ = parse(args, ENV_FLAGS)
    name, path = target_of(opts)
    prefix = must_exist(resolve(name, path or (None if name else os.environ.get("CONDA_PREFIX"))), name or "base")
    code = ("import json, importlib.metadata as m\n"
            "print(json.dumps(sorted({(d.metadata['Name'] or '').lower(): d.version for d in m.distributions()}.items())))")
    done = subprocess.run([os.path.join(prefix, "bin", "python"), "-c", code], stdout=subprocess.PIPE, text=True)
    pkgs = json.loads(done.stdout) if done.returncode == 0 else []
    rows = [{"base_url": "https://pypi.org/simple", "build_number": 0, "build_string": "pypi_0", "channel": "pypi",
             "dist_name": f"{n}-{v}-pypi_0", "name": n, "platform": "pypi", "version": v} for n, v in pkgs if n]
    version = python_version(prefix)
    if version:
        rows.append({"base_url": "https://repo.anaconda.com/pkgs/main", "build_number": 0, "build_string": "h955ad1f_0",
                     "channel": "pkgs/main", "dist_name": f"python-{version}-h955ad1f_0", "name": "python",
                     "platform": "linux-64", "version": version})
    rows.sort(key=lambda r: r["name"])
    if opts.get("--json"):
        print(json.dumps(rows, indent=2))
    else:
        print(f"# packages in environment at {prefix}:\n#\n# {'Name':<23}{'Version':<16}{'Build':<19}Channel")
        for r in rows:
            print(f"{r['name']:<25}{r['version']:<16}{r['build_string']:<19}{r['channel'] if r['channel'] == 'pypi' else ''}")
    return 0


def cmd_run(args: list[str]) -> int:
    opts, rest = parse(args, {"-n": 1, "--name": 1, "-p": 1, "--prefix": 1, "--no-capture-output": 0,
                              "--live-stream": 0, "--cwd": 1})
    name, path = target_of(opts)
    prefix = must_exist(resolve(name, path), name or "base")
    if not rest:
        fail("ArgumentError", "No command specified")
    env = dict(os.environ)
    env.update(activation_vars(prefix, env, stack=False))
    env.pop("PS1", None)
    try:
        return subprocess.run(rest, env=env, cwd=opts.get("--cwd")).returncode
    except FileNotFoundError:
        fail("", f"ERROR: {rest[0]}: command not found", 127)


def cmd_init(args: list[str]) -> int:
    opts, shells = parse(args, {"--all": 0, "--reverse": 0, "--dry-run": 0, "-d": 0, "--user": 0, "--system": 0})
    for shell in shells or ["bash"]:
        if shell != "bash":
            fail("", f"envdoctor sim: `conda init {shell}` is not simulated (bash only)")
    rc = os.path.expanduser("~/.bashrc")
    try:
        with open(rc, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    for f in ("condabin/conda", "bin/conda", "bin/conda-env", "bin/activate", "bin/deactivate",
              "etc/profile.d/conda.sh", "etc/fish/conf.d/conda.fish", "shell/condabin/Conda.psm1",
              "shell/condabin/conda-hook.ps1", "lib/python3/site-packages/xontrib/conda.xsh",
              "etc/profile.d/conda.csh"):
        print(f"no change     {os.path.join(PREFIX, f)}")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    if opts.get("--reverse"):
        new = pattern.sub("", text)
    else:
        block = init_block()
        new = pattern.sub(lambda _: block, text) if pattern.search(text) else (text + ("\n" if text and not text.endswith("\n") else "") + block)
    if new == text:
        print(f"no change     {rc}\nNo action taken.")
        return 0
    if not (opts.get("--dry-run") or opts.get("-d")):
        with open(rc, "w", encoding="utf-8") as fh:
            fh.write(new)
    print(f"modified      {rc}\n\n==> For changes to take effect, close and re-open your current shell. <==\n")
    return 0


def init_block() -> str:
    return (f"{BEGIN}\n# !! Contents within this block are managed by 'conda init' !!\n"
            f"__conda_setup=\"$('{CONDA_EXE}' 'shell.bash' 'hook' 2> /dev/null)\"\n"
            "if [ $? -eq 0 ]; then\n    eval \"$__conda_setup\"\nelse\n"
            f"    if [ -f \"{PREFIX}/etc/profile.d/conda.sh\" ]; then\n        . \"{PREFIX}/etc/profile.d/conda.sh\"\n"
            f"    else\n        export PATH=\"{PREFIX}/bin:$PATH\"\n    fi\nfi\nunset __conda_setup\n{END}\n")


def cmd_config(args: list[str]) -> int:
    opts, rest = parse(args, {"--set": 2, "--show": 0, "--get": 1, "--file": 1})
    rc = os.path.expanduser("~/.condarc")
    if "--set" in opts:
        i = args.index("--set")
        key, value = args[i + 1], args[i + 2] if i + 2 < len(args) else ""
        lines = [ln for ln in (open(rc, encoding="utf-8").read().splitlines() if os.path.exists(rc) else [])
                 if not ln.startswith(key + ":")]
        with open(rc, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines + [f"{key}: {value}"]) + "\n")
        return 0
    values = condarc()
    values.setdefault("auto_activate_base", "true")
    for k, v in sorted(values.items()):
        if not rest or k in rest:
            print(f"{k}: {v}")
    return 0


# --- activation (shell.posix / shell.bash) --------------------------------------------------

def _strip_path(path: str, prefix: str) -> str:
    return ":".join(p for p in path.split(":") if p and p != os.path.join(prefix, "bin"))


def activation_vars(prefix: str, env: dict, stack: bool) -> dict:
    shlvl = int(env.get("CONDA_SHLVL") or 0)
    old = env.get("CONDA_PREFIX", "")
    path = env.get("PATH", "")
    if old and not stack:
        path = _strip_path(path, old)
    out = {"PATH": os.path.join(prefix, "bin") + (":" + path if path else ""), "CONDA_PREFIX": prefix,
           "CONDA_SHLVL": str(shlvl + 1), "CONDA_DEFAULT_ENV": env_name(prefix),
           "CONDA_PROMPT_MODIFIER": f"({env_name(prefix)}) ", "CONDA_EXE": CONDA_EXE, "_CE_M": "", "_CE_CONDA": "",
           "CONDA_PYTHON_EXE": PYTHON_EXE}
    if old:
        out[f"CONDA_PREFIX_{shlvl}"] = old
    return out


def _ps1(env: dict, modifier: str) -> str:
    ps1 = env.get("PS1", "")
    old = env.get("CONDA_PROMPT_MODIFIER", "")
    if old and ps1.startswith(old):
        ps1 = ps1[len(old):]
    return modifier + ps1


def cmd_shell(kind: str, args: list[str]) -> int:
    action = args[0] if args else ""
    env = dict(os.environ)
    if action == "hook":
        print(hook(with_auto_activate=True))
        return 0
    if action == "activate":
        opts, rest = parse(args[1:], {"--stack": 0, "--no-stack": 0})
        name = rest[0] if rest else "base"
        prefix = must_exist(resolve(name, None), name)
        out = activation_vars(prefix, env, bool(opts.get("--stack")))
        lines = [f"PS1={shlex.quote(_ps1(env, out['CONDA_PROMPT_MODIFIER']))}"]
        lines += [f"export {k}={shlex.quote(v)}" for k, v in out.items()]
        print("\n".join(lines))
        return 0
    if action == "deactivate":
        shlvl = int(env.get("CONDA_SHLVL") or 0)
        prefix = env.get("CONDA_PREFIX", "")
        if shlvl <= 0 or not prefix:
            return 0
        path = _strip_path(env.get("PATH", ""), prefix)
        lines: list[str] = []
        below = env.get(f"CONDA_PREFIX_{shlvl - 1}", "")
        if shlvl - 1 > 0 and below:
            modifier = f"({env_name(below)}) "
            lines += [f"PS1={shlex.quote(_ps1(env, modifier))}", f"unset CONDA_PREFIX_{shlvl - 1}",
                      f"export PATH={shlex.quote(os.path.join(below, 'bin') + ':' + path)}",
                      f"export CONDA_PREFIX={shlex.quote(below)}", f"export CONDA_DEFAULT_ENV={shlex.quote(env_name(below))}",
                      f"export CONDA_PROMPT_MODIFIER={shlex.quote(modifier)}"]
        else:
            lines += [f"PS1={shlex.quote(_ps1(env, ''))}", f"export PATH={shlex.quote(path)}",
                      "unset CONDA_PREFIX", "unset CONDA_DEFAULT_ENV", "unset CONDA_PROMPT_MODIFIER"]
        lines += [f"export CONDA_SHLVL='{shlvl - 1}'"]
        print("\n".join(lines))
        return 0
    if action == "reactivate":
        return 0
    fail("", f"usage: conda {kind} {{hook,activate,deactivate}}", 2)


def hook(with_auto_activate: bool) -> str:
    text = f"""export CONDA_EXE='{CONDA_EXE}'
export _CE_M=''
export _CE_CONDA=''
export CONDA_PYTHON_EXE='{PYTHON_EXE}'

# Copyright (C) 2012 Anaconda, Inc
# SPDX-License-Identifier: BSD-3-Clause
__conda_exe() (
    "$CONDA_EXE" $_CE_M $_CE_CONDA "$@"
)

__conda_hashr() {{
    \\hash -r
}}

__conda_activate() {{
    if [ -n "${{CONDA_PS1_BACKUP:+x}}" ]; then
        PS1="$CONDA_PS1_BACKUP"
        \\unset CONDA_PS1_BACKUP
    fi
    \\local ask_conda
    ask_conda="$(PS1="${{PS1:-}}" __conda_exe shell.posix "$@")" || \\return
    \\eval "$ask_conda"
    __conda_hashr
}}

__conda_reactivate() {{
    __conda_hashr
}}

conda() {{
    \\local cmd="${{1-__missing__}}"
    case "$cmd" in
        activate|deactivate)
            __conda_activate "$@"
            ;;
        install|update|upgrade|remove|uninstall)
            __conda_exe "$@" || \\return
            __conda_reactivate
            ;;
        *)
            __conda_exe "$@"
            ;;
    esac
}}

if [ -z "${{CONDA_SHLVL+x}}" ]; then
    \\export CONDA_SHLVL=0
    PATH="$(\\dirname "$(\\dirname "$CONDA_EXE")")/condabin${{PATH:+":${{PATH}}"}}"
    \\export PATH

    # We're not allowing PS1 to be unbound. It must at least be set.
    if [ -z "${{PS1+x}}" ]; then
        PS1=
    fi
fi
"""
    if with_auto_activate and auto_activate_base():
        text += "\nconda activate 'base'\n"
    return text


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: conda [-h] [-v] [--no-plugins] [-V] COMMAND ...\n\nconda is a tool for managing and deploying "
              "applications, environments and packages.\n\ncommands:\n  create, env, info, init, list, remove, run, "
              "config, activate, deactivate")
        return 0
    cmd, args = argv[0], argv[1:]
    if cmd in ("-V", "--version"):
        print(f"conda {CONDA_VERSION}")
        return 0
    if cmd in ("activate", "deactivate"):
        # Without the shell function (no `conda init`, or the hook never ran) conda can only say so.
        fail("CondaError", "Run 'conda init' before 'conda " + cmd + "'")
    table = {"info": cmd_info, "create": cmd_create, "remove": cmd_remove, "uninstall": cmd_remove,
             "env": cmd_env, "list": cmd_list, "run": cmd_run, "init": cmd_init, "config": cmd_config}
    if cmd in ("shell.bash", "shell.posix", "shell.sh"):
        return cmd_shell(cmd, args)
    if cmd in table:
        return table[cmd](args)
    if cmd in ("install", "update", "upgrade"):
        fail("", "envdoctor sim: `conda " + cmd + "` is not simulated here; activate the env and use pip "
             "(the node's wheelhouse stands in for the channels)")
    fail("", f"usage: conda [-h] [-v] [--no-plugins] [-V] COMMAND ...\nconda: error: argument COMMAND: invalid choice: '{cmd}'", 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
