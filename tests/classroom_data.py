"""Crafted check reports for the classroom tests (importable: `from classroom_data import ...`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

# A fault planted in a crafted report: check id -> (category, status, fix, commands).
FAULTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "conda.shell-init": ("conda", "fail", "initialise conda for bash", ("source ~/miniconda3/bin/activate", "conda init bash")),
    "venv.python": ("venv", "fail", "recreate the venv with the course's interpreter",
                    ("rm -rf ~/venvs/graphcore/poptorch33_env", "virtualenv -p /usr/bin/python3.8 ~/venvs/graphcore/poptorch33_env")),
    "network.proxy": ("network", "warn", "set the proxy", ("export HTTPS_PROXY=http://proxy.alcf.anl.gov:3128",)),
    "repo.ref": ("repo", "fail", "check out the course's tag", ("git -C ~/groqflow checkout v4.3.1",)),
    "packages.versions": ("packages", "error", "report this to the envdoctor developers", ()),
}
OK_CHECKS = ("host.role", "shell.startup", "disk.space")


def report_dict(user: str, platform: str, faults: Mapping[str, str] | tuple[str, ...] = (), *,
                secret: str = "") -> dict[str, Any]:
    """A check-report@1 object as `check --share` writes it, with the given faults planted."""
    checks: list[dict[str, Any]] = [
        {"id": i, "category": i.split(".")[0], "title": i, "status": "ok", "why": "", "fix": "", "commands": [],
         "evidence": [], "duration_ms": 3} for i in OK_CHECKS]
    names = faults if isinstance(faults, tuple) else tuple(faults)
    for fid in names:
        cat, status, fix, cmds = FAULTS[fid]
        if isinstance(faults, Mapping):
            status = faults[fid]
        checks.append({"id": fid, "category": cat, "title": f"title of {fid}", "status": status,
                       "why": f"{fid} is broken for {user}" + (f" (token={secret})" if secret else ""),
                       "fix": fix, "commands": list(cmds), "evidence": [f"evidence for {fid}"], "duration_ms": 5})
    summary = {s: sum(1 for c in checks if c["status"] == s) for s in ("ok", "warn", "fail", "skip", "error")}
    return {"schema": "envdoctor/check-report@1", "envdoctor_version": "0.1.0", "platform": platform,
            "release": "R", "target": "sim", "host": {"hostname": f"{platform}-node", "node_role": "run"},
            "exit_code": int(bool(summary["fail"] or summary["error"])), "summary": summary, "checks": checks,
            "duration_ms": 42, "user": user}


def write_report(share: Path, user: str, platform: str, faults: Any = (), **kw: Any) -> Path:
    path = share / user / f"{platform}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_dict(user, platform, faults, **kw)), encoding="utf-8")
    return path


# The planted course of the page tests: who has which fault on which platform.
PLANTED = {
    ("ann", "groq"): ("conda.shell-init",),
    ("ben", "groq"): ("conda.shell-init", "network.proxy"),
    ("cat", "groq"): ("conda.shell-init",),
    ("dan", "groq"): (),
    ("ann", "graphcore"): ("venv.python",),
    ("ben", "graphcore"): (),
    ("cat", "graphcore"): ("network.proxy",),
    ("dan", "graphcore"): ("packages.versions",),
}
