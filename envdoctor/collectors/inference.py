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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Tuple

from envdoctor.collectors.host import redact_url
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector
from envdoctor.recipe import Recipe
from envdoctor.targets import Target
from envdoctor.targets.sim.inference import default_model, local_url, spec as sim_spec

if TYPE_CHECKING:
    import urllib.request

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class TokenFacts:
    """The helper's token file, without the token. The times are set only when the file
    holds a readable token (present and not `unreadable`)."""

    path_shown: str
    present: bool = False
    unreadable: str = ""  # why a file that is there cannot be used
    expires_at: int = 0  # epoch seconds
    expired: bool = False
    expires_in_hours: float = 0.0  # negative once expired
    issued_days: float = 0.0
    reauth_days: float = 0.0  # the service's re-authentication period
    reauth_due: bool = False
    has_refresh: bool = False
    resource_server: str = ""
    world_readable: bool = False  # group or other may read it


@dataclass(frozen=True)
class Answer:
    """What the service answered to one request (its JSON body is not kept: the model list
    is read from it, the rest may echo what was sent)."""

    url: str  # as the recipe spells it (not the simulated node's loopback address)
    status: Optional[int] = None  # HTTP status; None when nothing answered
    ok: bool = False
    error: str = ""  # why nothing answered
    code: str = ""  # the gateway's error code
    message: str = ""  # the gateway's error message
    proxy: str = ""  # the proxy the request went through (credentials redacted)
    ms: int = 0


@dataclass(frozen=True)
class InferenceFacts(Facts):
    """The inference service: the sign-in token, the endpoints and the model."""

    skipped: str = ""  # why nothing was probed (the recipe uses no inference service)
    token: Optional[TokenFacts] = None
    model: str = ""  # the run's model
    cluster: str = ""
    online: str = ""  # why the service was not asked ("--offline"), "" when it was
    list: Optional[Answer] = None  # the list-endpoints request
    models: Optional[Tuple[str, ...]] = None  # what it lists for the cluster; None when unreadable
    chat: Optional[Answer] = None  # the one-token chat completion, when the model is listed


def spec(recipe: Recipe) -> Mapping[str, Any]:
    return sim_spec(recipe)


def _token_record(path: Path) -> dict[str, Any]:
    """The helper's token for the gateway: globus_sdk JSON token storage, format 2.0
    ({"data": {"DEFAULT": {resource_server: {...}}}}) or 1.0 ({"by_rs": {...}})."""
    data = json.loads(path.read_text(encoding="utf-8"))
    by_rs = data.get("data", {}).get("DEFAULT") if "data" in data else data.get("by_rs")
    if not isinstance(by_rs, dict) or not by_rs:
        raise ValueError("no token data in the file")
    return next(iter(by_rs.values()))


