"""Conda checks: installed, initialised for every shell context, and not active where it hurts.

`conda.shell-init` is the classic `-bash: conda: command not found`. It is decided from
shells that were really started the way each context starts them (collectors/shells.py),
and explained from the startup files' contents: which file the login shell reads, whether
it sources ~/.bashrc, where the conda initialize block is, and whether an interactive-only
guard above it makes batch jobs skip it.
"""
from __future__ import annotations

from typing import Mapping

from envdoctor.checks import Outcome, check, fail, ok, warn
from envdoctor.checks.host import current_env, login_env
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.shells import ShellFacts, ShellMode, StartupFile
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe
from envdoctor.startup_text import CondaBlock, TextLine

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (ShellFacts, HostFacts)

SOURCE_BASHRC = "[ -f ~/.bashrc ] && . ~/.bashrc"


def is_conda(recipe: Recipe) -> bool:
    return recipe.environment.kind == "conda"


def prefix_of(recipe: Recipe) -> str:
    return recipe.environment.conda.prefix if recipe.environment.conda else "~/miniconda3"


def runs_in_batch(recipe: Recipe) -> bool:
    return any(r.launcher in ("pbs", "slurm") for r in recipe.runs) or recipe.scheduler.kind in ("pbs", "slurm")


def resolves(mode: ShellMode | None) -> bool:
    return mode is not None and mode.reached and mode.conda_type in ("function", "file", "alias")


def describe_mode(name: str, m: ShellMode) -> str:
    flags = m.argv.replace(" -c …", "")
    if not m.reached:
        return f"{name} ({flags}): did not start ({m.stderr_tail or ('timed out' if m.timed_out else '')})"
    kind = m.conda_type
    trace = m.trace
    notes = []
    if trace.returned_early:
        notes.append("returned early in " + ", ".join(sorted({f or "a startup file" for f in trace.returned_early})))
    if trace.sourced:
        notes.append("sourced " + ", ".join(dict.fromkeys(trace.sourced)))
    tail = f" ({'; '.join(notes)})" if notes else ""
    if kind == "function":
        at = m.conda_defined_at
        where = f" defined in {at.file}:{at.line}" if at else ""
        return f"{name} ({flags}): conda is a shell function{where}{tail}"
    if kind:
        return f"{name} ({flags}): conda is {kind} {m.which.get('conda') or m.conda_file}{tail}"
    return f"{name} ({flags}): conda: command not found{tail}"


def install_commands(recipe: Recipe) -> list[str]:
    conda = recipe.environment.conda
    url = conda.installer_url if conda else "https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh"
    installer = url.rsplit("/", 1)[-1]
    prefix = prefix_of(recipe)
    return [f"cd ~ && wget {url}", f"bash {installer} -b -p {prefix}", f"{prefix}/bin/conda init bash",
            "# log out and log in again (or: source ~/.bashrc)"]


@check("conda.installed", "conda", "Miniconda is installed where the course puts it", step="conda-install",
       applies=is_conda)
def installed(probe: Probe, recipe: Recipe) -> Outcome:
    sh = probe.of(ShellFacts)
    conda = sh.conda
    prefix = conda.display
    login = sh.modes.get("login")
    elsewhere = login.which.get("conda", "") if login else ""
    version = f" (conda {conda.version})" if conda.version else ""
    if conda.conda_exe:
        return ok(f"{prefix}/bin/conda{version}")
    if conda.exists:
        return fail(f"{prefix} exists but has no bin/conda: the Miniconda install was interrupted or removed "
                    "files", "re-run the installer over it (-u updates an existing prefix)",
                    [f"bash {install_commands(recipe)[1].split()[1]} -u -b -p {prefix}", f"{prefix}/bin/conda init bash"],
                    [f"{prefix}: present, bin/conda missing"])
    if elsewhere:
        return warn(f"conda is installed at {elsewhere}, not in {prefix} where the course installs Miniconda; "
                    "envs and fixes below assume the course's layout",
                    f"install Miniconda in {prefix} as the course does (or adapt the paths)", install_commands(recipe),
                    [f"login shell: command -v conda -> {elsewhere}"])
    return fail(f"Miniconda is not installed: {prefix} does not exist, and no shell finds `conda` "
                "(this is `-bash: conda: command not found`)",
                "download and run the Miniconda installer (answer yes to initialising conda), then log in again",
                install_commands(recipe), [f"{prefix}: does not exist"])


