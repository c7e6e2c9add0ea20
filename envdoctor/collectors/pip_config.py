"""pip configuration facts: the pip config files that apply to the user, and what they set.

pip reads /etc/pip.conf, /etc/xdg/pip/pip.conf, ~/.pip/pip.conf, ~/.config/pip/pip.conf,
$PIP_CONFIG_FILE and the active environment's pip.conf; each one found is recorded as
`section.key -> value` (credentials in URLs redacted: an index URL may carry a token).
The variables that change pip's behaviour (PIP_*) are in the `session` facts.
"""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from typing import Dict, List

from envdoctor.collectors.host import redact_url
from envdoctor.collectors.session import effective_env, spelling
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector

FILES = ("/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf")


@dataclass(frozen=True)
class PipFile:
    values: Dict[str, str]  # "section.key" -> value
    error: str = ""  # why it could not be parsed


@dataclass(frozen=True)
class PipConfigFacts(Facts):
    files: Dict[str, PipFile]  # path (the course's spelling) -> what it sets, for each file that exists


def config_files(ctx: ProbeContext, env: Dict[str, str]) -> List[str]:
    files = list(FILES)
    if env.get("PIP_CONFIG_FILE"):
        files.append(env["PIP_CONFIG_FILE"])
    r_env = ctx.recipe.environment
    if r_env.path:
        files.append(os.path.join(ctx.target.path(r_env.path), "pip.conf"))
    if env.get("VIRTUAL_ENV"):
        files.append(os.path.join(env["VIRTUAL_ENV"], "pip.conf"))
    return [ctx.target.path(f) for f in dict.fromkeys(files)]


def read_pip_conf(path: str) -> PipFile:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        return PipFile({}, f"unreadable ({type(exc).__name__})")
    return PipFile({f"{s}.{k}": redact_url(v) for s in parser.sections() for k, v in parser.items(s)})


@collector("pip_config", PipConfigFacts)
def collect_pip_config(ctx: ProbeContext) -> PipConfigFacts:
    norm = spelling(ctx.target).normaliser()
    env, _ = effective_env(ctx)
    found = {norm(p): read_pip_conf(p) for p in dict.fromkeys(config_files(ctx, env or {})) if os.path.isfile(p)}
    return PipConfigFacts(found)
