"""The Cerebras appliance launcher: the model zoo client runs in the foreground here.

R 2.10: `cszoo fit <config> --job_labels name=... --model_dir ...`; R 2.3: `python run.py
CSX --params <config> ...`. Parameters with a `config_key` are written into a per-run
COPY of the config (ruamel.yaml round trip, comments kept), never into the user's file.
The wsjob id is read from the client's log; Ctrl-C stops the client and, where `csctl`
exists, cancels the wsjob.
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any, Iterator

from envdoctor import proc
from envdoctor.errors import StepFailed
from envdoctor.launchers.base import Job, Launch, RunContext, shown_prelude, write_script
from envdoctor.launchers.direct import DirectJob, job_command

NAME = "cerebras"
_WSJOB = re.compile(r"Job id: (wsjob-[\w-]+)")


def _set(data: Any, dotted: str, value: Any) -> None:
    from ruamel.yaml.comments import CommentedMap

    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        if part not in node or not isinstance(node[part], dict):
            node[part] = CommentedMap()
        node = node[part]
    node[parts[-1]] = value


def _get(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def config_values(ctx: RunContext) -> dict[str, Any]:
    """The values the run's config file holds for the config_key parameters."""
    source = Path(ctx.workdir) / ctx.run.config
    try:
        from ruamel.yaml import YAML

        data = YAML(typ="rt").load(source.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - an unreadable config is reported when the job starts
        return {}
    out = {}
    for p in ctx.run.params:
        if p.config_key:
            value = _get(data, p.config_key)
            if isinstance(value, (int, float, str, bool)):
                out[p.name] = value
    return out


def config_copy(ctx: RunContext) -> str:
    """Path of the config the job reads: the user's file, or a per-run copy with --set values."""
    source = Path(ctx.workdir) / ctx.run.config if ctx.run.config else None
    keyed = {p.config_key: ctx.explicit[p.name] for p in ctx.run.params if p.config_key and p.name in ctx.explicit}
    if source is None:
        return ""
    if not keyed:
        return ctx.run.config  # relative to the workdir, exactly as the course types it
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        data = yaml.load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StepFailed(f"cannot read the run's config {ctx.show(str(source))}: {exc.strerror or exc}; "
                         f"`envdoctor setup {ctx.recipe.platform}` puts it in place") from None
    for key, value in keyed.items():
        _set(data, key, value)
    dest = ctx.run_dir / source.name
    with open(dest, "w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return str(dest)


def prepare(ctx: RunContext) -> Launch:
    config = config_copy(ctx)
    argv = job_command(ctx, config)
    script, status = write_script(ctx, "job.sh", [argv])
    shown = [ctx.show(a) if a.startswith("/") else a for a in argv]
    display = shown_prelude(ctx) + [shlex.join(shown)]
    files = [Path(config)] if config and os.path.isabs(config) else []
    return Launch(NAME, display, ("bash", str(script)), ctx.workdir, ctx.target.process_env(), script, status,
                  files=files, info={"config": config})


class ApplianceJob(DirectJob):
    def __init__(self, launch: Launch, ctx: RunContext) -> None:
        super().__init__(launch)
        self.ctx = ctx

    def lines(self) -> Iterator[str]:
        for line in super().lines():
            if "Job id: wsjob-" in line and not self.job_id.startswith("wsjob-"):
                m = _WSJOB.search(line)
                if m:
                    self.job_id = m.group(1)
            yield line

    def cancel(self) -> None:
        super().cancel()
        csctl = proc.which("csctl", path=self.launch.env.get("PATH"))
        if csctl and self.job_id.startswith("wsjob-"):
            proc.run([csctl, "cancel", "job", self.job_id], env=self.launch.env, timeout=30)


def start(launch: Launch, ctx: RunContext) -> Job:
    return ApplianceJob(launch, ctx)
