"""Tool configuration facts that decide where downloads go: ~/.condarc (proxy servers,
channels, SSL, env and package dirs) and git's global `http(s).*` settings (proxy, CA)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional

from envdoctor import proc, safeio
from envdoctor.collectors.host import redact_url
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector

MAX_CONFIG_BYTES = 8 * 1024 * 1024
CONDARC_KEYS = ("proxy_servers", "channels", "ssl_verify", "auto_activate_base", "envs_dirs", "pkgs_dirs")


@dataclass(frozen=True)
class ToolConfigFacts(Facts):
    # ~/.condarc's CONDARC_KEYS as the file has them (YAML: free-form); None when there is none.
    condarc: Optional[Dict[str, Any]] = None
    condarc_error: str = ""  # why ~/.condarc could not be read
    git: Optional[Dict[str, str]] = None  # `git config --global --get-regexp ^https?\.`; None: nothing set


def yaml_subset(path: str, keys: tuple[str, ...]) -> Dict[str, Any]:
    """Some top-level keys of a YAML config in the user's tree: a regular file only, capped,
    no aliases (a hostile or broken config must not stall or exhaust the probe)."""
    text = safeio.read_text(path, MAX_CONFIG_BYTES, "YAML config", allow_stdin=False)
    data = safeio.load_yaml_safe(text, path, "YAML config")
    if not isinstance(data, dict):
        return {}
    return {k: json.loads(json.dumps(data[k], default=str)) for k in keys if k in data}


def git_http(ctx: ProbeContext) -> Optional[Dict[str, str]]:
    t = ctx.target
    done = proc.run(("git", "config", "--global", "--get-regexp", r"^https?\."), env=t.process_env(t.login_env()),
                    timeout=ctx.timeout * 3)
    if not (done.ok and done.stdout.strip()):
        return None
    return {k: redact_url(v) for k, _, v in (line.partition(" ") for line in done.stdout.splitlines()[:20])}


@collector("tool_config", ToolConfigFacts)
def collect_tool_config(ctx: ProbeContext) -> ToolConfigFacts:
    condarc = os.path.join(ctx.target.home, ".condarc")
    subset, error = None, ""
    if os.path.isfile(condarc):
        try:
            subset = yaml_subset(condarc, CONDARC_KEYS)
        except Exception as exc:  # noqa: BLE001 - a broken ~/.condarc is a fact, not a crash
            error = f"{type(exc).__name__}: {exc}"
    return ToolConfigFacts(subset, error, git_http(ctx))
