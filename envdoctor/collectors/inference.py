"""Inference-service facts (recipes with `extra.inference`: Metis): the helper's token file,
and what the service answers to the token (models list, a one-token chat completion).

The token itself never enters the facts (they are printed, shared and snapshotted): only
whether it is there, when it expires and when it was issued. Network requests are bounded
by the probe's timeout, go through the proxy the environment sets (urllib reads
https_proxy), and are skipped with --offline. On a simulated node they go to the node's
stand-in endpoint on 127.0.0.1, which is started here if it is not running yet.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping

from envdoctor.collectors.host import redact_url
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Recipe
from envdoctor.targets import Target

HOUR = 3600.0
DAY = 24 * HOUR


def spec(recipe: Recipe) -> Mapping[str, Any]:
    from envdoctor.targets.sim.inference import spec as sim_spec

    return sim_spec(recipe)


def _token_record(path: Path) -> dict[str, Any]:
    """The helper's token for the gateway: globus_sdk JSON token storage, format 2.0
    ({"data": {"DEFAULT": {resource_server: {...}}}}) or 1.0 ({"by_rs": {...}})."""
    data = json.loads(path.read_text(encoding="utf-8"))
    by_rs = data.get("data", {}).get("DEFAULT") if "data" in data else data.get("by_rs")
    if not isinstance(by_rs, dict) or not by_rs:
        raise ValueError("no token data in the file")
    return next(iter(by_rs.values()))


def token_facts(target: Target, recipe: Recipe, now: float | None = None) -> dict[str, Any]:
    """present / expired / reauth_due of the helper's token file, without the token."""
    info = spec(recipe)
    now = time.time() if now is None else now
    path = Path(target.path(str(info.get("tokens", ""))))
    facts: dict[str, Any] = {"path_shown": target.unmap(str(path)), "present": False}
    if not path.is_file():
        return facts
    try:
        record = _token_record(path)
        expires = float(record["expires_at_seconds"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration, AttributeError) as exc:
        facts.update(present=True, unreadable=f"{type(exc).__name__}: {exc}"[:200])
        return facts
    lifetime = float(info.get("access_token_hours", 48)) * HOUR
    issued = expires - lifetime
    facts.update(present=True, expires_at=int(expires), expired=expires <= now,
                 expires_in_hours=round((expires - now) / HOUR, 2), issued_days=round((now - issued) / DAY, 2),
                 reauth_days=float(info.get("reauth_days", 7)), has_refresh=bool(record.get("refresh_token")),
                 resource_server=str(record.get("resource_server", "")))
    facts["reauth_due"] = facts["issued_days"] > facts["reauth_days"]
    mode = path.stat().st_mode & 0o077
    facts["world_readable"] = bool(mode)
    return facts


def _access_token(target: Target, recipe: Recipe) -> str:
    try:
        return str(_token_record(Path(target.path(str(spec(recipe).get("tokens", ""))))).get("access_token") or "")
    except (OSError, ValueError, KeyError, TypeError, StopIteration, AttributeError):
        return ""


def _opener(target: Target) -> urllib.request.OpenerDirector:
    if target.root:  # the stand-in is on loopback: never through a proxy
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def request(target: Target, url: str, token: str, timeout: float, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One HTTP request; the facts of its answer (status, error code and message, JSON)."""
    from envdoctor.targets.sim.inference import local_url

    real_url = local_url(target, url)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(real_url, data=data, method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    proxies = urllib.request.getproxies()
    out: dict[str, Any] = {"url": url, "status": None, "ok": False, "error": "", "code": "", "message": "",
                           "proxy": "" if target.root else redact_url(proxies.get("https", ""))}
    t0 = time.monotonic()
    try:
        with _opener(target).open(req, timeout=timeout) as resp:
            out.update(status=resp.status, ok=True, json=_json(resp.read(1 << 20)))
    except urllib.error.HTTPError as exc:
        body_json = _json(exc.read(1 << 16))
        out.update(status=exc.code, **_error(body_json))
    except urllib.error.URLError as exc:
        out["error"] = f"cannot connect: {redact_url(str(exc.reason))[:200]}"
    except (TimeoutError, OSError) as exc:
        out["error"] = f"no answer in {timeout:g} s" if "timed out" in str(exc) else f"{type(exc).__name__}: {exc}"[:200]
    out["ms"] = int((time.monotonic() - t0) * 1000)
    return out


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _error(body: Any) -> dict[str, str]:
    """code and message of the gateway's error bodies: {"error": {...}} or ninja's {"detail": ...}."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return {"code": str(body["error"].get("code", "")), "message": str(body["error"].get("message", ""))[:500]}
    if isinstance(body, dict) and "detail" in body:
        return {"code": "", "message": str(body["detail"])[:500]}
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return {"code": "", "message": body["error"][:500]}
    return {"code": "", "message": ""}


def models_of(answer: Mapping[str, Any], cluster: str) -> list[str] | None:
    """The models a list-endpoints answer gives for `cluster` (None when it gives none)."""
    data: Any = answer.get("json")  # any JSON: a shape other than expected is a TypeError/KeyError below
    try:
        frameworks = data["clusters"][cluster]["frameworks"]
        return sorted({str(m) for fw in frameworks.values() for m in fw.get("models", [])})
    except (KeyError, TypeError, AttributeError):
        return None


def model_param(recipe: Recipe) -> str:
    from envdoctor.targets.sim.inference import default_model

    return default_model(recipe)


@collector("inference")
def collect_inference(ctx: ProbeContext) -> dict[str, Any]:
    info = spec(ctx.recipe)
    if not info:
        return {"skipped": "the recipe uses no inference service"}
    facts: dict[str, Any] = {"skipped": "", "token": token_facts(ctx.target, ctx.recipe),
                             "model": model_param(ctx.recipe), "cluster": str(info.get("cluster", ""))}
    if ctx.offline:
        facts["online"] = "--offline"
        return facts
    facts["online"] = ""
    token = _access_token(ctx.target, ctx.recipe)
    timeout = min(ctx.timeout, 4.0)
    listing = request(ctx.target, str(info["list_endpoints"]), token, timeout)
    facts["list"] = {k: v for k, v in listing.items() if k != "json"}
    facts["models"] = models_of(listing, facts["cluster"]) if listing.get("ok") else None
    if listing.get("ok") and facts["model"] in (facts["models"] or []):
        chat = request(ctx.target, str(info["base_url"]).rstrip("/") + "/chat/completions", token, timeout,
                       {"model": facts["model"], "max_tokens": 1,
                        "messages": [{"role": "user", "content": "Say OK."}]})
        facts["chat"] = {k: v for k, v in chat.items() if k != "json"}
    return facts
