"""`fetch`: a file the course downloads (`wget URL` in a directory), or one envdoctor ships.

    - {kind: fetch, url: https://raw.githubusercontent.com/.../inference_auth_token.py,
       dest: ~/metis/inference_auth_token.py}
    - {kind: fetch, bundled: metis_chat.py, dest: ~/metis/metis_chat.py}

`url`: the plan shows the guide's command (`cd DIR && wget URL`); apply runs wget (through
the proxy the environment sets), or, on a simulated node, copies the node's own copy of that
URL (sim.json `upstreams`, file://). `bundled`: a file from envdoctor/recipes/files/ (the
reference-run client), copied. Done when the destination exists with content. An existing
file with other content is replaced only after a backup (`write_file`).
"""
from __future__ import annotations

import os
from pathlib import Path

from envdoctor.recipe import Step
from envdoctor.steps.base import Action, Context, Progress, command, fail, note, unified_diff, write_file

FILES = Path(__file__).resolve().parent.parent / "recipes" / "files"


def bundled_path(name: str) -> Path:
    return FILES / os.path.basename(name)


def _dest(step: Step, ctx: Context) -> str:
    return ctx.path(str(step.get("dest")))


def _wanted(step: Step) -> bytes | None:
    """The content a bundled file must have (None for a download: any content counts)."""
    if step.get("bundled"):
        return bundled_path(str(step.get("bundled"))).read_bytes()
    return None


def is_done(step: Step, ctx: Context) -> str | None:
    dest = _dest(step, ctx)
    try:
        have = Path(dest).read_bytes()
    except FileNotFoundError:
        return f"{ctx.display(dest)} does not exist"
    except OSError as exc:
        return f"{ctx.display(dest)} cannot be read ({exc.strerror or exc})"
    if not have.strip():
        return f"{ctx.display(dest)} is empty"
    wanted = _wanted(step)
    if wanted is not None and have != wanted:
        return f"{ctx.display(dest)} differs from envdoctor's copy"
    return None


def plan(step: Step, ctx: Context) -> list[Action]:
    dest = _dest(step, ctx)
    shown_dir = ctx.display(os.path.dirname(dest))
    actions: list[Action] = []
    if not os.path.isdir(os.path.dirname(dest)):
        actions.append(command(["mkdir", "-p", shown_dir]))
    if step.get("url"):
        name = os.path.basename(dest)
        argv = ["wget", str(step.get("url"))] if name == os.path.basename(str(step.get("url"))) else \
            ["wget", "-O", name, str(step.get("url"))]
        if os.path.exists(dest):
            actions.append(note(f"{ctx.display(dest)} is kept as a backup first"))
        return [*actions, command(argv, shown_dir)]
    wanted = _wanted(step) or b""
    old = Path(dest).read_text(encoding="utf-8", errors="replace") if os.path.exists(dest) else None
    return [*actions, Action("diff", unified_diff(old, wanted.decode("utf-8"), ctx.display(dest)), ctx.display(dest))]


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    dest = _dest(step, ctx)
    if step.get("bundled"):
        write_file(ctx, dest, _wanted(step) or b"", 0o644)
        return
    url = str(step.get("url"))
    source = ctx.target.url(url)
    if source.startswith("file://"):
        try:
            data = Path(source[len("file://"):]).read_bytes()
        except OSError as exc:
            raise fail(step, f"the simulated node has no copy of {url} ({exc.strerror or exc})",
                       "rebuild the node with `envdoctor sim create`") from None
    else:
        data = _download(step, ctx, url, dest)
    write_file(ctx, dest, data, 0o644)


def _download(step: Step, ctx: Context, url: str, dest: str) -> bytes:
    tmp = f"{dest}.envdoctor-tmp-{ctx.stamp}"
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        done = ctx.run(["wget", "--quiet", "--timeout=30", "-O", tmp, url], timeout=120)
        if not done.ok:
            detail = (done.stderr.strip() or f"wget exited {done.returncode}").splitlines()[-1]
            raise fail(step, f"wget {url}: {detail[:200]}",
                       "check the network (on an ALCF node: the proxy variables), then run setup again")
        return Path(tmp).read_bytes()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
