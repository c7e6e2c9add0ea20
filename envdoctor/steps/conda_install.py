"""`conda-install`: a per-user Miniconda at the recipe's prefix (Groq: ~/miniconda3).

Real target: the installer is downloaded with requests through the recipe's proxy (with
a timeout), checked, and run in batch mode (`-b -p PREFIX`); shell initialisation is the
`shell-init` step. Simulated node: the node's stand-in installer in R/cache is run the
same way. A prefix left half-made by an earlier interrupted install is updated in place
(`-u`), never deleted, unless envdoctor itself made it in a run that was killed.
"""
from __future__ import annotations

import os

from envdoctor.recipe import Step
from envdoctor.steps import envs
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line, note, remove_tree

INSTALLER = "Miniconda3-latest-Linux-x86_64.sh"
MIN_SIZE = 10_000_000  # the real installer is ~150 MB; anything tiny is an error page


def is_done(step: Step, ctx: Context) -> str | None:
    conda = envs.conda_exe(ctx)
    shown = ctx.display(conda)
    if not os.path.exists(conda):
        return f"{shown} does not exist (Miniconda is not installed)"
    got = ctx.run([conda, "--version"], timeout=30)
    if not got.ok:
        return f"{shown} does not run ({got.describe()})"
    return None


def creates(step: Step, ctx: Context) -> list[str]:
    return [envs.conda_prefix(ctx)]


def plan(step: Step, ctx: Context) -> list[Action]:
    prefix = ctx.display(envs.conda_prefix(ctx))
    actions = []
    cached = ctx.target.cached_download(INSTALLER)
    if cached is not None:
        actions.append(note(f"simulated node: the installer comes from the node's cache "
                            f"({ctx.display(cached)}), not the network"))
    else:
        actions.append(command(["wget", _url(ctx)], "~"))
    update = ["-u"] if os.path.exists(envs.conda_prefix(ctx)) else []
    if update:
        actions.append(note(f"{prefix} exists but conda does not run there: the installer updates it in place (-u)"))
    actions.append(command(["bash", INSTALLER, "-b", *update, "-p", prefix], "~"))
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    prefix = envs.conda_prefix(ctx)
    update = ["-u"] if os.path.exists(prefix) else []
    cached = ctx.target.cached_download(INSTALLER)
    if cached is not None:
        installer = cached
        if not os.path.exists(installer):
            raise fail(step, f"the simulated node has no installer at {installer}", "recreate it with `envdoctor sim create`")
        _install(step, ctx, progress, installer, update, prefix)
        return
    installer = os.path.join(ctx.target.home, INSTALLER)
    ctx.track(installer)
    try:
        _download(step, ctx, progress, installer)
        _install(step, ctx, progress, installer, update, prefix)
    finally:
        remove_tree(installer)


def _install(step: Step, ctx: Context, progress: Progress, installer: str, update: list[str], prefix: str) -> None:
    if not update:
        ctx.track(prefix)
    progress.update(f"installing Miniconda into {ctx.display(prefix)}")
    rc, tail = ctx.run_long(["bash", installer, "-b", *update, "-p", prefix], progress, cwd=ctx.target.home, timeout=1200)
    if rc != 0:
        raise fail(step, f"the Miniconda installer exited {rc}: {last_line(tail)}",
                   "fix the cause (disk space? quota?) and run setup again")


def _url(ctx: Context) -> str:
    conda = ctx.recipe.environment.conda
    return conda.installer_url if conda else f"https://repo.anaconda.com/miniconda/{INSTALLER}"


def _proxies(ctx: Context) -> dict[str, str]:
    proxy = ctx.env.get("HTTPS_PROXY") or ctx.env.get("https_proxy") or ctx.recipe.proxy
    return {"https": proxy, "http": proxy} if proxy else {}


def _download(step: Step, ctx: Context, progress: Progress, dest: str) -> None:
    import requests  # lazy: requests, ~60 ms, only when the installer is downloaded

    url = _url(ctx)
    part = dest + ".part"
    ctx.track(part)
    try:
        with requests.get(url, proxies=_proxies(ctx), timeout=(15, 60), stream=True) as resp:
            resp.raise_for_status()
            total = int(resp.headers.get("content-length") or 0)
            got = 0
            with open(part, "wb") as fh:
                for chunk in resp.iter_content(1 << 20):
                    fh.write(chunk)
                    got += len(chunk)
                    progress.update(f"downloading {INSTALLER}: {got >> 20} MB" + (f" of {total >> 20} MB" if total else ""))
    except requests.RequestException as exc:
        remove_tree(part)
        raise fail(step, f"cannot download {url} ({type(exc).__name__}: {str(exc)[:160]})",
                   f"check the network and the proxy ({ctx.recipe.proxy or 'none set'})") from None
    except OSError as exc:
        remove_tree(part)
        raise fail(step, f"cannot save the installer: {exc.strerror or exc}", "free some disk space and run setup again") from None
    problem = _verify(part)
    if problem:
        remove_tree(part)
        raise fail(step, f"the downloaded installer is not usable ({problem})", "run setup again later")
    os.replace(part, dest)


def _verify(path: str) -> str:
    size = os.path.getsize(path)
    if size < MIN_SIZE:
        return f"only {size} bytes"
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.startswith(b"#!/bin/bash") and not head.startswith(b"#!/bin/sh"):
        return "it is not a shell installer"
    return ""