@check("conda.shell-init", "conda", "`conda` works in login, interactive and batch shells", step="shell-init",
       applies=is_conda)
def shell_init(probe: Probe, recipe: Recipe) -> Outcome:
    sh = probe.of(ShellFacts)
    modes, files, conda = sh.modes, sh.files, sh.conda
    prefix = conda.display
    evidence = [describe_mode(name, modes[name]) for name in ("login", "interactive", "batch", "script") if name in modes]
    login = modes.get("login")
    blocks = [(name, b) for name, f in files.items() for b in f.conda_blocks]
    reads = sh.login_reads
    if login is None or not login.reached:
        return fail("the login shell did not start, so conda cannot be set up there (see shell.startup-files)",
                    "fix the startup file problem first", ["bash -n ~/.bashrc", "bash -n ~/.bash_profile"], evidence)
    if not conda.conda_exe and not resolves(login):
        return fail(f"`conda` is not found in any shell, and {prefix}/bin/conda does not exist: Miniconda is not "
                    "installed (case: not installed)",
                    "install Miniconda, let it initialise bash, then log out and in again", install_commands(recipe),
                    evidence)
    if resolves(login):
        return _login_works(recipe, sh, evidence, blocks)
    # From here on: installed, but a login shell does not find conda.
    bashrc = files.get("~/.bashrc")
    if not blocks:
        cmds = [f"source {prefix}/bin/activate" if conda.activate else
                f'eval "$({prefix}/bin/conda shell.bash hook)"', "conda init bash"]
        extra = ""
        if not _login_sources_bashrc(files, reads):
            cmds.append(f"echo '{SOURCE_BASHRC}' >> {reads or '~/.bash_profile'}")
            extra = (f" Also, the login shell reads {reads or 'none of ~/.bash_profile, ~/.bash_login, ~/.profile'}, "
                     "which does not source ~/.bashrc (where `conda init bash` writes), so add that line too.")
        cmds.append("# log out and log in again")
        return fail(f"{prefix} is installed but was never initialised for bash: no startup file has the "
                    "`# >>> conda initialize >>>` block (the installer was told not to modify your shell scripts), "
                    "so a login shell does not find `conda` (case: installed, not initialised).",
                    "activate conda once in this shell, let it write the init block to ~/.bashrc, then log out and "
                    "log in again." + extra, cmds, evidence)
    in_bashrc = [b for name, b in blocks if name == "~/.bashrc"]
    in_login_files = [(name, b) for name, b in blocks if name != "~/.bashrc"]
    ran = login.trace.conda_block_ran_in
    stale = [(name, b) for name, b in blocks if b.prefix and not b.prefix_exists]
    if ran and stale:
        name, b = stale[0]
        return fail(f"the conda initialize block in {name} (lines {b.start}-{b.end}) runs, but it points at "
                    f"{b.prefix_display}/bin/conda, which does not exist (Miniconda was moved or reinstalled "
                    f"elsewhere); conda is now in {prefix}",
                    f"rewrite the block for {prefix} with conda init, then log in again",
                    [f"{prefix}/bin/conda init bash", "# log out and log in again"], evidence)
    if in_bashrc and not _bashrc_ran(login, reads, files):
        b = in_bashrc[0]
        return fail(_profile_why(files, reads, b), f"make {reads or '~/.bash_profile'} source ~/.bashrc (add the line "
                    f"`{SOURCE_BASHRC}`), then log out and log in again; `conda init bash` alone does not help, "
                    "because it writes to ~/.bashrc too",
                    [f"echo '{SOURCE_BASHRC}' >> {reads or '~/.bash_profile'}", "# log out and log in again"],
                    evidence)
    if in_login_files and not in_bashrc:
        name, b = in_login_files[0]
        if reads and name != reads:
            return fail(f"the conda initialize block is in {name} (lines {b.start}-{b.end}), but a login shell "
                        f"reads only {reads}: bash reads the first of ~/.bash_profile, ~/.bash_login, ~/.profile "
                        f"that exists, and ignores the others",
                        f"let conda write its block to ~/.bashrc and make {reads} source ~/.bashrc",
                        [f"{prefix}/bin/conda init bash", f"echo '{SOURCE_BASHRC}' >> {reads}",
                         "# log out and log in again"], evidence)
    guard = _guard_before(bashrc, in_bashrc[0]) if in_bashrc else None
    return fail("a login shell does not find `conda` although Miniconda is installed and a conda initialize block "
                "exists" + (f" (~/.bashrc line {guard.line}: `{guard.text}` returns before it)" if guard else "")
                + "; something in the startup files undoes it or stops before it",
                "run `conda init bash` again and compare your startup files with the evidence below (bash -x shows "
                "each command as it runs)",
                [f"{prefix}/bin/conda init bash", "bash -l -i -x -c true 2>&1 | less", "# log out and log in again"],
                evidence)


