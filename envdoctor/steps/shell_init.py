"""`shell-init`: `conda` works in a new login shell (and a new terminal).

Runs `~/miniconda3/bin/conda init bash`, which writes the `# >>> conda initialize >>>`
block into ~/.bashrc, and makes sure the file the LOGIN shell really reads sources
~/.bashrc (RHEL-style ~/.bash_profile). `conda init` is run in an empty scratch home;
only the conda block it writes is taken from the result and put into the real
file (in place of an older conda block, else at the end), so every other byte of the
user's file stays as it was (conda itself rewrites the whole file). The plan shows the
exact diff; the write keeps a backup, mode, owner and links (see dotfiles). An
interactive-only guard above the block is the user's: it is never removed; the plan says
that batch jobs need the job-script snippet instead.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from envdoctor import files
from envdoctor.recipe import Step
from envdoctor.steps import dotfiles, envs
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line, note

CONDA_BEGIN = "# >>> conda initialize >>>"
CONDA_END = "# <<< conda initialize <<<"


def is_done(step: Step, ctx: Context) -> str | None:
    conda = envs.conda_exe(ctx)
    if not os.path.exists(conda):
        return f"conda is not installed yet ({ctx.display(conda)})"
    if _needs_init(ctx):
        return f"~/.bashrc has no conda init block for {ctx.display(envs.conda_prefix(ctx))} (a new terminal has no `conda`)"
    # The login shell is asked for real: which files it reads is what goes wrong in practice.
    got = dotfiles.shell(ctx, "login", 'printf "%s|%s" "$(type -t conda)" "${CONDA_EXE:-}"')
    kind, _, exe = got.stdout.strip().rpartition("\n")[2].partition("|")
    if kind != "function":
        return "`conda` is not found in a new login shell (its startup file does not read the conda init block)"
    if exe and os.path.realpath(exe) != os.path.realpath(conda):
        return f"`conda` in a new login shell is {exe}, not {ctx.display(conda)}"
    return None


def plan(step: Step, ctx: Context) -> list[Action]:
    conda = envs.conda_exe(ctx)
    bashrc = dotfiles.home_file(ctx, ".bashrc")
    actions: list[Action] = []
    if _needs_init(ctx):
        actions.append(command([f"{ctx.display(envs.conda_prefix(ctx))}/bin/conda", "init", "bash"]))
        if os.path.exists(conda):
            actions += dotfiles.edit_actions(ctx, bashrc, dotfiles.read(bashrc), _init_result(step, ctx))
        else:
            actions.append(note("(after the install) it adds the `# >>> conda initialize >>>` block to ~/.bashrc"))
    actions += dotfiles.login_fix_actions(ctx)
    actions += _batch_note(ctx)
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    if not os.path.exists(envs.conda_exe(ctx)):
        raise fail(step, "conda is not installed", "the conda-install step must run first")
    if _needs_init(ctx):
        progress.update("conda init bash")
        dotfiles.write(ctx, dotfiles.home_file(ctx, ".bashrc"), _init_result(step, ctx))
    dotfiles.apply_login_fix(ctx)


def advice(step: Step, ctx: Context) -> list[Action]:
    """Shown even when the step is done: batch jobs still need the snippet behind a guard."""
    return _batch_note(ctx)


def snippet(ctx: Context) -> str:
    """What a batch job script needs before `conda activate` when ~/.bashrc is guarded."""
    prefix = ctx.display(envs.conda_prefix(ctx)).replace("~", "${HOME}", 1)
    return f'eval "$({prefix}/bin/conda shell.bash hook)"'


def _needs_init(ctx: Context) -> bool:
    text = dotfiles.read(dotfiles.home_file(ctx, ".bashrc")) or ""
    if CONDA_BEGIN not in text:
        return True
    block = text[text.index(CONDA_BEGIN):]
    return os.path.realpath(envs.conda_prefix(ctx)) not in block and envs.conda_prefix(ctx) not in block


def _init_result(step: Step, ctx: Context) -> str:
    """~/.bashrc with the conda block `conda init bash` writes (made in a scratch home)."""
    old = dotfiles.read(dotfiles.home_file(ctx, ".bashrc")) or ""
    lines = files.split_lines(_conda_result(step, ctx))
    found = dotfiles.find_blocks(lines, CONDA_BEGIN, CONDA_END)
    if not found:
        raise fail(step, "`conda init bash` did not write its block", "check the Miniconda install")
    first, last = found[0]
    block = dotfiles.render([dotfiles.bare(line) for line in lines[first:last + 1]], files.newline_of(old))
    mine = dotfiles.find_blocks(files.split_lines(old), CONDA_BEGIN, CONDA_END)
    return dotfiles.replace_blocks(old, mine, block) if mine else dotfiles.insert(old, block, None)


def _conda_result(step: Step, ctx: Context) -> str:
    """The ~/.bashrc `conda init bash` writes in an empty scratch home: conda never reads
    the user's file (it would fail on bytes that are not UTF-8 and drop CRLF endings)."""
    scratch = tempfile.mkdtemp(prefix="envdoctor-conda-init-")
    try:
        env = {**ctx.env, "HOME": scratch}
        got = ctx.run([envs.conda_exe(ctx), "init", "bash"], env=env, cwd=scratch, timeout=60)
        if not got.ok:
            raise fail(step, f"`conda init bash` exited {got.returncode}: {last_line(got.stderr.splitlines())}",
                       "check the Miniconda install")
        result = dotfiles.read(os.path.join(scratch, ".bashrc"))
        if result is None or CONDA_BEGIN not in result:
            raise fail(step, "`conda init bash` did not write its block", "check the Miniconda install")
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _batch_note(ctx: Context) -> list[Action]:
    bashrc = dotfiles.home_file(ctx, ".bashrc")
    text = dotfiles.read(bashrc) or ""
    guard = dotfiles.guard_line(text)
    if guard is None:
        return []
    block = text.count("\n", 0, text.index(CONDA_BEGIN)) if CONDA_BEGIN in text else len(files.split_lines(text))
    if block < guard:
        return []
    return [note(f"~/.bashrc stops at line {guard + 1} for non-interactive shells (your guard is left as it is), "
                 f"so PBS batch jobs will not see conda; put this line in each job script before `conda activate`:\n"
                 f"    {snippet(ctx)}")]
