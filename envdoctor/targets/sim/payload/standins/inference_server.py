"""Stand-in for the ALCF Inference Service gateway (Metis cluster) on a simulated node.

The same API as the real gateway for what the course and envdoctor use, served on
127.0.0.1 with the standard library only:

    GET  /resource_server/list-endpoints                 {"clusters": {"metis": {...}}}
    GET  /resource_server/metis/jobs                     {"running": [...], "queued": [...], ...}
    POST /resource_server/metis/api/v1/chat/completions  OpenAI chat completion (stream or not)

and the same error responses (status and JSON body). Sources, all read by the author:
auroraGPT-ANL/inference-gateway @ 2710ef8c (2026-05-29): resource_server_async/api.py
(error body {"error": {"code", "message", "info"}}; a missing header is a django-ninja
HttpError, body {"detail": ...}), errors.py (codes and statuses), auth.py (messages:
"Token is either not active or invalid", the high-assurance policy text, "Permission denied
due to Globus Group restrictions."; every auth failure is 401, never 403), services.py (429
"Tokens/minute limit exceeded"), endpoints/endpoint.py (404 "The requested endpoint
'<slug>' does not exist."), endpoints/metis.py (503 "'<model>' is not currently live on
Metis."), schemas/endpoints.py and schemas/clusters.py (list-endpoints and jobs shapes). The
gateway has no GET /v1/models route for Metis: the guide lists models with list-endpoints
(`jq '.clusters.metis'`).
Unsourced: the identity-provider domains in the policy message (a deployment setting, empty in
the gateway's env.example; "anl.gov, alcf.anl.gov" follows the guide's "ANL or ALCF
credentials"), and the body of a 404 for a route the gateway does not have (Django's own page
in production; ninja-style JSON here). The live service could not be reached from the machine
this was written on, so no answer was compared byte for byte with it.

State (issued tokens, the Globus session, the model catalogue, planted faults) is a JSON
file on the node, written by the stand-in auth helper and by `envdoctor sim create --fault`.
The "model" is a stand-in too: a canned answer for the reference prompts, padded to
max_tokens, paced at a fixed time per token so that latency and tokens/s are honest
measurements of this server.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/resource_server"
CLUSTER = "metis"
FRAMEWORK = "api"
SEVEN_DAYS = 7 * 24 * 3600
POLICY_DENIED = ("Error: Permission denied from internal policies. This is likely due to a high-assurance timeout. "
                 "Please logout by visiting https://app.globus.org/logout, and re-authenticate with the following "
                 "command: 'python3 inference_auth_token.py authenticate --force'. Make sure you authenticate with "
                 "an authorized identity provider: anl.gov, alcf.anl.gov.")
MISSING_HEADER = "Error: Missing ('Authorization': 'Bearer <your-access-token>') in request headers."
ANSWERS = (
    (re.compile(r"(?i)capital of france"), "Paris. Paris has been the capital of France for most of its history."),
    (re.compile(r"(?i)\b2 \+ 2\b|two plus two"), "4. Two plus two equals four."),
    (re.compile(r"(?i)quantum computing"), "Quantum computing uses qubits, which can be in a superposition of 0 and 1."),
)
FILLER = ("The SambaNova SN40L serves this model from the Metis cluster through the ALCF Inference Service, "
          "and each token of this answer was produced by the envdoctor stand-in at a fixed pace. ")


class State:
    """The node's view of Globus and of the Metis cluster (a JSON file, re-read per request)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def read(self) -> dict[str, Any]:
        with self.lock, open(self.path, encoding="utf-8") as fh:
            return json.load(fh)

    def update(self, fn: Any) -> None:
        with self.lock:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
            fn(data)
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
            os.replace(tmp, self.path)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, info: dict[str, Any] | None = None,
                 detail_only: bool = False) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.info, self.detail_only = status, code, message, info or {}, detail_only

    def body(self) -> dict[str, Any]:
        if self.detail_only:  # django-ninja's HttpError
            return {"detail": self.message}
        return {"error": {"code": self.code, "message": self.message, "info": self.info}}


def slug(model: str) -> str:
    """django.utils.text.slugify(f"{cluster} {framework} {model.lower()}") (endpoint.py)."""
    text = re.sub(r"[^\w\s-]", "", f"{CLUSTER} {FRAMEWORK} {model.lower()}").strip()
    return re.sub(r"[-\s]+", "-", text)


def authenticate(state: dict[str, Any], header: str | None) -> dict[str, Any]:
    """The gateway's validate_access_token, with the node's Globus state as the introspection."""
    if not header:
        raise ApiError(401, "unauthorized", MISSING_HEADER, detail_only=True)
    parts = header.split()
    if len(parts) != 2:
        raise ApiError(401, "unauthorized", "Auth only allows header type Authorization: Bearer <token>.")
    if parts[0] != "Bearer":
        raise ApiError(401, "unauthorized", "Authorization type should be Bearer.")
    token = state.get("access_tokens", {}).get(parts[1])
    now = time.time()
    if token is None or token.get("revoked") or token["exp"] <= now:
        raise ApiError(401, "unauthorized", "Token is either not active or invalid")
    session = state.get("sessions", {}).get(token["session"], {})
    if now - float(session.get("authenticated_at", 0)) > SEVEN_DAYS:
        raise ApiError(401, "unauthorized", POLICY_DENIED)
    if not state.get("authorized", True):
        raise ApiError(401, "unauthorized", "Permission denied due to Globus Group restrictions.")
    return token


