"""The stand-in gateway answers like auroraGPT-ANL/inference-gateway @ 2710ef8c (statuses, bodies)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

CHAT = "/resource_server/metis/api/v1/chat/completions"
LIST = "/resource_server/list-endpoints"


def call(origin: str, path: str, token: str | None = "Agvalid", body: dict[str, Any] | None = None) -> tuple[int, Any, str]:
    req = urllib.request.Request(origin + path, data=json.dumps(body).encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as resp:
            raw = resp.read().decode()
            return resp.status, (json.loads(raw) if resp.headers.get_content_type() == "application/json" else None), raw
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode()
        return exc.code, json.loads(raw), raw


def ask(max_tokens: int = 8, model: str = "gpt-oss-120b", **extra: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": max_tokens, "messages": [{"role": "user", "content": "What is the capital of France?"}], **extra}


def test_list_endpoints_has_the_metis_models(endpoint: Any) -> None:
    status, body, _ = call(endpoint.origin, LIST)
    assert status == 200
    metis = body["clusters"]["metis"]
    assert metis["base_url"] == "/resource_server/metis/api/v1"
    assert metis["frameworks"]["api"]["models"] == ["gpt-oss-120b", "gemma-4-31B-it"]


def test_chat_completion_counts_tokens_and_answers(endpoint: Any) -> None:
    status, body, _ = call(endpoint.origin, CHAT, body=ask(12))
    assert status == 200
    assert body["object"] == "chat.completion" and body["model"] == "gpt-oss-120b"
    assert body["usage"]["completion_tokens"] == 12
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 12
    assert body["choices"][0]["message"]["content"].startswith("Paris.")
    assert body["choices"][0]["finish_reason"] == "length"


def test_streaming_sends_chunks_then_done(endpoint: Any) -> None:
    status, _, raw = call(endpoint.origin, CHAT, body=ask(5, stream=True))
    events = [line[len("data: "):] for line in raw.splitlines() if line.startswith("data: ")]
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.split()[0] == "Paris." and len(text.split()) == 5
    assert chunks[-1]["usage"]["completion_tokens"] == 5 and chunks[-1]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize("token, message", [
    ("Agold", "Token is either not active or invalid"),
    ("Agnever-issued", "Token is either not active or invalid"),
    ("Aglapsed", "Error: Permission denied from internal policies. This is likely due to a high-assurance timeout."),
])
def test_refused_tokens_are_401_with_the_gateway_message(endpoint: Any, token: str, message: str) -> None:
    status, body, _ = call(endpoint.origin, LIST, token=token)
    assert status == 401
    assert body["error"]["code"] == "unauthorized" and body["error"]["message"].startswith(message)
    assert body["error"]["info"] == {}


def test_missing_header_is_ninja_detail(endpoint: Any) -> None:
    status, body, _ = call(endpoint.origin, LIST, token=None)
    assert status == 401
    assert body == {"detail": "Error: Missing ('Authorization': 'Bearer <your-access-token>') in request headers."}


def test_not_authorised_is_401_not_403(endpoint: Any) -> None:
    endpoint.set(authorized=False)
    status, body, _ = call(endpoint.origin, CHAT, body=ask())
    assert (status, body["error"]["message"]) == (401, "Permission denied due to Globus Group restrictions.")


def test_unknown_model_is_404_endpoint_not_found_with_the_slug(endpoint: Any) -> None:
    status, body, _ = call(endpoint.origin, CHAT, body=ask(model="gpt-oss-120b-131072"))
    assert status == 404
    assert body["error"] == {"code": "endpoint_not_found", "info": {},
                             "message": "The requested endpoint 'metis-api-gpt-oss-120b-131072' does not exist."}


def test_model_not_live_is_503(endpoint: Any) -> None:
    endpoint.set(offline=["gpt-oss-120b"])
    status, body, _ = call(endpoint.origin, CHAT, body=ask())
    assert (status, body["error"]["message"]) == (503, "'gpt-oss-120b' is not currently live on Metis.")


def test_rate_limit_is_429_tokens_per_minute(endpoint: Any) -> None:
    endpoint.set(rate_limited=True)
    status, body, _ = call(endpoint.origin, CHAT, body=ask())
    assert status == 429
    assert body["error"]["code"] == "too_many_requests" and body["error"]["message"] == "Tokens/minute limit exceeded"
    # listing is not token-metered: it still answers
    assert call(endpoint.origin, LIST)[0] == 200


def test_no_models_route_on_metis(endpoint: Any) -> None:
    # The gateway has no GET .../v1/models for Metis; the guide lists models with list-endpoints.
    status, _, _ = call(endpoint.origin, "/resource_server/metis/api/v1/models")
    assert status == 404


def test_server_binds_loopback_on_an_ephemeral_port(tmp_path: Any) -> None:
    from envdoctor.targets.sim import inference

    (tmp_path / "s.json").write_text("{}", encoding="utf-8")
    a = inference._server_module().make_server(str(tmp_path / "s.json"))
    b = inference._server_module().make_server(str(tmp_path / "s.json"))
    try:
        assert a.server_address[0] == "127.0.0.1" and a.server_address[1] != b.server_address[1] > 0
    finally:
        a.server_close()
        b.server_close()
