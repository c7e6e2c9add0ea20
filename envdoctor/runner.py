"""Running a reference run: launch it, stream it, parse it, judge it, record it.

The execution core of `envdoctor run`, below the command layer: `commands/run.py` (the
command: pre-flight check, printing, exit code) and the `deep_run` collector (`check
--deep`) both call `execute`.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from envdoctor import __version__, launchers, metrics, proc, runs
from envdoctor.errors import EnvdoctorError
from envdoctor.launchers.base import RunContext
from envdoctor.launchers.direct import prepare_compile
from envdoctor.recipe import Recipe, Run
from envdoctor.runs import RunRecord
from envdoctor.targets import Target

TAIL = 20  # log lines shown when a job fails
Echo = Callable[[str], None]


@dataclass
class Outcome:
    record: RunRecord
    interrupted: bool = False


def effective_params(ctx_run: Run, explicit: dict[str, Any], config_values: dict[str, Any]) -> dict[str, Any]:
    """Every parameter's value for this run: --set, else the run's config file, else the default."""
    values = {}
    for p in ctx_run.params:
        if p.name in explicit:
            values[p.name] = explicit[p.name]
        elif p.name in config_values:
            values[p.name] = config_values[p.name]
        else:
            values[p.name] = p.default
    return values


def execute(recipe: Recipe, target: Target, ref: Run, explicit: dict[str, Any], *, echo: Echo | None = None,
            stream: bool = True, timeout: float | None = None, note: str = "") -> Outcome:
    """Launch `ref`, stream its output to `echo`, and save its record. Never raises for a
    failed job (the record says so); a KeyboardInterrupt cancels the job first."""
    say = echo or (lambda _t: None)
    run_id = runs.new_id()
    ctx = RunContext(recipe, ref, target, {}, dict(explicit), runs.work_dir(run_id), run_id)
    config_values: dict[str, Any] = {}
    if ref.launcher == "cerebras" and ref.config:
        from envdoctor.launchers.cerebras import config_values as read_config  # lazy: cerebras runs only

        config_values = read_config(ctx)
    ctx.params = effective_params(ref, explicit, config_values)
    module = launchers.get(ref.launcher)
    rec = RunRecord(run_id, recipe.platform, recipe.release, ref.name, ref.title, ref.kind, ref.launcher,
                    target.name, target.hostname, target.root, dict(ctx.params), sorted(explicit),
                    note=note, log=str(runs.log_path(run_id)))
    say(f"envdoctor run {recipe.platform} {ref.name} on {target.describe()} (run {run_id})")
    if ref.params:
        say("  parameters: " + ", ".join(f"{k}={v}" + (" (set)" if k in explicit else "")
                                         for k, v in ctx.params.items()))
    sink = _Sink(rec.log, metrics.new(ref.metrics), ref.sanity, say if stream else None)
    started = time.time()
    rec.start = _iso(started)
    interrupted = False
    launch_error = ""
    job = None
    try:
        phases = [p for p in (prepare_compile(ctx), module.prepare(ctx)) if p is not None]
        for phase in phases:
            for line in phase.display:
                say(f"$ {line}" if not line.startswith("#") else line)
            rec.commands += phase.display
        for i, phase in enumerate(phases):
            last = i == len(phases) - 1
            job = (module if last else launchers.get("direct")).start(phase, ctx)
            if last and job.job_id and not job.job_id.startswith("pid "):
                say(f"  submitted: job {job.job_id}")
            timed_out = _follow(job, sink, timeout or ref.timeout, rec)
            rec.job_id = job.job_id if last or not rec.job_id else rec.job_id
            if timed_out:
                rec.status = "timeout"
                break
            if rec.exit_status != 0:
                break
    except KeyboardInterrupt:
        interrupted = True
        _cancel(job, rec, say)
    except EnvdoctorError as exc:  # a refused submission (sbatch/qsub said no): recorded, then reported
        launch_error = str(exc)
        rec.note = "; ".join(n for n in (rec.note, launch_error) if n)
        raise
    finally:
        _finish(rec, ref, recipe, target, sink, started, launch_error)
    return Outcome(rec, interrupted)


class _Sink:
    """Where a job's output goes, line by line: the log file, the metric parser, the sanity
    patterns, the last lines (for a failure), and the terminal when streaming."""

    def __init__(self, log: str, parser: Any, sanity: Iterable[str], echo: Echo | None) -> None:
        self.log = open(log, "w", encoding="utf-8")
        self.parser, self.echo = parser, echo
        self.sanity = [(pat, re.compile(pat)) for pat in sanity]
        self.seen: set[str] = set()
        self.tail: deque[str] = deque(maxlen=TAIL)

    def consume(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.log.write(line if line.endswith("\n") else line + "\n")
            text = line.rstrip("\r\n")
            self.parser.feed(text)
            self.tail.append(text)
            for pat, rx in self.sanity:
                if pat not in self.seen and rx.search(text):
                    self.seen.add(pat)
            if self.echo:
                self.echo(text)


def _follow(job: Any, sink: _Sink, limit: float, rec: RunRecord) -> bool:
    """Stream `job` into `sink` until it ends; cancel it after `limit` s. True when it timed out."""
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        job.cancel()

    watchdog = threading.Timer(limit, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        sink.consume(job.lines())
        rec.exit_status = job.wait()
    finally:
        watchdog.cancel()
    return timed_out.is_set()


def _cancel(job: Any, rec: RunRecord, say: Echo) -> None:
    """Ctrl-C: cancel the job (best effort) and record it as cancelled."""
    if job is not None:
        rec.job_id = job.job_id
        say("\nenvdoctor: interrupted; cancelling job " + (job.job_id or ""))
        try:
            job.cancel()
        except Exception:  # noqa: BLE001 - cancelling is best effort; the record still says so
            pass
    rec.status = "cancelled"


def _finish(rec: RunRecord, ref: Run, recipe: Recipe, target: Target, sink: _Sink, started: float,
            launch_error: str) -> None:
    """Metrics, verdicts and fingerprint into the record, which is saved whatever happened."""
    ended = time.time()
    sink.log.close()
    rec.end, rec.duration_s = _iso(ended), round(ended - started, 3)
    found = sink.parser.finish()
    rec.metrics, rec.events = {k: _round(v) for k, v in found.values.items()}, list(found.events)
    rec.series = {k: [_round(v) for v in curve] for k, curve in found.series.items()}
    rec.sanity = [{"pattern": pat, "ok": pat in sink.seen} for pat, _ in sink.sanity]
    rec.performance = judge(ref, rec.metrics)
    rec.log_tail = list(sink.tail)
    if launch_error:
        rec.status = "error"
    elif rec.status not in ("cancelled", "timeout"):
        ok = rec.exit_status == 0 and all(s["ok"] for s in rec.sanity)
        rec.status = "ok" if ok else "failed"
    try:
        rec.fingerprint = fingerprint(recipe, target)
    except Exception as exc:  # noqa: BLE001 - a fingerprint is nice to have, never fatal
        rec.fingerprint = {"error": f"{type(exc).__name__}: {exc}"}
    runs.save(rec)


def judge(ref: Run, values: dict[str, float]) -> list[dict[str, Any]]:
    out = []
    for metric, reference in ref.performance:
        value = values.get(metric)
        ratio = round(value / reference, 4) if value is not None and reference else None
        out.append({"metric": metric, "value": value, "reference": reference, "ratio": ratio})
    return out


def _iso(t: float) -> str:
    return datetime.datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def _round(v: float) -> float:
    return float(f"{v:.6g}") if isinstance(v, float) else v


def fingerprint(recipe: Recipe, target: Target) -> dict[str, Any]:
    """Python version and key package versions of the run's env, the repos' commits."""
    fp: dict[str, Any] = {"envdoctor": __version__, "target": target.name, "hostname": target.hostname}
    env = recipe.environment
    python = target.path(env.path) + "/bin/python" if env.path else ""
    if python and os.path.exists(python):
        names = [r.name for r in recipe.requirements]
        code = ("import sys, json\nfrom importlib import metadata\nv={}\n"
                f"for n in {names!r}:\n"
                "    try: v[n]=metadata.version(n)\n    except Exception: v[n]=None\n"
                "print(json.dumps({'python': sys.version.split()[0], 'packages': v}))")
        r = proc.run([python, "-c", code], env=target.process_env(), timeout=15)
        if r.ok:
            try:
                fp.update(json.loads(r.stdout.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                pass
    repos = {}
    for repo in recipe.repos:
        dest = target.path(repo.dest)
        if os.path.isdir(os.path.join(dest, ".git")):
            r = proc.run(["git", "-C", dest, "rev-parse", "HEAD"], timeout=10)
            d = proc.run(["git", "-C", dest, "describe", "--tags", "--always"], timeout=10)
            repos[repo.name] = {"commit": r.stdout.strip() if r.ok else None,
                                "describe": d.stdout.strip() if d.ok else None}
    if repos:
        fp["repos"] = repos
    return fp