def _login_works(recipe: Recipe, sh: ShellFacts, evidence: list[str],
                 blocks: list[tuple[str, CondaBlock]]) -> Outcome:
    modes, files = sh.modes, sh.files
    login, batch = modes["login"], modes.get("batch")
    prefix = sh.conda.display
    env_name = recipe.environment.name or "base"
    if login.conda_type != "function":
        return warn(f"in a login shell `conda` is the program {login.which.get('conda') or 'on PATH'}, "
                    "not the shell function `conda init` defines, so `conda activate` fails with "
                    "\"Run 'conda init' before 'conda activate'\"",
                    "initialise conda for bash and log in again",
                    [f"{prefix}/bin/conda init bash", "# log out and log in again"], evidence)
    if batch is None or resolves(batch) or not batch.reached:
        return ok(*evidence)
    # Works interactively, not in a non-interactive login shell: a batch job's shell.
    bashrc = files.get("~/.bashrc")
    block = next((b for name, b in blocks if name == "~/.bashrc"), None)
    guard = _guard_before(bashrc, block) if block else None
    snippet = [f"# in the job script, before `conda activate {env_name}`:",
               f'eval "$({prefix}/bin/conda shell.bash hook)"', f"conda activate {env_name}"]
    if guard and block:
        why = (f"~/.bashrc line {guard.line} (`{guard.text}`) returns for non-interactive shells, before the "
               f"conda initialize block at lines {block.start}-{block.end}: login and interactive shells find "
               f"`conda`, but a batch job (PBS runs a non-interactive login shell, bash -l) does not, so "
               f"`conda activate {env_name}` fails in job scripts")
        fix = (f"put the conda hook in your job scripts (below), or move the conda initialize block (lines "
               f"{block.start}-{block.end}) above line {guard.line} of ~/.bashrc")
    else:
        why = ("login and interactive shells find `conda`, but a non-interactive login shell (a batch job's shell, "
               "bash -l) does not, so `conda activate` fails in job scripts")
        fix = "put the conda hook in your job scripts (below), or initialise conda in a file batch shells read"
    if runs_in_batch(recipe) and is_conda(recipe):
        # A warning, here and in `check --in-job` (the same fault has the same severity): the
        # reference runs envdoctor launches carry the snippet in their job script, and the
        # guard is the user's, so setup leaves it; the user's own job scripts need the snippet.
        return warn(why, fix, snippet, evidence)
    return ok(*evidence, f"note: {why}")


def _guard_before(bashrc: StartupFile | None, block: CondaBlock | None) -> TextLine | None:
    if not block or not bashrc:
        return None
    guards = [g for g in bashrc.guards if g.line < block.start]
    return guards[0] if guards else None


def _login_sources_bashrc(files: Mapping[str, StartupFile], reads: str) -> bool:
    f = files.get(reads)
    return bool(reads) and f is not None and bool(f.sources_bashrc)