def list_endpoints(state: dict[str, Any]) -> dict[str, Any]:
    models = list(state.get("catalog", []))
    return {"clusters": {CLUSTER: {"base_url": f"{PREFIX}/{CLUSTER}/{FRAMEWORK}/v1",
                                   "frameworks": {FRAMEWORK: {"models": models, "endpoints": ["/chat/completions"]}}}}}


def jobs(state: dict[str, Any]) -> dict[str, Any]:
    live = [m for m in state.get("catalog", []) if m not in state.get("offline", [])]
    return {"running": [{"Models": ",".join(live), "Framework": FRAMEWORK, "Cluster": CLUSTER}] if live else [],
            "queued": [], "stopped": [{"Models": m, "Framework": FRAMEWORK, "Cluster": CLUSTER}
                                      for m in state.get("offline", [])], "others": [], "private_batch_running": [],
            "private_batch_queued": [], "cluster_status": {}}


def choose_model(state: dict[str, Any], model: Any) -> str:
    if not isinstance(model, str) or model not in state.get("catalog", []):
        raise ApiError(404, "endpoint_not_found", f"The requested endpoint {slug(str(model))!r} does not exist.")
    if model in state.get("offline", []):
        raise ApiError(503, "internal_endpoint_error", f"{model!r} is not currently live on Metis.")
    if state.get("rate_limited"):
        raise ApiError(429, "too_many_requests", "Tokens/minute limit exceeded",
                       {"global_model_usage": 0, "user_model_usage": int(state.get("tpm_user", 100000))})
    return model


def answer_tokens(messages: Any, max_tokens: int) -> list[str]:
    prompt = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict)) if isinstance(messages, list) else ""
    text = next((a for rx, a in ANSWERS if rx.search(prompt)), "I am a stand-in model.") + " "
    words: list[str] = []
    while len(words) < max_tokens:
        words += (text + FILLER * 4).split()
        text = ""
    return [w + " " for w in words[:max_tokens]]


def prompt_tokens(messages: Any) -> int:
    if not isinstance(messages, list):
        return 0
    return sum(len(str(m.get("content", "")).split()) + 4 for m in messages if isinstance(m, dict))


class Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        log = getattr(self.server, "log_path", "")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write("%s %s\n" % (self.log_date_time_string(), format % args))

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            routes = {("GET", f"{PREFIX}/list-endpoints"): self._list, ("GET", f"{PREFIX}/{CLUSTER}/jobs"): self._jobs,
                      ("POST", f"{PREFIX}/{CLUSTER}/{FRAMEWORK}/v1/chat/completions"): self._chat}
            handler = routes.get((method, path))
            if handler is None:
                raise ApiError(404, "not_found", "Not Found", detail_only=True)
            state = self.state.read()
            authenticate(state, self.headers.get("Authorization"))
            handler(state, raw)
        except ApiError as exc:
            self._json(exc.status, exc.body())

    def _list(self, state: dict[str, Any], raw: bytes) -> None:
        self._json(200, list_endpoints(state))

    def _jobs(self, state: dict[str, Any], raw: bytes) -> None:
        self._json(200, jobs(state))

    def _chat(self, state: dict[str, Any], raw: bytes) -> None:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise ApiError(422, "unprocessable", "Invalid JSON body", detail_only=True) from None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            raise ApiError(422, "unprocessable", "messages: field required", detail_only=True)
        model = choose_model(state, body.get("model"))
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens") or 256
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ApiError(400, "bad_request", "max_tokens must be a positive integer")
        tokens = answer_tokens(body["messages"], max_tokens)
        ptoks = prompt_tokens(body["messages"])
        pace = state.get("pace", {})
        first, per = float(pace.get("first_token_s", 0.03)), float(pace.get("per_token_s", 0.002))
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        finish = "length" if len(tokens) >= max_tokens else "stop"
        usage = {"prompt_tokens": ptoks, "completion_tokens": len(tokens), "total_tokens": ptoks + len(tokens)}
        if body.get("stream"):
            self._stream(cid, created, model, tokens, finish, usage, first, per)
            return
        time.sleep(first + per * len(tokens))
        self._json(200, {"id": cid, "object": "chat.completion", "created": created, "model": model,
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(tokens).strip()},
                                      "finish_reason": finish, "logprobs": None}],
                         "usage": usage})

    def _stream(self, cid: str, created: int, model: str, tokens: list[str], finish: str, usage: dict[str, int],
                first: float, per: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def chunk(delta: dict[str, Any], reason: str | None, extra: dict[str, Any] | None = None) -> None:
            data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}]}
            data.update(extra or {})
            self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        time.sleep(first)
        chunk({"role": "assistant", "content": ""}, None)
        for tok in tokens:
            time.sleep(per)
            chunk({"content": tok}, None)
        chunk({}, finish, {"usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def make_server(state_path: str, log_path: str = "") -> ThreadingHTTPServer:
    """A server on 127.0.0.1, on a port the kernel picks (never the network beyond loopback)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(state_path)  # type: ignore[attr-defined]
    server.log_path = log_path  # type: ignore[attr-defined]
    return server