def token_facts(target: Target, recipe: Recipe, now: float | None = None) -> TokenFacts:
    """present / expired / reauth_due of the helper's token file, without the token."""
    info = spec(recipe)
    now = time.time() if now is None else now
    path = Path(target.path(str(info.get("tokens", ""))))
    shown = target.unmap(str(path))
    if not path.is_file():
        return TokenFacts(shown)
    try:
        record = _token_record(path)
        expires = float(record["expires_at_seconds"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration, AttributeError) as exc:
        return TokenFacts(shown, present=True, unreadable=f"{type(exc).__name__}: {exc}"[:200])
    lifetime = float(info.get("access_token_hours", 48)) * HOUR
    issued_days = round((now - (expires - lifetime)) / DAY, 2)
    reauth_days = float(info.get("reauth_days", 7))
    return TokenFacts(shown, present=True, expires_at=int(expires), expired=expires <= now,
                      expires_in_hours=round((expires - now) / HOUR, 2), issued_days=issued_days,
                      reauth_days=reauth_days, reauth_due=issued_days > reauth_days,
                      has_refresh=bool(record.get("refresh_token")),
                      resource_server=str(record.get("resource_server", "")),
                      world_readable=bool(path.stat().st_mode & 0o077))


def _access_token(target: Target, recipe: Recipe) -> str:
    try:
        return str(_token_record(Path(target.path(str(spec(recipe).get("tokens", ""))))).get("access_token") or "")
    except (OSError, ValueError, KeyError, TypeError, StopIteration, AttributeError):
        return ""


def _opener(target: Target) -> urllib.request.OpenerDirector:
    import urllib.request  # lazy: urllib.request pulls in http.client, email and ssl (15 ms); --offline asks nothing

    return urllib.request.build_opener(urllib.request.ProxyHandler(target.http_proxies()))


def request(target: Target, url: str, token: str, timeout: float, body: Mapping[str, Any] | None = None) -> Answer:
    """One HTTP request; the facts of its answer (status, error code and message)."""
    return ask(target, url, token, timeout, body)[0]


def ask(target: Target, url: str, token: str, timeout: float,
        body: Mapping[str, Any] | None = None) -> tuple[Answer, Any]:
    """One HTTP request: the facts of its answer, and its JSON body (None when not JSON)."""
    import urllib.error  # lazy: see _opener
    import urllib.request  # lazy: see _opener


    real_url = local_url(target, url)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(real_url, data=data, method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    proxies = target.http_proxies()  # none for a simulated node's stand-in (on loopback)
    out = Answer(url, proxy=redact_url(proxies.get("https", "")))
    body_json: Any = None
    t0 = time.monotonic()
    try:
        with _opener(target).open(req, timeout=timeout) as resp:
            body_json = _json(resp.read(1 << 20))
            out = replace(out, status=resp.status, ok=True)
    except urllib.error.HTTPError as exc:
        code, message = _error(_json(exc.read(1 << 16)))
        out = replace(out, status=exc.code, code=code, message=message)
    except urllib.error.URLError as exc:
        out = replace(out, error=f"cannot connect: {redact_url(str(exc.reason))[:200]}")
    except (TimeoutError, OSError) as exc:
        out = replace(out, error=f"no answer in {timeout:g} s" if "timed out" in str(exc)
                      else f"{type(exc).__name__}: {exc}"[:200])
    return replace(out, ms=int((time.monotonic() - t0) * 1000)), body_json


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _error(body: Any) -> tuple[str, str]:
    """code and message of the gateway's error bodies: {"error": {...}} or ninja's {"detail": ...}."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code", "")), str(body["error"].get("message", ""))[:500]
    if isinstance(body, dict) and "detail" in body:
        return "", str(body["detail"])[:500]
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return "", body["error"][:500]
    return "", ""


def models_of(body: Any, cluster: str) -> tuple[str, ...] | None:
    """The models a list-endpoints answer's JSON body gives for `cluster` (None when it gives none).
    `body` is any JSON: a shape other than expected is a TypeError/KeyError below."""
    try:
        frameworks = body["clusters"][cluster]["frameworks"]
        return tuple(sorted({str(m) for fw in frameworks.values() for m in fw.get("models", [])}))
    except (KeyError, TypeError, AttributeError):
        return None


def model_param(recipe: Recipe) -> str:
    return default_model(recipe)


@collector("inference", InferenceFacts)
def collect_inference(ctx: ProbeContext) -> InferenceFacts:
    info = spec(ctx.recipe)
    if not info:
        return InferenceFacts(skipped="the recipe uses no inference service")
    facts = InferenceFacts(token=token_facts(ctx.target, ctx.recipe), model=model_param(ctx.recipe),
                           cluster=str(info.get("cluster", "")))
    if ctx.offline:
        return replace(facts, online="--offline")
    token = _access_token(ctx.target, ctx.recipe)
    timeout = min(ctx.timeout, 4.0)
    listing, body = ask(ctx.target, str(info["list_endpoints"]), token, timeout)
    models = models_of(body, facts.cluster) if listing.ok else None
    facts = replace(facts, list=listing, models=models)
    if listing.ok and facts.model in (models or ()):
        chat = request(ctx.target, str(info["base_url"]).rstrip("/") + "/chat/completions", token, timeout,
                       {"model": facts.model, "max_tokens": 1, "messages": [{"role": "user", "content": "Say OK."}]})
        facts = replace(facts, chat=chat)
    return facts
