"""Inference-service checks (Metis through the ALCF Inference Service): the helper's token,
the endpoint, the model, a one-token chat completion.

Texts and fixes follow the user guide (argonne-lcf/user-guides @ 4eaca024,
docs/ai-testbed/sn40l_inference/using_an_inference_endpoint.md: access tokens last 48 h and
`get_access_token` refreshes them; re-authentication every 7 days; on permission errors,
log out at app.globus.org/logout and `authenticate --force`) and the gateway's answers
(auroraGPT-ANL/inference-gateway @ 2710ef8c: every auth failure is a 401; unknown model 404
`endpoint_not_found`; not live 503; tokens/minute limit 429).
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.collectors.inference import InferenceFacts, TokenFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe
from envdoctor.targets.sim.inference import has_inference, spec

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (InferenceFacts,)

LOGOUT = "https://app.globus.org/logout"


def _applies(recipe: Recipe) -> bool:
    return has_inference(recipe)


def _info(recipe: Recipe) -> Mapping[str, Any]:
    return spec(recipe)


def _helper_cmds(recipe: Recipe, action: str) -> list[str]:
    helper = str(_info(recipe).get("helper", "inference_auth_token.py"))
    env = recipe.environment
    return [env.activate or f"source {env.path}/bin/activate", f"cd {os.path.dirname(helper) or '.'}",
            f"python inference_auth_token.py {action}"]


@check("inference.token", "config", "a Globus token for the inference service is stored and usable",
       applies=_applies, step="inference-auth")
def token(probe: Probe, recipe: Recipe) -> Outcome:
    tok = probe.of(InferenceFacts).token or TokenFacts("")
    where = tok.path_shown
    if not tok.present:
        return fail(f"no token file {where}: `inference_auth_token.py authenticate` has not been run as this user",
                    "sign in with the guide's helper (a Globus login in the browser)",
                    _helper_cmds(recipe, "authenticate"))
    if tok.unreadable:
        return fail(f"the token file {where} cannot be used ({tok.unreadable})",
                    "sign in again from scratch", _helper_cmds(recipe, "authenticate --force"))
    evidence = [f"{where}: access token {'expired' if tok.expired else 'valid'} "
                f"({tok.expires_in_hours:+.1f} h), issued {tok.issued_days:.1f} days ago"]
    if tok.world_readable:
        evidence.append("the token file is readable by other users (globus_sdk writes it 0600)")
    if tok.reauth_due:
        return fail(f"the token was issued {tok.issued_days:.1f} days ago; the service requires signing in again "
                    f"every {tok.reauth_days:g} days, so even a refreshed token is refused (401 permission denied)",
                    f"log out of Globus at {LOGOUT}, then sign in again with --force",
                    _helper_cmds(recipe, "authenticate --force"), evidence)
    if tok.expired:
        return warn("the access token has expired (they last 48 h); `get_access_token` refreshes it on the next call",
                    "nothing to do if the next call works; to refresh it now:",
                    _helper_cmds(recipe, "get_access_token > /dev/null"), evidence)
    return ok(*evidence)


@check("inference.endpoint", "network", "the inference endpoint answers and accepts the token", applies=_applies)
def endpoint(probe: Probe, recipe: Recipe) -> Outcome:
    inf = probe.of(InferenceFacts)
    if inf.online:
        return skip(f"not probed ({inf.online})")
    listing = inf.list
    if listing is None:
        return skip("not probed (the recipe uses no inference service)")
    url = listing.url
    via = f" through the proxy {listing.proxy}" if listing.proxy else ""
    if listing.ok:
        return ok(f"GET {url}: HTTP {listing.status} in {listing.ms} ms{via}")
    status, message = listing.status, listing.message
    if status is None:
        return fail(f"cannot reach {url}{via}: {listing.error}",
                    "on an ALCF node, set the proxy if outbound HTTPS needs one; otherwise the service or the "
                    "network is down: try again later",
                    [f"curl -sS -o /dev/null -w '%{{http_code}}\\n' {url}"])
    if status == 401 and not (inf.token and inf.token.present):
        return ok(f"GET {url}: HTTP 401 in {listing.ms} ms{via} (the service answers; there is no token "
                  "to send yet: see inference.token)")
    if status == 401:
        return fail(f"the service refused the token (HTTP 401: {message})",
                    f"log out of Globus at {LOGOUT} and sign in again with --force (the guide's fix for permission "
                    "errors; an expired token is refreshed by get_access_token, a lapsed 7-day sign-in is not)",
                    _helper_cmds(recipe, "authenticate --force"), [f"GET {url}: HTTP 401"], step="inference-auth")
    return fail(f"GET {url}: HTTP {status} {message}".rstrip(), "the service has a problem: try again later, or "
                "write to support@alcf.anl.gov with this message", [], [f"GET {url}: HTTP {status}"])


@check("inference.model", "config", "the run's model is served by the cluster", applies=_applies)
def model(probe: Probe, recipe: Recipe) -> Outcome:
    inf = probe.of(InferenceFacts)
    if inf.online:
        return skip(f"not probed ({inf.online})")
    models, wanted = inf.models, inf.model
    if models is None:
        return skip("the model list could not be read (see inference.endpoint)")
    shown = ", ".join(models) or "none"
    if wanted in models:
        return ok(f"{wanted} is listed for {inf.cluster}: {shown}")
    run = recipe.runs[0].name if recipe.runs else ""
    cmds = [f"envdoctor run {recipe.platform} {run} --set model={models[0]}".replace("  ", " ")] if models else []
    return fail(f"{wanted} is not served on {inf.cluster} (the service lists: {shown}); a request for it "
                "gets HTTP 404 endpoint_not_found",
                "choose a model the service lists (the guide's Available Models page changes as models are "
                "replaced)", cmds)


@check("inference.chat", "run", "a one-token chat completion answers", applies=_applies)
def chat(probe: Probe, recipe: Recipe) -> Outcome:
    inf = probe.of(InferenceFacts)
    if inf.online:
        return skip(f"not probed ({inf.online})")
    answer = inf.chat
    if answer is None:
        return skip("not tried (the endpoint or the model check failed)")
    evidence = [f"POST {answer.url}: HTTP {answer.status} in {answer.ms} ms"]
    status, message = answer.status, answer.message
    if answer.ok:
        return ok(*evidence)
    if status == 429:
        return fail(f"rate limited (HTTP 429: {message or 'Too many requests'}): the service caps tokens per "
                    "minute per user and model", "wait a minute and run again; lower --set max_tokens or the "
                    "number of requests, and do not run several clients at once",
                    [f"sleep 60 && envdoctor run {recipe.platform} {recipe.runs[0].name if recipe.runs else ''} "
                     "--set requests=1"], evidence)
    if status == 503 or status is None:
        why = message or answer.error
        return warn(f"the model did not answer now ({why}); it may be queued or starting (the guide's web UI "
                    "shows Live / Starting / Queued / Offline)", "wait, then check again", [], evidence)
    return fail(f"HTTP {status}: {message}", "see `envdoctor explain` for this message", [], evidence)
