"""The Cerebras appliance launcher: the model zoo client runs in the foreground here.

R 2.10: `cszoo fit <config> --job_labels name=... --model_dir ...`; R 2.3: `python run.py
CSX --params <config> ...`. Parameters with a `config_key` are written into a per-run
COPY of the config (ruamel.yaml round trip, comments kept), never into the user's file.
Each run gets a fresh `--model_dir` (model_dir_<example>_<run id>): the model zoo reloads
the last checkpoint of a non-empty model directory, so a reused one would resume the
previous run. The job-time bound of the usage rules (trainer.init.backend.cluster_config.
job_time_sec) is always written into the copy. Before starting, `csctl get jobs` tells
whether the user already has wsjobs running (a warning: the guide asks for few concurrent
jobs). The wsjob ids (a run shows three: two compiles, one execute) are read from the
client's log (`Job id: wsjob-...` since R 2.4, `compile job id: wsjob-...` /
`execute job id: ...` before); Ctrl-C stops the client and, where `csctl` exists, cancels them.
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from envdoctor import proc
from envdoctor.errors import StepFailed
from envdoctor.launchers.base import Job, Launch, RunContext, find_tool, model_dir, shown_prelude, write_script
from envdoctor.launchers.direct import DirectJob, job_command

NAME = "cerebras"
_WSJOB = re.compile(r"(?:Job id|(?:compile|execute) job id): (wsjob-[\w-]+)")
ALWAYS = ("job_time_sec",)  # parameters written into the config copy even when not --set


def _set(data: Any, dotted: str, value: Any) -> None:
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
    keyed = {p.config_key: ctx.explicit[p.name] if p.name in ctx.explicit else ctx.params.get(p.name, p.default)
             for p in ctx.run.params if p.config_key and (p.name in ctx.explicit or p.name in ALWAYS)}
    if source is None:
        return ""
    if not keyed:
        return ctx.run.config  # relative to the workdir, exactly as the course types it
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


def _csctl(ctx: RunContext) -> str:
    """The appliance's job tool: the node's /opt/cerebras/bin/csctl (mapped on a sim node), or PATH's."""
    found = find_tool(ctx.target, "csctl", "cerebras")
    return found if os.path.isabs(found) and os.access(found, os.X_OK) else ""


def table_row(header: str, line: str) -> dict[str, str]:
    """A `csctl get jobs` row by the header's column positions (cells hold spaces, `P2 (299)`,
    and may be empty, so splitting on whitespace would misalign them)."""
    starts = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", header)]
    row = {}
    for i, (start, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(line)
        row[name] = line[start:end].strip()
    return row


def running_jobs(ctx: RunContext, env: dict[str, str]) -> list[str]:
    """The user's wsjobs that have not finished, from `csctl get jobs` ([] when csctl is absent)."""
    csctl = _csctl(ctx)
    if not csctl:
        return []
    r = proc.run([csctl, "get", "jobs"], env=env, timeout=30)
    if not r.ok:
        return []
    lines = r.stdout.splitlines()
    mine = []
    for line in lines[1:]:
        row = table_row(lines[0], line)
        name = row.get("NAME", "")
        phase = row.get("PHASE", "")
        if name and row.get("USER") == ctx.target.user and phase not in ("SUCCEEDED", "FAILED", "CANCELLED"):
            mine.append(f"{name} ({row.get('TYPE', '?')}, {phase or '?'}, {row.get('LABELS', '')})")
    return mine


def usage_warnings(ctx: RunContext, env: dict[str, str]) -> list[str]:
    """Display lines for the guide's usage rules (few concurrent jobs; bound long jobs)."""
    out = []
    busy = running_jobs(ctx, env)
    if busy:
        out.append(f"# warning: you already have {len(busy)} wsjob(s) running (csctl get jobs): {'; '.join(busy)}.")
        out.append("# The ALCF usage rules ask users not to run several jobs at once; at most two training jobs "
                   "fit on the cluster (two MemoryX groups). Wait for them, or `csctl cancel job <id>`.")
    bound = next((p for p in ctx.run.params if p.name in ALWAYS), None)
    if bound is not None:
        out.append(f"# job time bound: {bound.config_key}={ctx.params.get(bound.name, bound.default)} s "
                   "(the usage rules: bound every job, large jobs under 24 h)")
    return out


def prepare(ctx: RunContext) -> Launch:
    config = config_copy(ctx)
    argv = job_command(ctx, config)
    script, status = write_script(ctx, "job.sh", [argv])
    shown = [ctx.show(a) if a.startswith("/") else a for a in argv]
    display = usage_warnings(ctx, ctx.target.process_env()) + shown_prelude(ctx) + [shlex.join(shown)]
    if "{model_dir}" in " ".join(ctx.run.command):
        display.append(f"# --model_dir {model_dir(ctx)} is new for this run (a reused one would resume from its last "
                       "checkpoint); earlier model directories are left as they are")
    files = [Path(config)] if config and os.path.isabs(config) else []
    return Launch(NAME, display, ("bash", str(script)), ctx.workdir, ctx.target.process_env(), script, status,
                  files=files, info={"config": config})


class ApplianceJob(DirectJob):
    def __init__(self, launch: Launch, ctx: RunContext) -> None:
        super().__init__(launch)
        self.ctx = ctx
        self.wsjobs: list[str] = []  # every wsjob the client started, in order

    def lines(self) -> Iterator[str]:
        for line in super().lines():
            if "ob id: wsjob-" in line:
                m = _WSJOB.search(line)
                if m and m.group(1) not in self.wsjobs:
                    self.wsjobs.append(m.group(1))
                    self.job_id = " ".join(self.wsjobs)  # compile, execute, (eval) compile
            yield line

    def cancel(self) -> None:
        super().cancel()
        csctl = _csctl(self.ctx)
        for wsjob in self.wsjobs if csctl else []:
            proc.run([csctl, "cancel", "job", wsjob], env=self.launch.env, timeout=30)


def start(launch: Launch, ctx: RunContext) -> Job:
    return ApplianceJob(launch, ctx)