def _bashrc_ran(login: ShellMode, reads: str, files: Mapping[str, StartupFile]) -> bool:
    sourced = login.trace.sourced
    if sourced or login.trace.conda_block_ran_in:
        return "~/.bashrc" in sourced
    return _login_sources_bashrc(files, reads)  # no trace (xtrace switched off by a startup file)


def _profile_why(files: Mapping[str, StartupFile], reads: str, block: CondaBlock) -> str:
    where = f"the conda initialize block is in ~/.bashrc (lines {block.start}-{block.end})"
    if not reads:
        return (f"{where}, but a login shell (ssh) reads none of your files: there is no ~/.bash_profile, "
                "~/.bash_login or ~/.profile, and bash reads ~/.bashrc only for interactive non-login shells "
                "(case: login shell skips ~/.bashrc)")
    shadowed = [n for n in ("~/.bash_profile", "~/.bash_login", "~/.profile")
                if n != reads and n in files and files[n].exists and files[n].sources_bashrc]
    text = (f"{where}, but a login shell (ssh: bash -l -i) reads {reads}, and {reads} never sources ~/.bashrc, "
            "so login shells never see conda (a new `bash` inside the session does) "
            "(case: ~/.bash_profile skips ~/.bashrc)")
    if shadowed:
        text += (f"; {shadowed[0]} would source ~/.bashrc, but bash reads only the first of ~/.bash_profile, "
                 f"~/.bash_login, ~/.profile that exists, so {shadowed[0]} is ignored")
    elif _login_sources_bashrc(files, reads):
        text = (f"{where}; {reads} sources ~/.bashrc (line {files[reads].sources_bashrc[0]}), but in a login "
                "shell that line did not run (it is conditional, or comes after a `return`/`exit`)")
    return text


@check("conda.base-active", "conda", "no conda env is active on top of the course's environment", step="conda-base",
       applies=lambda r: r.environment.kind != "conda")
def base_active(probe: Probe, recipe: Recipe) -> Outcome:
    env, where = current_env(probe)
    name = env.get("CONDA_DEFAULT_ENV") or ""
    prefix = env.get("CONDA_PREFIX") or ""
    login = login_env(probe)
    venv_name = recipe.environment.path.rstrip("/").rsplit("/", 1)[-1] or "venv"
    if not (name or prefix):
        if login.get("CONDA_DEFAULT_ENV"):
            return warn(f"a login shell activates conda env '{login['CONDA_DEFAULT_ENV']}' (every new session "
                        f"shows \"({login['CONDA_DEFAULT_ENV']})\"); {recipe.title} uses a "
                        f"{'venv' if recipe.environment.kind == 'venv' else 'system environment'}, not conda",
                        "stop conda from activating base at login", ["conda config --set auto_activate_base false"],
                        [f"login shell: CONDA_DEFAULT_ENV={login['CONDA_DEFAULT_ENV']}"])
        return ok(f"no conda env active in {where}")
    shown = name or prefix
    depth = env.get("CONDA_SHLVL", "1")
    n = int(depth) if depth.isdigit() and int(depth) > 0 else 1
    cmds = ["conda deactivate"] * min(n, 3)
    if recipe.environment.activate:
        cmds.append(recipe.environment.activate)
    if login.get("CONDA_DEFAULT_ENV"):
        cmds.append("conda config --set auto_activate_base false")
    return fail(f"conda env '{shown}' is active in {where} (the prompt shows \"({venv_name}) ({shown})\" once the "
                f"venv is activated too): conda's python and pip can come first on PATH and packages land in the "
                f"wrong place; {recipe.title} is not supported under conda",
                "deactivate conda (as many times as envs are stacked), then activate the course's environment"
                + ("; and stop conda from activating base at every login" if login.get("CONDA_DEFAULT_ENV") else ""),
                cmds, [f"CONDA_DEFAULT_ENV={name}", f"CONDA_PREFIX={prefix}", f"CONDA_SHLVL={depth}"])
